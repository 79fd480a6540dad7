package api

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"

	"github.com/coder/websocket"

	"github.com/roundhouse-ai/roundhouse/host/backend"
	"github.com/roundhouse-ai/roundhouse/sdk"
)

// liveControl is a text frame from the client: the first one configures
// the session (model, language, prompt...; the fields of a speech-to-text
// request without audio), a later {"end": true} says the speaker is done.
type liveControl struct {
	sdk.SpeechToTextRequest
	Policy backend.Policy `json:"policy,omitempty"`
	Plugin string         `json:"plugin,omitempty"`
	End    bool           `json:"end,omitempty"`
}

// speechToTextLive upgrades GET /v1/services/speech-to-text/live to a
// WebSocket: the client sends a JSON config frame, then binary audio
// frames, then {"end":true} (or closes); the host answers JSON transcript
// frames {"text", "is_final", "start", "end"} from the plugin's
// bidirectional stream, and {"error": {...}} before closing on failure.
func (s *Server) speechToTextLive(w http.ResponseWriter, r *http.Request) {
	conn, err := websocket.Accept(w, r, &websocket.AcceptOptions{OriginPatterns: originPatterns(s.h.Config().AllowedOrigins)})
	if err != nil {
		return // Accept has answered the client
	}
	defer conn.CloseNow()
	conn.SetReadLimit(s.maxBody)
	ctx := r.Context()

	var cfg liveControl
	typ, data, err := conn.Read(ctx)
	if err == nil && typ != websocket.MessageText {
		err = sdk.FieldError("config", "the first frame must be a JSON text frame with the session config")
	} else if err == nil {
		if jerr := json.Unmarshal(data, &cfg); jerr != nil {
			err = sdk.FieldError("config", "first frame is not a JSON config: %v", jerr)
		}
	}
	if err != nil {
		s.liveFail(ctx, conn, err)
		return
	}
	rt, err := s.route(r, common{Policy: cfg.Policy, Plugin: cfg.Plugin}, &cfg.Provider)
	if err != nil {
		s.liveFail(ctx, conn, err)
		return
	}
	recv := func() (*sdk.LiveSpeechInput, error) {
		typ, data, err := conn.Read(ctx)
		if err != nil {
			if websocket.CloseStatus(err) == websocket.StatusNormalClosure {
				return nil, io.EOF
			}
			return nil, err
		}
		if typ == websocket.MessageBinary {
			return &sdk.LiveSpeechInput{Audio: data}, nil
		}
		var c liveControl
		if err := json.Unmarshal(data, &c); err != nil || !c.End {
			return nil, sdk.FieldError("frame", "text frames after the config must be {\"end\": true}")
		}
		return nil, io.EOF
	}
	send := func(o *sdk.LiveSpeechOutput) error {
		b, err := json.Marshal(o)
		if err != nil {
			return err
		}
		return conn.Write(ctx, websocket.MessageText, b)
	}
	err = s.b.SpeechToTextLive(ctx, rt, &cfg.SpeechToTextRequest, recv, send)
	if err != nil && !errors.Is(err, context.Canceled) {
		s.liveFail(ctx, conn, err)
		return
	}
	conn.Close(websocket.StatusNormalClosure, "done")
}

// originPatterns turns configured CORS origins ("http://localhost:3000")
// into the host patterns the WebSocket origin check takes.
func originPatterns(origins []string) []string {
	out := make([]string, 0, len(origins))
	for _, o := range origins {
		if i := strings.Index(o, "://"); i >= 0 {
			o = o[i+3:]
		}
		out = append(out, o)
	}
	return out
}

func (s *Server) liveFail(ctx context.Context, conn *websocket.Conn, err error) {
	_, d := errorDetail(err)
	b, _ := json.Marshal(ErrorBody{Error: d})
	_ = conn.Write(ctx, websocket.MessageText, b)
	reason := d.Message
	if len(reason) > 120 { // close reasons are capped at 123 bytes
		reason = reason[:120]
	}
	conn.Close(websocket.StatusInternalError, reason)
}
