package anthropic

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/roundhouse-ai/roundhouse/host/backend"
	"github.com/roundhouse-ai/roundhouse/host/compat/compattest"
	"github.com/roundhouse-ai/roundhouse/sdk"
)

func newServer(t testing.TB, fb *compattest.Backend, opts Options) *httptest.Server {
	t.Helper()
	mux := http.NewServeMux()
	Register(mux, fb, opts)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

func post(t *testing.T, url, body string) (*http.Response, []byte) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("x-api-key", "unused")
	req.Header.Set("anthropic-version", "2023-06-01")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, b
}

func errorOf(t *testing.T, b []byte) ErrorBody {
	t.Helper()
	var e ErrorResponse
	if err := json.Unmarshal(b, &e); err != nil || e.Type != "error" || e.Error.Type == "" {
		t.Fatalf("not an Anthropic error: %s", b)
	}
	return e.Error
}

// Anthropic → sdk → Anthropic through the handler: the request reaches
// the backend translated, and the backend's answer comes back as a
// Message.
func TestHandlerRoundTrip(t *testing.T) {
	fb := compattest.New()
	fb.ChatFunc = func(_ context.Context, _ backend.Route, req *sdk.ChatRequest) (*sdk.ChatResponse, error) {
		// Answer with a tool call when tools are offered, else echo.
		last := req.Messages[len(req.Messages)-1]
		if len(req.Tools) > 0 && last.Role != "tool" {
			return &sdk.ChatResponse{Model: "llama3.2:latest", FinishReason: "tool_calls",
				Message: sdk.Message{Content: "Checking.", ToolCalls: []sdk.ToolCall{{ID: "call_9", Name: req.Tools[0].Name, Arguments: `{"city":"Paris"}`}}},
				Usage:   &sdk.Usage{PromptTokens: 12, CompletionTokens: 7}}, nil
		}
		return &sdk.ChatResponse{Model: "llama3.2:latest", FinishReason: "stop",
			Message: sdk.Message{Content: "echo: " + last.Content}, Usage: &sdk.Usage{PromptTokens: 5, CompletionTokens: 2}}, nil
	}
	srv := newServer(t, fb, Options{})
	tests := []struct {
		name, body, want string
	}{
		{
			"text",
			`{"model":"llama3.2","max_tokens":100,"messages":[{"role":"user","content":"hello"}]}`,
			`{"type":"message","role":"assistant","content":[{"type":"text","text":"echo: hello"}],"model":"llama3.2:latest","stop_reason":"end_turn","stop_sequence":null,"usage":{"input_tokens":5,"output_tokens":2}}`,
		},
		{
			"tool use",
			`{"model":"llama3.2","max_tokens":100,"tools":[{"name":"get_weather","input_schema":{"type":"object"}}],"messages":[{"role":"user","content":"weather?"}]}`,
			`{"type":"message","role":"assistant","content":[{"type":"text","text":"Checking."},{"type":"tool_use","id":"call_9","name":"get_weather","input":{"city":"Paris"}}],"model":"llama3.2:latest","stop_reason":"tool_use","stop_sequence":null,"usage":{"input_tokens":12,"output_tokens":7}}`,
		},
		{
			"tool result",
			`{"model":"llama3.2","max_tokens":100,"tools":[{"name":"get_weather","input_schema":{"type":"object"}}],"messages":[{"role":"user","content":"weather?"},` +
				`{"role":"assistant","content":[{"type":"tool_use","id":"call_9","name":"get_weather","input":{"city":"Paris"}}]},` +
				`{"role":"user","content":[{"type":"tool_result","tool_use_id":"call_9","content":"sunny"}]}]}`,
			`{"type":"message","role":"assistant","content":[{"type":"text","text":"echo: sunny"}],"model":"llama3.2:latest","stop_reason":"end_turn","stop_sequence":null,"usage":{"input_tokens":5,"output_tokens":2}}`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, b := post(t, srv.URL+"/v1/messages", tt.body)
			var m map[string]any
			if err := json.Unmarshal(b, &m); err != nil || resp.StatusCode != 200 {
				t.Fatalf("%d %s", resp.StatusCode, b)
			}
			if id, _ := m["id"].(string); !strings.HasPrefix(id, "msg_") {
				t.Fatalf("id %v", m["id"])
			}
			delete(m, "id")
			got, _ := json.Marshal(m)
			var want map[string]any
			_ = json.Unmarshal([]byte(tt.want), &want)
			wantJSON, _ := json.Marshal(want)
			if string(got) != string(wantJSON) {
				t.Fatalf("got  %s\nwant %s", got, wantJSON)
			}
		})
	}
}

