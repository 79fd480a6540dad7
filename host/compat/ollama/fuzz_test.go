package ollama

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/roundhouse-ai/roundhouse/host/compat/compattest"
)

// fuzzRoute feeds arbitrary bodies to one route, through a real
// in-process gRPC plugin (compattest.Wire), so that every request the
// surface accepts is converted to protobuf and marshalled as it would be
// for a plugin subprocess. It must never panic, never answer 5xx (the fake
// fails only with 4xx; any 5xx is an input fault surfacing as a server
// error), answer 4xx to anything that is not a JSON object, and every 400
// must name the field at fault ("field: message").
func fuzzRoute(f *testing.F, method, path string, seeds ...string) {
	for _, s := range seeds {
		f.Add(s)
	}
	f.Add(``)
	f.Add(`{`)
	f.Add(`[]`)
	f.Add(`null`)
	f.Add(`{"model":1}`)
	// Invalid UTF-8 that JSON decoding lets through, and values out of range.
	f.Add("{\"model\":\"llama3.2\",\"messages\":[{\"role\":\"assistant\",\"tool_calls\":[{\"function\":{\"name\":\"f\",\"arguments\":{\"a\":\"\xff\"}}}]}]}")
	f.Add(`{"model":"llama3.2","prompt":"x","messages":[{"role":"user","content":"x"}],"options":{"temperature":1e308,"num_predict":-3}}`)
	wired := compattest.Wire(compattest.New())
	f.Cleanup(wired.Close)
	mux := http.NewServeMux()
	Register(mux, wired, Options{MaxBodyBytes: 1 << 16})
	f.Fuzz(func(t *testing.T, body string) {
		rec := httptest.NewRecorder()
		mux.ServeHTTP(rec, httptest.NewRequest(method, path, strings.NewReader(body)))
		if rec.Code >= 500 && rec.Code != http.StatusNotImplemented {
			t.Fatalf("status %d for %q: %s", rec.Code, body, rec.Body.Bytes())
		}
		var obj map[string]json.RawMessage
		if json.Unmarshal([]byte(body), &obj) != nil && rec.Code < 400 {
			t.Fatalf("status %d for non-object %q", rec.Code, body)
		}
		if rec.Code >= 400 {
			var e ErrorResponse
			if err := json.Unmarshal(rec.Body.Bytes(), &e); err != nil || e.Error == "" {
				t.Fatalf("status %d without an Ollama error body: %s", rec.Code, rec.Body.Bytes())
			}
			if rec.Code == http.StatusBadRequest && !namesField(e.Error) {
				t.Fatalf("400 without a field for %q: %s", body, e.Error)
			}
		}
	})
}

// namesField reports whether an error message starts with "field: ", as
// sdk.Error renders one with a field.
func namesField(msg string) bool {
	field, _, ok := strings.Cut(msg, ": ")
	return ok && field != "" && !strings.ContainsAny(field, " \"")
}

func FuzzChat(f *testing.F) {
	fuzzRoute(f, http.MethodPost, "/api/chat",
		`{"model":"llama3.2","messages":[{"role":"user","content":"hi","images":["aGk="]}],"options":{"temperature":0.1,"stop":["x"]},"format":"json","think":true}`,
		`{"model":"llama3.2","messages":[],"keep_alive":"0s"}`,
		`{"model":"llama3.2","messages":[{"role":"assistant","tool_calls":[{"function":{"name":"f","arguments":{"a":1}}}]}],"stream":false,"tools":[{"type":"function","function":{"name":"f"}}]}`,
		`{"model":"llama3.2","messages":[{"role":"user","content":"x"}],"format":{"type":"object"},"keep_alive":-1,"options":{"num_predict":-2,"seed":3}}`,
	)
}

func FuzzGenerate(f *testing.F) {
	fuzzRoute(f, http.MethodPost, "/api/generate",
		`{"model":"llama3.2","prompt":"hi","suffix":"x","system":"s","raw":true,"options":{"top_k":3}}`,
		`{"model":"llama3.2","keep_alive":0}`,
		`{"model":"llama3.2","prompt":"hi","stream":false,"think":"high","images":["aGk="]}`,
	)
}

func FuzzEmbed(f *testing.F) {
	fuzzRoute(f, http.MethodPost, "/api/embed",
		`{"model":"all-minilm","input":["a","b"],"truncate":false,"dimensions":2}`,
		`{"model":"all-minilm","input":"a","keep_alive":"5m"}`,
	)
}

func FuzzEmbeddings(f *testing.F) {
	fuzzRoute(f, http.MethodPost, "/api/embeddings", `{"model":"all-minilm","prompt":"a","options":{"num_ctx":8}}`)
}

func FuzzModelRequests(f *testing.F) {
	fuzzRoute(f, http.MethodPost, "/api/pull", `{"model":"llama3.2","stream":false}`, `{"name":"x","insecure":true}`)
}

func FuzzShow(f *testing.F) {
	fuzzRoute(f, http.MethodPost, "/api/show", `{"model":"llama3.2","verbose":true}`, `{"name":"ghost"}`)
}

func FuzzDelete(f *testing.F) {
	fuzzRoute(f, http.MethodDelete, "/api/delete", `{"model":"llama3.2"}`, `{"name":"ghost"}`)
}
