package ollama

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/roundhouse-ai/roundhouse/host/compat/compattest"
)

// serveWired answers one request through a real in-process gRPC plugin.
func serveWired(t *testing.T, fb *compattest.Backend, method, path, body string) (int, string) {
	t.Helper()
	wired := compattest.Wire(fb)
	t.Cleanup(wired.Close)
	mux := http.NewServeMux()
	Register(mux, wired, Options{})
	rec := httptest.NewRecorder()
	mux.ServeHTTP(rec, httptest.NewRequest(method, path, strings.NewReader(body)))
	var e ErrorResponse
	_ = json.Unmarshal(rec.Body.Bytes(), &e)
	return rec.Code, e.Error
}

// Invalid UTF-8 that JSON decoding lets through (raw JSON kept as text)
// is answered 400 naming the Ollama field, not 500 with gRPC's text.
func TestInvalidUTF8IsBadRequest(t *testing.T) {
	tests := []struct{ name, path, body, field string }{
		{"tool-call arguments", "/api/chat",
			"{\"model\":\"llama3.2\",\"stream\":false,\"messages\":[{\"role\":\"user\",\"content\":\"x\"},{\"role\":\"assistant\",\"tool_calls\":[{\"function\":{\"name\":\"f\",\"arguments\":{\"a\":\"\xff\xfe\"}}}]}]}",
			"messages[1].tool_calls[0].function.arguments"},
		{"streamed tool-call arguments", "/api/chat",
			"{\"model\":\"llama3.2\",\"messages\":[{\"role\":\"assistant\",\"tool_calls\":[{\"function\":{\"name\":\"f\",\"arguments\":{\"a\":\"\xc0\"}}}]}]}",
			"messages[0].tool_calls[0].function.arguments"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, msg := serveWired(t, compattest.New(), http.MethodPost, tt.path, tt.body)
			if status != http.StatusBadRequest || !strings.HasPrefix(msg, tt.field+": contains invalid UTF-8") {
				t.Fatalf("status %d %q, want 400 naming %s", status, msg, tt.field)
			}
		})
	}
}

// Options out of range are answered 400 naming the Ollama option before
// anything goes upstream.
func TestOptionRanges(t *testing.T) {
	chat := func(opts string) string {
		return `{"model":"llama3.2","stream":false,"messages":[{"role":"user","content":"x"}],"options":` + opts + `}`
	}
	tests := []struct{ path, body, field string }{
		{"/api/chat", chat(`{"temperature":1e308}`), "options.temperature"},
		{"/api/chat", chat(`{"temperature":-1}`), "options.temperature"},
		{"/api/chat", chat(`{"top_p":1.5}`), "options.top_p"},
		{"/api/chat", chat(`{"top_k":-1}`), "options.top_k"},
		{"/api/chat", chat(`{"num_ctx":-1}`), "options.num_ctx"},
		{"/api/chat", chat(`{"num_predict":-3}`), "options.num_predict"},
		{"/api/chat", chat(`{"presence_penalty":3}`), "options.presence_penalty"},
		{"/api/chat", chat(`{"frequency_penalty":-2.5}`), "options.frequency_penalty"},
		{"/api/generate", `{"model":"llama3.2","prompt":"x","stream":false,"options":{"top_p":-0.1}}`, "options.top_p"},
		{"/api/generate", `{"model":"llama3.2","prompt":"x","options":{"num_predict":-100}}`, "options.num_predict"},
		{"/api/embed", `{"model":"all-minilm"}`, "input"},
		{"/api/embed", `{"model":"all-minilm","input":null}`, "input"},
		{"/api/embed", `{"model":"all-minilm","input":[]}`, "input"},
	}
	for _, tt := range tests {
		fb := compattest.New()
		status, msg := serveWired(t, fb, http.MethodPost, tt.path, tt.body)
		if status != http.StatusBadRequest || !strings.HasPrefix(msg, tt.field+": ") {
			t.Errorf("%s %s: status %d %q, want 400 naming %s", tt.path, tt.body, status, msg, tt.field)
		}
		for _, c := range fb.Calls() {
			if c.Method != "ListModels" {
				t.Errorf("%s: %s reached the backend", tt.body, c.Method)
			}
		}
	}
	// Ollama's sentinels and an empty generate (a load request) stay legal.
	for _, tt := range []struct{ path, body string }{
		{"/api/chat", chat(`{"num_predict":-1,"seed":-1,"temperature":0}`)},
		{"/api/chat", chat(`{"num_predict":-2,"top_k":0}`)},
		{"/api/generate", `{"model":"llama3.2","prompt":""}`},
		{"/api/generate", `{"model":"llama3.2"}`},
	} {
		if status, msg := serveWired(t, compattest.New(), http.MethodPost, tt.path, tt.body); status != http.StatusOK {
			t.Errorf("%s %s: status %d %q, want 200", tt.path, tt.body, status, msg)
		}
	}
}

// A hostile name on /api/pull is answered 400 before any 200 and any
// "pulling manifest" line, and the backend never sees it.
func TestPullValidatesNameFirst(t *testing.T) {
	// (Invalid UTF-8 cannot arrive here: JSON decoding turns it into U+FFFD.)
	for _, name := range []string{"../../etc/passwd", "/abs", "a b", "a\x01b", "ollama/../x"} {
		for _, stream := range []string{"", `,"stream":false`} {
			fb := compattest.New()
			body, _ := json.Marshal(name)
			status, msg := serveWired(t, fb, http.MethodPost, "/api/pull", `{"model":`+string(body)+stream+`}`)
			if status != http.StatusBadRequest || !strings.HasPrefix(msg, "model: ") {
				t.Errorf("pull %q%s: status %d %q, want 400 naming model", name, stream, status, msg)
			}
			if c := fb.Last("PullModel"); c != nil {
				t.Errorf("pull %q reached the backend", name)
			}
		}
	}
}
