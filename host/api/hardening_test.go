package api_test

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/roundhouse-ai/roundhouse/internal/hosttest"
)

// TestNativeRejectsBadInputFirst: values out of range, a missing prompt or
// input, and a model name that is not UTF-8 are answered 400 naming the
// field — never 500 with gRPC's marshalling text.
func TestNativeRejectsBadInputFirst(t *testing.T) {
	h := hosttest.Start(t, hosttest.Options{})
	msgs := `"messages":[{"role":"user","content":"x"}]`
	tests := []struct{ path, body, field string }{
		{"/v1/services/chat", `{` + msgs + `,"options":{"max_tokens":-1}}`, "options.max_tokens"},
		{"/v1/services/chat", `{` + msgs + `,"options":{"temperature":1e308}}`, "options.temperature"},
		{"/v1/services/chat", `{` + msgs + `,"options":{"temperature":-0.5}}`, "options.temperature"},
		{"/v1/services/chat", `{` + msgs + `,"options":{"temperature":1e400}}`, "options.temperature"},
		{"/v1/services/chat", `{` + msgs + `,"options":{"top_p":2}}`, "options.top_p"},
		{"/v1/services/chat", `{` + msgs + `,"options":{"top_k":-1}}`, "options.top_k"},
		{"/v1/services/chat", `{` + msgs + `,"options":{"num_ctx":-1}}`, "options.num_ctx"},
		{"/v1/services/chat", `{` + msgs + `,"options":{"presence_penalty":-3}}`, "options.presence_penalty"},
		{"/v1/services/chat", `{"stream":true,` + msgs + `,"options":{"frequency_penalty":9}}`, "options.frequency_penalty"},
		{"/v1/services/generate", `{"prompt":""}`, "prompt"},
		{"/v1/services/generate", `{"stream":true}`, "prompt"},
		{"/v1/services/generate", `{"prompt":"x","options":{"max_tokens":0}}`, "options.max_tokens"},
		{"/v1/services/embed", `{"input":null}`, "input"},
		{"/v1/services/embed", `{"input":[]}`, "input"},
		{"/v1/services/embed", `{"input":["a",""]}`, "input[1]"},
	}
	for _, tt := range tests {
		resp, body := post(t, h.URL+tt.path, tt.body)
		if resp.StatusCode != 400 || !strings.Contains(body, `"field":"`+tt.field+`"`) {
			t.Errorf("%s %s: %d %s, want 400 naming %s", tt.path, tt.body, resp.StatusCode, body, tt.field)
		}
	}

	req, _ := http.NewRequest(http.MethodDelete, h.URL+"/v1/models/%ff%fe", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 400 || !strings.Contains(string(b), `"field":"model"`) || strings.Contains(string(b), "marshal") {
		t.Errorf("DELETE /v1/models/%%ff%%fe: %d %s, want 400 naming model", resp.StatusCode, b)
	}
	resp, body := post(t, h.URL+"/v1/models/pull", "{\"model\":\"a\\u0001b\"}")
	if resp.StatusCode != 400 || strings.Contains(body, "started") {
		t.Errorf("pull of a hostile name: %d %s, want 400 before any stream", resp.StatusCode, body)
	}
}
