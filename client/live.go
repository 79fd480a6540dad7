package client

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"

	"github.com/coder/websocket"

	"github.com/roundhouse-ai/roundhouse/types"
)

// liveChunk is how much audio goes in one WebSocket frame.
const liveChunk = 32 << 10

// SpeechToTextLive transcribes audio as it is read, over the WebSocket
// GET /v1/services/speech-to-text/live: req (its Audio ignored) and o
// configure the session, audio is sent in binary frames until it ends
// (io.EOF), and fn gets each transcript as it comes (IsFinal marks a
// finished segment). A failure the host reports is a *StatusError;
// returning an error from fn, or cancelling ctx, ends the session.
func (c *Client) SpeechToTextLive(ctx context.Context, req *types.SpeechToTextRequest, o Options, audio io.Reader, fn func(*types.LiveSpeechOutput) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	cfgReq := types.SpeechToTextRequest{}
	if req != nil {
		cfgReq = *req
	}
	cfgReq.Audio = nil
	cfg, err := withOptions(&cfgReq, o, false)
	if err != nil {
		return err
	}
	delete(cfg, "audio")
	u := *c.base.JoinPath("/v1/services/speech-to-text/live")
	u.Scheme = map[string]string{"http": "ws", "https": "wss"}[u.Scheme]
	h := http.Header{}
	if c.token != "" {
		h.Set("Authorization", "Bearer "+c.token)
	}
	conn, resp, err := websocket.Dial(ctx, u.String(), &websocket.DialOptions{HTTPClient: c.http, HTTPHeader: h})
	if err != nil {
		if resp != nil && resp.StatusCode >= 300 {
			return readError(resp)
		}
		var op *net.OpError
		if errors.As(err, &op) && op.Op == "dial" {
			return fmt.Errorf("%w at %s (start it with `roundhouse serve`, or point --host or ROUNDHOUSE_HOST at it): %v", ErrHostDown, c.base, err)
		}
		return err
	}
	defer conn.CloseNow()
	b, _ := json.Marshal(cfg)
	if err := conn.Write(ctx, websocket.MessageText, b); err != nil {
		return err
	}
	sendErr := make(chan error, 1)
	go func() { sendErr <- sendAudio(ctx, conn, audio) }()
	for {
		typ, data, err := conn.Read(ctx)
		if err != nil {
			if websocket.CloseStatus(err) == websocket.StatusNormalClosure {
				return nil
			}
			select {
			case serr := <-sendErr:
				if serr != nil {
					return serr
				}
			default:
			}
			return err
		}
		if typ != websocket.MessageText {
			continue
		}
		if bytes.HasPrefix(bytes.TrimSpace(data), []byte(`{"error"`)) {
			var eb ErrorBody
			if json.Unmarshal(data, &eb) == nil && eb.Error.Message != "" {
				return streamError(eb.Error)
			}
		}
		var out types.LiveSpeechOutput
		if err := json.Unmarshal(data, &out); err != nil {
			return fmt.Errorf("malformed transcript frame: %w", err)
		}
		if err := fn(&out); err != nil {
			return err
		}
	}
}

// sendAudio streams audio in binary frames, then {"end": true}.
func sendAudio(ctx context.Context, conn *websocket.Conn, audio io.Reader) error {
	buf := make([]byte, liveChunk)
	for {
		n, err := audio.Read(buf)
		if n > 0 {
			if werr := conn.Write(ctx, websocket.MessageBinary, buf[:n]); werr != nil {
				return werr
			}
		}
		if errors.Is(err, io.EOF) {
			return conn.Write(ctx, websocket.MessageText, []byte(`{"end":true}`))
		}
		if err != nil {
			return err
		}
	}
}
