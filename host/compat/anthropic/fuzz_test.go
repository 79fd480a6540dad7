package anthropic

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/roundhouse-ai/roundhouse/host/compat/compattest"
)

// FuzzMessages feeds arbitrary bodies to POST /v1/messages, through a real
// in-process gRPC plugin (compattest.Wire), so that every request the
// surface accepts is converted to protobuf and marshalled as it would be
// for a plugin subprocess. It must never panic, never answer 5xx (the fake
// fails only with 4xx), answer 4xx in Anthropic's error shape to anything
// that is not a JSON object, name the field of every 400 ("field:
// message"), and every streamed answer must be a well-formed event flow.
func FuzzMessages(f *testing.F) {
	for _, s := range []string{
		`{"model":"llama3.2","max_tokens":16,"messages":[{"role":"user","content":"hi"}]}`,
		`{"model":"llama3.2","max_tokens":16,"stream":true,"system":[{"type":"text","text":"s"}],"messages":[{"role":"user","content":[{"type":"text","text":"a"},{"type":"image","source":{"type":"base64","media_type":"image/png","data":"aGk="}}]}]}`,
		`{"model":"llama3.2","max_tokens":4096,"thinking":{"type":"enabled","budget_tokens":1024},"tools":[{"name":"f","input_schema":{"type":"object"}}],"tool_choice":{"type":"any"},` +
			`"messages":[{"role":"user","content":"x"},{"role":"assistant","content":[{"type":"tool_use","id":"t","name":"f","input":{}}]},{"role":"user","content":[{"type":"tool_result","tool_use_id":"t","content":[{"type":"text","text":"r"}]}]}]}`,
		`{"model":"ghost","max_tokens":1,"messages":[{"role":"user","content":"x"}],"stop_sequences":["a"],"temperature":0.5,"top_k":3}`,
		``, `{`, `[]`, `null`, `{"max_tokens":"x"}`,
		"{\"model\":\"m\",\"max_tokens\":1,\"messages\":[{\"role\":\"user\",\"content\":\"x\"},{\"role\":\"assistant\",\"content\":[{\"type\":\"tool_use\",\"id\":\"t\",\"name\":\"f\",\"input\":{\"a\":\"\xff\"}}]}]}",
	} {
		f.Add(s)
	}
	wired := compattest.Wire(compattest.New())
	f.Cleanup(wired.Close)
	mux := http.NewServeMux()
	Register(mux, wired, Options{MaxBodyBytes: 1 << 16})
	f.Fuzz(func(t *testing.T, body string) {
		rec := httptest.NewRecorder()
		mux.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/v1/messages", strings.NewReader(body)))
		if rec.Code >= 500 {
			t.Fatalf("status %d for %q: %s", rec.Code, body, rec.Body.Bytes())
		}
		var obj map[string]json.RawMessage
		if json.Unmarshal([]byte(body), &obj) != nil && rec.Code < 400 {
			t.Fatalf("status %d for non-object %q", rec.Code, body)
		}
		if rec.Code >= 400 {
			var e ErrorResponse
			if err := json.Unmarshal(rec.Body.Bytes(), &e); err != nil || e.Type != "error" || e.Error.Type == "" {
				t.Fatalf("status %d without an Anthropic error body: %s", rec.Code, rec.Body.Bytes())
			}
			if field, _, ok := strings.Cut(e.Error.Message, ": "); rec.Code == http.StatusBadRequest &&
				(!ok || field == "" || strings.ContainsAny(field, " \"")) {
				t.Fatalf("400 without a field for %q: %s", body, e.Error.Message)
			}
			return
		}
		if rec.Header().Get("Content-Type") == "text/event-stream" {
			events, err := readEvents(rec.Body)
			if err == nil {
				_, err = accumulate(events)
			}
			if err != nil {
				t.Fatalf("bad stream for %q: %v", body, err)
			}
		}
	})
}
