package anthropicwire_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/roundhouse-ai/roundhouse/internal/openaitest/fake"
	"github.com/roundhouse-ai/roundhouse/sdk/wire/anthropicwire"
	"github.com/roundhouse-ai/roundhouse/sdk/wire/openaiwire"
	"github.com/roundhouse-ai/roundhouse/types"
)

const claudeKey = "sk-ant-api03-fake-0000000000000000wxyz"

// oneKey is the smallest openaiwire.Keys: one key, always usable.
type oneKey struct {
	key    string
	failed []*types.Error
}

func (k *oneKey) Len() int { return 1 }
func (k *oneKey) Acquire(_ string, skip map[string]bool) (openaiwire.Lease, error) {
	if skip[k.key] {
		return nil, openaiwire.ErrKeysTried
	}
	return lease{k}, nil
}

type lease struct{ k *oneKey }

func (l lease) Key() string           { return l.k.key }
func (l lease) Masked() string        { return types.MaskKey(l.k.key) }
func (l lease) Succeeded()            {}
func (l lease) Failed(e *types.Error) { l.k.failed = append(l.k.failed, e) }
func (l lease) Release()              {}

func startClaude(t *testing.T, opts fake.Options) *fake.Server {
	t.Helper()
	opts.Anthropic = true
	if opts.Keys == nil {
		opts.Keys = []string{claudeKey}
	}
	s := fake.NewServer(opts)
	t.Cleanup(s.Close)
	return s
}

func newClient(url string, keys openaiwire.Keys) *anthropicwire.Client {
	return anthropicwire.New(&openaiwire.Client{BaseURL: url, Name: "claude", Keys: keys, MaxRetries: 1})
}

func user(model, text string) *types.ChatRequest {
	return &types.ChatRequest{Model: model, Messages: []types.Message{{Role: "user", Content: text}}}
}

func wantCode(t *testing.T, err error, code types.Code) *types.Error {
	t.Helper()
	e := types.AsError(err)
	if err == nil || e.Code != code {
		t.Fatalf("error %v, want code %s", err, code)
	}
	return e
}