func TestHandlerStream(t *testing.T) {
	fb := compattest.New()
	srv := newServer(t, fb, Options{})
	resp, b := post(t, srv.URL+"/v1/messages", `{"model":"llama3.2","max_tokens":100,"stream":true,"messages":[{"role":"user","content":"hi"}]}`)
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/event-stream" {
		t.Fatalf("%d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	events, err := readEvents(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	msg, err := accumulate(events)
	if err != nil {
		t.Fatalf("%v\n%s", err, b)
	}
	if !strings.HasPrefix(msg.ID, "msg_") || msg.Model != "llama3.2:latest" || *msg.Content[0].Text != "Hello" ||
		*msg.StopReason != "end_turn" || msg.Usage.OutputTokens != 2 || msg.Usage.InputTokens != 3 {
		got, _ := json.Marshal(msg)
		t.Fatalf("message %s", got)
	}
}

func TestHandlerStreamMidStreamError(t *testing.T) {
	fb := compattest.New()
	fb.Chunks = []*sdk.ChatChunk{{Content: "partial"}}
	fb.StreamErr = sdk.Errorf(sdk.CodeServiceUnavailable, "engine overloaded")
	srv := newServer(t, fb, Options{})
	resp, b := post(t, srv.URL+"/v1/messages", `{"model":"llama3.2","max_tokens":100,"stream":true,"messages":[{"role":"user","content":"hi"}]}`)
	if resp.StatusCode != 200 {
		t.Fatalf("status %d", resp.StatusCode)
	}
	events, err := readEvents(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	_, err = accumulate(events)
	var se *streamError
	if !errors.As(err, &se) || se.ErrorResponse.Error.Type != "overloaded_error" || se.ErrorResponse.Error.Message != "engine overloaded" {
		t.Fatalf("want an overloaded_error event, got %v\n%s", err, b)
	}
	if !strings.HasSuffix(string(b), "event: error\ndata: {\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\",\"message\":\"engine overloaded\"}}\n\n") {
		t.Fatalf("stream tail:\n%s", b)
	}
}

func TestHandlerStreamWithoutDoneIsClosed(t *testing.T) {
	fb := compattest.New()
	fb.Chunks = []*sdk.ChatChunk{{Content: "x"}}
	srv := newServer(t, fb, Options{})
	_, b := post(t, srv.URL+"/v1/messages", `{"model":"llama3.2","max_tokens":100,"stream":true,"messages":[{"role":"user","content":"hi"}]}`)
	events, _ := readEvents(bytes.NewReader(b))
	if msg, err := accumulate(events); err != nil || *msg.Content[0].Text != "x" {
		t.Fatalf("%v\n%s", err, b)
	}
}

func TestHandlerDisconnectCancelsBackend(t *testing.T) {
	fb := compattest.New()
	fb.BlockStream = true
	srv := newServer(t, fb, Options{})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, srv.URL+"/v1/messages",
		strings.NewReader(`{"model":"llama3.2","max_tokens":100,"stream":true,"messages":[{"role":"user","content":"hi"}]}`))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if line, err := bufio.NewReader(resp.Body).ReadString('\n'); err != nil || line != "event: message_start\n" {
		t.Fatalf("first line %q %v", line, err)
	}
	<-fb.Blocked
	cancel()
	select {
	case <-fb.Canceled:
	case <-time.After(5 * time.Second):
		t.Fatal("backend context not cancelled")
	}
}

func TestHandlerErrors(t *testing.T) {
	srv := newServer(t, compattest.New(), Options{MaxBodyBytes: 512})
	tests := []struct {
		name, body string
		status     int
		typ, msg   string
	}{
		{"malformed", `{"model":`, 400, "invalid_request_error", "body"},
		{"wrong type", `{"model":"m","max_tokens":"many","messages":[]}`, 400, "invalid_request_error", "max_tokens"},
		{"missing max_tokens", `{"model":"llama3.2","messages":[{"role":"user","content":"x"}]}`, 400, "invalid_request_error", "max_tokens"},
		{"missing model", `{"max_tokens":5,"messages":[{"role":"user","content":"x"}]}`, 400, "invalid_request_error", "model"},
		{"unknown model", `{"model":"ghost","max_tokens":5,"messages":[{"role":"user","content":"x"}]}`, 404, "not_found_error", "ghost"},
		{"unknown model stream", `{"model":"ghost","max_tokens":5,"stream":true,"messages":[{"role":"user","content":"x"}]}`, 404, "not_found_error", "ghost"},
		{"too large", `{"model":"m","max_tokens":5,"messages":[{"role":"user","content":"` + strings.Repeat("x", 1024) + `"}]}`, 413, "request_too_large", "body"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, b := post(t, srv.URL+"/v1/messages", tt.body)
			e := errorOf(t, b)
			if resp.StatusCode != tt.status || e.Type != tt.typ || !strings.Contains(e.Message, tt.msg) {
				t.Fatalf("%d %s", resp.StatusCode, b)
			}
		})
	}
}
