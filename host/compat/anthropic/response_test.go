package anthropic

import (
	"encoding/json"
	"errors"
	"testing"

	"github.com/roundhouse-ai/roundhouse/host/httpx"
	"github.com/roundhouse-ai/roundhouse/sdk"
)

func TestStopReason(t *testing.T) {
	tests := []struct {
		in   string
		tool bool
		want string
	}{
		{"", false, "end_turn"}, {"stop", false, "end_turn"}, {"length", false, "max_tokens"}, {"length", true, "max_tokens"},
		{"tool_calls", false, "tool_use"}, {"stop", true, "tool_use"}, {"content_filter", false, "refusal"},
	}
	for _, tt := range tests {
		if got := StopReason(tt.in, tt.tool); got != tt.want {
			t.Errorf("StopReason(%q,%v) = %q, want %q", tt.in, tt.tool, got, tt.want)
		}
	}
}

func TestMessageToAnthropic(t *testing.T) {
	pinIDs(t)
	tests := []struct {
		name string
		resp *sdk.ChatResponse
		want string
	}{
		{
			name: "text",
			resp: &sdk.ChatResponse{Model: "llama3.2:latest", Message: sdk.Message{Role: "assistant", Content: "Hi!"}, FinishReason: "stop",
				Usage: &sdk.Usage{PromptTokens: 10, CompletionTokens: 3}},
			want: `{"id":"msg_1","type":"message","role":"assistant","content":[{"type":"text","text":"Hi!"}],"model":"llama3.2:latest",` +
				`"stop_reason":"end_turn","stop_sequence":null,"usage":{"input_tokens":10,"output_tokens":3}}`,
		},
		{
			name: "thinking and tools, bad arguments become {}",
			resp: &sdk.ChatResponse{Message: sdk.Message{Thinking: "hmm", ToolCalls: []sdk.ToolCall{
				{ID: "toolu_a", Name: "f", Arguments: `{"x": [1, 2]}`}, {Name: "g", Arguments: `oops`}}}},
			want: `{"id":"msg_1","type":"message","role":"assistant","content":[{"type":"thinking","thinking":"hmm","signature":""},` +
				`{"type":"tool_use","id":"toolu_a","name":"f","input":{"x":[1,2]}},{"type":"tool_use","id":"toolu_x","name":"g","input":{}}],` +
				`"model":"asked","stop_reason":"tool_use","stop_sequence":null,"usage":{"input_tokens":0,"output_tokens":0}}`,
		},
		{
			name: "empty answer keeps one text block; max_tokens",
			resp: &sdk.ChatResponse{Model: "m", FinishReason: "length"},
			want: `{"id":"msg_1","type":"message","role":"assistant","content":[{"type":"text","text":""}],"model":"m",` +
				`"stop_reason":"max_tokens","stop_sequence":null,"usage":{"input_tokens":0,"output_tokens":0}}`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pinIDs(t)
			got, _ := json.Marshal(MessageToAnthropic(tt.resp, "asked", "msg_1"))
			if string(got) != tt.want {
				t.Fatalf("got  %s\nwant %s", got, tt.want)
			}
		})
	}
}

func TestToError(t *testing.T) {
	tests := []struct {
		err    error
		status int
		body   string
	}{
		{sdk.Errorf(sdk.CodeModelNotFound, `model "x" not found`), 404, `{"type":"error","error":{"type":"not_found_error","message":"model \"x\" not found"}}`},
		{sdk.FieldError("max_tokens", "is required"), 400, `{"type":"error","error":{"type":"invalid_request_error","message":"max_tokens: is required"}}`},
		{sdk.Errorf(sdk.CodeUnauthenticated, "key"), 401, `{"type":"error","error":{"type":"authentication_error","message":"key"}}`},
		{sdk.Errorf(sdk.CodePermissionDenied, "no"), 403, `{"type":"error","error":{"type":"permission_error","message":"no"}}`},
		{sdk.Errorf(sdk.CodeRateLimited, "slow"), 429, `{"type":"error","error":{"type":"rate_limit_error","message":"slow"}}`},
		{sdk.Errorf(sdk.CodeServiceUnavailable, "busy"), 503, `{"type":"error","error":{"type":"overloaded_error","message":"busy"}}`},
		{sdk.Errorf(sdk.CodeUpstreamTimeout, "late"), 504, `{"type":"error","error":{"type":"timeout_error","message":"late"}}`},
		{sdk.Errorf(sdk.CodeModelUnsupported, "no tools"), 409, `{"type":"error","error":{"type":"invalid_request_error","message":"no tools"}}`},
		{errors.New("boom"), 500, `{"type":"error","error":{"type":"api_error","message":"boom"}}`},
		{&sdk.Error{Code: sdk.CodeInvalidArgument, Field: "body", Message: "big", Err: httpx.ErrTooLarge}, 413, `{"type":"error","error":{"type":"request_too_large","message":"body: big"}}`},
	}
	for _, tt := range tests {
		status, body := ToError(tt.err)
		b, _ := json.Marshal(body)
		if status != tt.status || string(b) != tt.body {
			t.Errorf("got %d %s, want %d %s", status, b, tt.status, tt.body)
		}
	}
}