func TestChatSendsAnthropicRequest(t *testing.T) {
	srv := startClaude(t, fake.Options{})
	c := newClient(srv.URL, &oneKey{key: claudeKey})
	req := &types.ChatRequest{Model: "claude-sonnet-4-5", Messages: []types.Message{
		{Role: "system", Content: "be brief"}, {Role: "user", Content: "hello there"}}}
	resp, err := c.Chat(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	if resp.Message.Content != "echo: hello there" || resp.Message.Role != "assistant" || resp.FinishReason != "stop" ||
		resp.Model != "claude-sonnet-4-5" || resp.Usage == nil || resp.Usage.CompletionTokens == 0 || resp.Usage.PromptTokens == 0 {
		t.Fatalf("answer %+v usage %+v", resp, resp.Usage)
	}
	got, _ := srv.LastRequest("/v1/messages")
	if got.Key != claudeKey || got.Header.Get("Authorization") != "" || got.Header.Get("Anthropic-Version") != anthropicwire.DefaultVersion {
		t.Fatalf("headers %v key %q", got.Header, got.Key)
	}
	body := got.JSON()
	if body["system"] != "be brief" || body["max_tokens"] != float64(anthropicwire.DefaultMaxTokens) || body["stream"] != nil {
		t.Fatalf("body %v", body)
	}
	if msgs := body["messages"].([]any); len(msgs) != 1 || msgs[0].(map[string]any)["role"] != "user" {
		t.Fatalf("messages %v: the system prompt is not a message", msgs)
	}
}

func collect(t *testing.T, c *anthropicwire.Client, req *types.ChatRequest) ([]*types.ChatChunk, error) {
	t.Helper()
	var out []*types.ChatChunk
	err := c.ChatStream(context.Background(), req, func(ch *types.ChatChunk) error {
		out = append(out, ch)
		return nil
	})
	return out, err
}

func TestChatStream(t *testing.T) {
	srv := startClaude(t, fake.Options{Chat: func(*fake.ChatRequest) (*fake.Reply, error) {
		return &fake.Reply{Content: "one two three four", Reasoning: "let me think"}, nil
	}})
	c := newClient(srv.URL, &oneKey{key: claudeKey})
	chunks, err := collect(t, c, user("claude-haiku-4-5", "count"))
	if err != nil {
		t.Fatal(err)
	}
	var text, thinking strings.Builder
	for _, ch := range chunks[:len(chunks)-1] {
		text.WriteString(ch.Content)
		thinking.WriteString(ch.Thinking)
		if ch.Done {
			t.Fatal("done before the last chunk")
		}
	}
	last := chunks[len(chunks)-1]
	if text.String() != "one two three four" || thinking.String() != "let me think" || chunks[0].Role != "assistant" ||
		!last.Done || last.FinishReason != "stop" || last.Usage == nil || last.Usage.CompletionTokens != 7 || last.Usage.PromptTokens == 0 {
		t.Fatalf("text %q thinking %q last %+v usage %+v", text.String(), thinking.String(), last, last.Usage)
	}
	if len(chunks) < 5 {
		t.Fatalf("%d chunks: the answer should arrive in pieces", len(chunks))
	}
	got, _ := srv.LastRequest("/v1/messages")
	if got.JSON()["stream"] != true {
		t.Fatal("stream not asked for")
	}
}

func TestToolsRoundTrip(t *testing.T) {
	srv := startClaude(t, fake.Options{})
	c := newClient(srv.URL, &oneKey{key: claudeKey})
	weather := types.Tool{Type: "function", Name: "get_weather", Description: "weather of a city",
		Parameters: map[string]any{"type": "object", "properties": map[string]any{"input": map[string]any{"type": "string"}}}}
	req := user("claude-sonnet-4-5", "Paris")
	req.Tools = []types.Tool{weather}
	req.ToolChoice = &types.ToolChoice{Mode: types.ToolChoiceRequired}

	resp, err := c.Chat(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	calls := resp.Message.ToolCalls
	if resp.FinishReason != "tool_calls" || len(calls) != 1 || calls[0].Name != "get_weather" ||
		calls[0].Arguments != `{"input":"Paris"}` || !strings.HasPrefix(calls[0].ID, "toolu_") {
		t.Fatalf("answer %+v", resp)
	}
	body, _ := srv.LastRequest("/v1/messages")
	if tc := body.JSON()["tool_choice"].(map[string]any); tc["type"] != "any" {
		t.Fatalf("tool_choice %v, want any", tc)
	}
	// The stream assembles the same call from input_json_delta pieces.
	chunks, err := collect(t, c, req)
	if err != nil {
		t.Fatal(err)
	}
	var streamed []types.ToolCall
	for _, ch := range chunks {
		streamed = append(streamed, ch.ToolCalls...)
	}
	if last := chunks[len(chunks)-1]; len(streamed) != 1 || streamed[0].Arguments != `{"input":"Paris"}` ||
		streamed[0].Name != "get_weather" || last.FinishReason != "tool_calls" {
		t.Fatalf("streamed calls %+v, last %+v", streamed, chunks[len(chunks)-1])
	}
	// The result goes back as a tool_result block answering the tool_use.
	follow := &types.ChatRequest{Model: req.Model, Tools: req.Tools, Messages: []types.Message{
		{Role: "user", Content: "Paris"},
		{Role: "assistant", ToolCalls: calls},
		{Role: "tool", ToolCallID: calls[0].ID, Content: "sunny, 21 C"},
	}}
	resp, err = c.Chat(context.Background(), follow)
	if err != nil {
		t.Fatal(err)
	}
	if resp.Message.Content != "tool said: sunny, 21 C" {
		t.Fatalf("answer %q", resp.Message.Content)
	}
	// A tool result for a call the previous turn did not make is refused
	// by the API, and the error says which field.
	follow.Messages[2].ToolCallID = "toolu_unknown"
	_, err = c.Chat(context.Background(), follow)
	if e := wantCode(t, err, types.CodeInvalidArgument); !strings.Contains(e.Message, "tool_use_id") {
		t.Fatalf("message %q", e.Message)
	}
}

func TestUpstreamErrors(t *testing.T) {
	srv := startClaude(t, fake.Options{ContextLimit: 200, Intercept: func(r *http.Request, _ string) *fake.APIError {
		switch r.Header.Get("X-Test") {
		case "429":
			return &fake.APIError{Status: 429, Message: "Number of requests has exceeded your per-minute rate limit",
				Header: http.Header{"Retry-After": {"7"}}}
		case "529":
			return &fake.APIError{Status: 529, Message: "Overloaded"}
		case "credit":
			return &fake.APIError{Status: 400, Message: "Your credit balance is too low to access the Anthropic API."}
		}
		return nil
	}})
	ctx := context.Background()
	keys := &oneKey{key: "sk-ant-wrong-00000000000000000000"}
	_, err := newClient(srv.URL, keys).Chat(ctx, user("claude-sonnet-4-5", "hi"))
	e := wantCode(t, err, types.CodeUpstreamAuth)
	if r := openaiwire.RefusalOf(e); r == nil || r.State != openaiwire.StateUnauthorized || len(keys.failed) != 1 {
		t.Fatalf("refusal %+v, lease failures %v", r, keys.failed)
	}

	c := newClient(srv.URL, &oneKey{key: claudeKey})
	_, err = c.Chat(ctx, user("claude-9", "hi"))
	wantCode(t, err, types.CodeModelNotFound)
	_, err = c.Chat(ctx, user("claude-sonnet-4-5", strings.Repeat("long words ", 50)))
	wantCode(t, err, types.CodeContextTooLong)
	_, err = c.Chat(ctx, &types.ChatRequest{Messages: []types.Message{{Role: "user", Content: "x"}}})
	if e := wantCode(t, err, types.CodeInvalidArgument); e.Field != "model" {
		t.Fatalf("field %q", e.Field)
	}

	withHeader := func(v string) *anthropicwire.Client {
		return anthropicwire.New(&openaiwire.Client{BaseURL: srv.URL, Name: "claude", Keys: &oneKey{key: claudeKey},
			MaxRetries: 1, Header: http.Header{"X-Test": {v}}})
	}
	_, err = withHeader("429").Chat(ctx, user("claude-sonnet-4-5", "hi"))
	if e := wantCode(t, err, types.CodeUpstreamRateLimited); e.RetryAfter != 7*time.Second || !e.Retryable {
		t.Fatalf("rate limit %+v", e)
	}
	srv.Reset()
	_, err = withHeader("529").Chat(ctx, user("claude-sonnet-4-5", "hi"))
	if e := wantCode(t, err, types.CodeUpstreamError); !e.Retryable || len(srv.Requests()) != 2 {
		t.Fatalf("overloaded %+v after %d requests (want one retry)", e, len(srv.Requests()))
	}
	_, err = withHeader("credit").Chat(ctx, user("claude-sonnet-4-5", "hi"))
	wantCode(t, err, types.CodeUpstreamQuota)

	// Without anthropic-version the API refuses the request.
	raw := &openaiwire.Client{BaseURL: srv.URL, Name: "claude", Keys: &oneKey{key: claudeKey}, Auth: openaiwire.AuthXAPIKey,
		MapError: anthropicwire.MapError}
	_, err = raw.PostJSON(ctx, "/messages", "claude-sonnet-4-5", []byte(`{"model":"claude-sonnet-4-5","max_tokens":5,"messages":[{"role":"user","content":"x"}]}`))
	if e := wantCode(t, err, types.CodeInvalidArgument); !strings.Contains(e.Message, "anthropic-version") {
		t.Fatalf("message %q", e.Message)
	}
}

// An error event ends the stream with that error; a stream cut before
// message_stop, or holding garbage, ends with upstream_error.
func TestStreamFailures(t *testing.T) {
	bodies := map[string]string{
		"error event": "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"model\":\"m\",\"usage\":{\"input_tokens\":3}}}\n\n" +
			"event: error\ndata: {\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\",\"message\":\"Overloaded\"}}\n\n",
		"cut": "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"model\":\"m\"}}\n\n" +
			"event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"text\",\"text\":\"\"}}\n\n" +
			"event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"Hel\"}}\n\n",
		"garbage":      "event: message_start\ndata: {not json\n\n",
		"orphan delta": "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":3,\"delta\":{\"type\":\"input_json_delta\",\"partial_json\":\"{\"}}\n\n",
	}
	for name, body := range bodies {
		t.Run(name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				_, _ = io.Copy(io.Discard, r.Body)
				w.Header().Set("Content-Type", "text/event-stream")
				_, _ = io.WriteString(w, body)
			}))
			defer srv.Close()
			keys := &oneKey{key: claudeKey}
			chunks, err := collect(t, newClient(srv.URL, keys), user("m", "hi"))
			e := wantCode(t, err, types.CodeUpstreamError)
			for _, ch := range chunks {
				if ch.Done {
					t.Fatal("a broken stream must not end with a done chunk")
				}
			}
			if name == "error event" && (!strings.Contains(e.Message, "Overloaded") || e.Retryable) {
				t.Fatalf("error %+v", e)
			}
			if len(keys.failed) != 1 {
				t.Fatalf("the lease saw %d failures, want 1", len(keys.failed))
			}
		})
	}
}

