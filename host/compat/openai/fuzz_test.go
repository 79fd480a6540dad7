package openai

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
// fails only with 4xx), answer 4xx to anything that is not a JSON object,
// and every 400 must name the field at fault in "param".
func fuzzRoute(f *testing.F, path string, seeds ...string) {
	for _, s := range seeds {
		f.Add(s)
	}
	f.Add(``)
	f.Add(`{`)
	f.Add(`[]`)
	f.Add(`null`)
	f.Add(`{"model":1}`)
	f.Add(`{"messages":[{"role":"user","content":"x"}],"temperature":1e308,"top_p":-1}`)
	wired := compattest.Wire(compattest.New())
	f.Cleanup(wired.Close)
	mux := http.NewServeMux()
	Register(mux, wired, Options{MaxBodyBytes: 1 << 16})
	f.Fuzz(func(t *testing.T, body string) {
		rec := httptest.NewRecorder()
		req := httptest.NewRequest(http.MethodPost, path, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		mux.ServeHTTP(rec, req)
		if rec.Code >= 500 {
			t.Fatalf("status %d for %q: %s", rec.Code, body, rec.Body.Bytes())
		}
		var obj map[string]json.RawMessage
		if json.Unmarshal([]byte(body), &obj) != nil && rec.Code < 400 {
			t.Fatalf("status %d for non-object %q", rec.Code, body)
		}
		if rec.Code >= 400 {
			var e ErrorResponse
			if err := json.Unmarshal(rec.Body.Bytes(), &e); err != nil || e.Error.Message == "" || e.Error.Type == "" {
				t.Fatalf("status %d without an OpenAI error body: %s", rec.Code, rec.Body.Bytes())
			}
			if rec.Code == http.StatusBadRequest && (e.Error.Param == nil || *e.Error.Param == "") {
				t.Fatalf("400 without a param for %q: %s", body, rec.Body.Bytes())
			}
		}
	})
}

func FuzzChatCompletions(f *testing.F) {
	fuzzRoute(f, "/v1/chat/completions",
		`{"model":"llama3.2","messages":[{"role":"user","content":"hi"}]}`,
		`{"messages":[{"role":"user","content":[{"type":"text","text":"a"},{"type":"image_url","image_url":{"url":"data:image/png;base64,aGk="}}]}],"stream":true,"stream_options":{"include_usage":true}}`,
		`{"messages":[{"role":"assistant","content":null,"tool_calls":[{"id":"c","type":"function","function":{"name":"f","arguments":"{}"}}]},{"role":"tool","tool_call_id":"c","content":"x"}],"tools":[{"type":"function","function":{"name":"f"}}],"tool_choice":{"type":"function","function":{"name":"f"}}}`,
		`{"messages":[{"role":"user","content":"x"}],"n":2,"stop":["a"],"response_format":{"type":"json_schema","json_schema":{"name":"s","schema":{}}},"reasoning_effort":"high","max_completion_tokens":3}`,
	)
}

func FuzzCompletions(f *testing.F) {
	fuzzRoute(f, "/v1/completions",
		`{"model":"llama3.2","prompt":"hi","max_tokens":5}`,
		`{"prompt":["hi"],"stream":true,"echo":true,"stop":"x"}`,
		`{"prompt":[1,2],"best_of":2}`,
	)
}

func FuzzEmbeddings(f *testing.F) {
	fuzzRoute(f, "/v1/embeddings",
		`{"model":"all-minilm","input":"hi"}`,
		`{"input":["a","b"],"encoding_format":"base64","dimensions":2}`,
		`{"input":[[1,2]]}`,
	)
}

func FuzzImages(f *testing.F) {
	fuzzRoute(f, "/v1/images/generations",
		`{"prompt":"cat","n":2,"response_format":"url","size":"256x256"}`,
		`{"prompt":"","n":99}`,
	)
}

func FuzzSpeech(f *testing.F) {
	fuzzRoute(f, "/v1/audio/speech",
		`{"input":"hello","voice":"alloy","response_format":"wav","speed":1.2}`,
		`{"input":"x","speed":0}`,
	)
}
