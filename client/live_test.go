package client

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/coder/websocket"

	"github.com/roundhouse-ai/roundhouse/types"
)

// A fake live endpoint: it checks the config frame, counts the audio and
// answers a partial and a final transcript, or an error frame.
func liveServer(t *testing.T) *Client {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/v1/services/speech-to-text/live" || r.Header.Get("Authorization") != "Bearer k" {
			http.Error(w, `{"error":{"message":"no","code":"unauthenticated"}}`, 401)
			return
		}
		conn, err := websocket.Accept(w, r, nil)
		if err != nil {
			return
		}
		defer conn.CloseNow()
		ctx := r.Context()
		_, data, err := conn.Read(ctx)
		if err != nil {
			return
		}
		var cfg map[string]any
		_ = json.Unmarshal(data, &cfg)
		if cfg["language"] == "xx" {
			_ = conn.Write(ctx, websocket.MessageText, []byte(`{"error":{"message":"language xx unknown","code":"invalid_argument","field":"language"}}`))
			conn.Close(websocket.StatusInternalError, "language")
			return
		}
		n := 0
		for {
			typ, data, err := conn.Read(ctx)
			if err != nil {
				return
			}
			if typ == websocket.MessageText {
				break // {"end":true}
			}
			n += len(data)
			_ = conn.Write(ctx, websocket.MessageText, []byte(`{"text":"…","is_final":false}`))
		}
		b, _ := json.Marshal(types.LiveSpeechOutput{Text: fmt.Sprintf("%d bytes, %v, policy %v", n, cfg["language"], cfg["policy"]), IsFinal: true})
		_ = conn.Write(ctx, websocket.MessageText, b)
		conn.Close(websocket.StatusNormalClosure, "done")
	}))
	t.Cleanup(srv.Close)
	c, _ := New(srv.URL, nil, WithAPIKey("k"))
	return c
}

func TestSpeechToTextLive(t *testing.T) {
	c := liveServer(t)
	audio := strings.Repeat("a", 3*liveChunk+5)
	var finals []string
	partials := 0
	err := c.SpeechToTextLive(context.Background(), &types.SpeechToTextRequest{Language: "en", Audio: []byte("ignored")}, Options{Policy: PolicyLocal},
		strings.NewReader(audio), func(o *types.LiveSpeechOutput) error {
			if o.IsFinal {
				finals = append(finals, o.Text)
			} else {
				partials++
			}
			return nil
		})
	if err != nil || partials != 4 || len(finals) != 1 || finals[0] != fmt.Sprintf("%d bytes, en, policy local", len(audio)) {
		t.Fatalf("%v %d %v", err, partials, finals)
	}
	err = c.SpeechToTextLive(context.Background(), &types.SpeechToTextRequest{Language: "xx"}, Options{}, strings.NewReader("a"),
		func(*types.LiveSpeechOutput) error { return nil })
	var se *StatusError
	if !errors.As(err, &se) || se.Code() != types.CodeInvalidArgument || se.Field != "language" {
		t.Fatalf("error frame: %v", err)
	}
	c.SetAPIKey("wrong")
	err = c.SpeechToTextLive(context.Background(), nil, Options{}, strings.NewReader("a"), func(*types.LiveSpeechOutput) error { return nil })
	if !errors.As(err, &se) || se.StatusCode != 401 {
		t.Fatalf("refused upgrade: %v", err)
	}
}