func TestMapError(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	body := func(typ, msg string) []byte {
		b, _ := json.Marshal(map[string]any{"type": "error", "error": map[string]string{"type": typ, "message": msg}})
		return b
	}
	cases := []struct {
		name   string
		status int
		h      http.Header
		body   []byte
		code   types.Code
		retry  bool
		after  time.Duration
		model  string // refusal for the model
	}{
		{"401", 401, nil, body("authentication_error", "invalid x-api-key"), types.CodeUpstreamAuth, false, 0, ""},
		{"403 model", 403, nil, body("permission_error", "Your API key does not have permission to use claude-opus-4-1"), types.CodeUpstreamAuth, false, 0, "claude-opus-4-1"},
		{"404", 404, nil, body("not_found_error", "model: claude-9"), types.CodeModelNotFound, false, 0, ""},
		{"404 html", 404, nil, []byte("<html>nope</html>"), types.CodeUpstreamError, false, 0, ""},
		{"413", 413, nil, body("request_too_large", "Request exceeds the maximum allowed number of bytes."), types.CodeInvalidArgument, false, 0, ""},
		{"429 reset header", 429, http.Header{"Anthropic-Ratelimit-Requests-Remaining": {"0"},
			"Anthropic-Ratelimit-Requests-Reset": {now.Add(42 * time.Second).Format(time.RFC3339)}},
			body("rate_limit_error", "slow down"), types.CodeUpstreamRateLimited, true, 42 * time.Second, ""},
		{"500", 500, nil, body("api_error", "Internal server error"), types.CodeUpstreamError, true, 0, ""},
		{"529", 529, nil, body("overloaded_error", "Overloaded"), types.CodeUpstreamError, true, 0, ""},
		{"prompt too long", 400, nil, body("invalid_request_error", "prompt is too long: 210000 tokens > 200000 maximum"), types.CodeContextTooLong, false, 0, ""},
		{"bad request", 400, nil, body("invalid_request_error", "max_tokens: Field required"), types.CodeInvalidArgument, false, 0, ""},
		{"stream event", 0, nil, body("overloaded_error", "Overloaded"), types.CodeUpstreamError, true, 0, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := anthropicwire.MapError("claude", c.status, c.h, c.body, nil, now, "claude-opus-4-1")
			if e.Code != c.code || e.Retryable != c.retry || e.RetryAfter != c.after || !strings.Contains(e.Message, `provider "claude"`) {
				t.Fatalf("%+v", e)
			}
			if r := openaiwire.RefusalOf(e); c.model != "" && (r == nil || r.Model != c.model) {
				t.Fatalf("refusal %+v, want for model %s", r, c.model)
			}
		})
	}
}

func TestBuildMessages(t *testing.T) {
	no := false
	req := &types.ChatRequest{Model: "claude-sonnet-4-5", ParallelToolCalls: &no,
		Tools:      []types.Tool{{Name: "f"}},
		ToolChoice: &types.ToolChoice{Mode: types.ToolChoiceFunction, Name: "f"},
		Options:    &types.Options{Stop: []string{"END"}, Think: "low"},
		Extra:      map[string]any{"metadata": map[string]any{"user_id": "u1"}},
		Messages: []types.Message{
			{Role: "system", Content: "a"}, {Role: "system", Content: "b"},
			{Role: "user", Content: "look", Images: [][]byte{[]byte("\x89PNG\r\n\x1a\n....")}},
			{Role: "assistant", ToolCalls: []types.ToolCall{{ID: "t1", Name: "f", Arguments: `{"x":1}`}, {ID: "t2", Name: "f"}}},
			{Role: "tool", ToolCallID: "t1", Content: "r1"}, {Role: "tool", ToolCallID: "t2", Content: "r2"},
		}}
	b, err := anthropicwire.BuildMessages(req, true, 100)
	if err != nil {
		t.Fatal(err)
	}
	var got struct {
		System    string
		MaxTokens int `json:"max_tokens"`
		Stream    bool
		Messages  []struct {
			Role    string
			Content []map[string]any
		}
		ToolChoice map[string]any `json:"tool_choice"`
		Tools      []map[string]any
		Thinking   map[string]any
		Stop       []string `json:"stop_sequences"`
		Metadata   map[string]any
	}
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	if got.System != "a\n\nb" || !got.Stream || len(got.Messages) != 3 || got.Stop[0] != "END" || got.Metadata["user_id"] != "u1" {
		t.Fatalf("%s", b)
	}
	if m := got.Messages[0]; m.Content[0]["type"] != "image" || m.Content[0]["source"].(map[string]any)["media_type"] != "image/png" || m.Content[1]["text"] != "look" {
		t.Fatalf("user turn %v", m)
	}
	if m := got.Messages[1]; m.Role != "assistant" || len(m.Content) != 2 || m.Content[1]["input"].(map[string]any) == nil {
		t.Fatalf("assistant turn %v", m)
	}
	if m := got.Messages[2]; m.Role != "user" || len(m.Content) != 2 || m.Content[1]["tool_use_id"] != "t2" {
		t.Fatalf("tool results must share one user turn: %v", m)
	}
	if got.ToolChoice["type"] != "tool" || got.ToolChoice["name"] != "f" || got.ToolChoice["disable_parallel_tool_use"] != true {
		t.Fatalf("tool_choice %v", got.ToolChoice)
	}
	if got.Tools[0]["input_schema"] == nil || got.Thinking["budget_tokens"] != 1024.0 || got.MaxTokens <= 1024 {
		t.Fatalf("tools %v thinking %v max_tokens %d", got.Tools, got.Thinking, got.MaxTokens)
	}
	for field, bad := range map[string]*types.ChatRequest{
		"messages[0].tool_call_id":            {Model: "m", Messages: []types.Message{{Role: "tool", Content: "x"}}},
		"messages[0].tool_calls[0].arguments": {Model: "m", Messages: []types.Message{{Role: "assistant", ToolCalls: []types.ToolCall{{Name: "f", Arguments: "[1]"}}}}},
		"options.response_format":             {Model: "m", Messages: []types.Message{{Role: "user", Content: "x"}}, Options: &types.Options{ResponseFormat: &types.ResponseFormat{Type: "json_object"}}},
		"messages":                            {Model: "m", Messages: []types.Message{{Role: "system", Content: "x"}}},
	} {
		_, err := anthropicwire.BuildMessages(bad, false, 10)
		if e := types.AsError(err); err == nil || e.Field != field {
			t.Errorf("%s: error %v (field %q)", field, err, e.Field)
		}
	}
}
