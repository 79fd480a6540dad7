package anthropic

import (
	"encoding/json"
	"reflect"
	"testing"

	"github.com/roundhouse-ai/roundhouse/sdk"
)

func ptr[T any](v T) *T { return &v }

func fieldOf(err error) string {
	if e := sdk.AsError(err); e != nil {
		return e.Field
	}
	return ""
}

func TestMessagesRequestToSDK(t *testing.T) {
	tests := []struct {
		name  string
		body  string
		want  *sdk.ChatRequest
		field string
	}{
		{
			name: "minimal",
			body: `{"model":"claude-x","max_tokens":1024,"messages":[{"role":"user","content":"Hello"}]}`,
			want: &sdk.ChatRequest{Model: "claude-x", Messages: []sdk.Message{{Role: "user", Content: "Hello"}},
				Options: &sdk.Options{MaxTokens: ptr(1024)}},
		},
		{
			name: "system blocks, images, prefill, sampling, metadata ignored",
			body: `{"model":"m","max_tokens":10,"system":[{"type":"text","text":"a"},{"type":"text","text":"b"}],
				"messages":[{"role":"user","content":[{"type":"text","text":"what is"},{"type":"image","source":{"type":"base64","media_type":"image/png","data":"aGk="}},{"type":"text","text":"this?"}]},
				{"role":"assistant","content":[{"type":"text","text":"It is "},{"type":"text","text":"a"}]}],
				"stop_sequences":["\n\nHuman:"],"temperature":0.5,"top_p":0.9,"top_k":5,"metadata":{"user_id":"u"}}`,
			want: &sdk.ChatRequest{Model: "m", Messages: []sdk.Message{
				{Role: "system", Content: "a\nb"},
				{Role: "user", Content: "what is\nthis?", Images: [][]byte{[]byte("hi")}},
				{Role: "assistant", Content: "It is a"}},
				Options: &sdk.Options{MaxTokens: ptr(10), Stop: []string{"\n\nHuman:"}, Temperature: ptr(0.5), TopP: ptr(0.9), TopK: ptr(5)}},
		},
		{
			name: "tool use round trip, thinking kept, tool_choice tool",
			body: `{"model":"m","max_tokens":4000,"system":"sys",
				"tools":[{"name":"get_weather","description":"d","input_schema":{"type":"object","properties":{"city":{"type":"string"}}}}],
				"tool_choice":{"type":"tool","name":"get_weather","disable_parallel_tool_use":true},
				"thinking":{"type":"enabled","budget_tokens":2048},
				"messages":[{"role":"user","content":"weather?"},
				{"role":"assistant","content":[{"type":"thinking","thinking":"need tool","signature":"sig"},{"type":"text","text":"Let me check."},
					{"type":"tool_use","id":"toolu_1","name":"get_weather","input":{"city": "Paris"}}]},
				{"role":"user","content":[{"type":"tool_result","tool_use_id":"toolu_1","content":"sunny"},
					{"type":"tool_result","tool_use_id":"toolu_2","content":[{"type":"text","text":"boom"}],"is_error":true},
					{"type":"text","text":"thanks"}]}]}`,
			want: &sdk.ChatRequest{Model: "m", Messages: []sdk.Message{
				{Role: "system", Content: "sys"},
				{Role: "user", Content: "weather?"},
				{Role: "assistant", Content: "Let me check.", Thinking: "need tool",
					ToolCalls: []sdk.ToolCall{{ID: "toolu_1", Name: "get_weather", Arguments: `{"city":"Paris"}`}}},
				{Role: "tool", ToolCallID: "toolu_1", Content: "sunny"},
				{Role: "tool", ToolCallID: "toolu_2", Content: "Error: boom"},
				{Role: "user", Content: "thanks"}},
				Tools: []sdk.Tool{{Type: "function", Name: "get_weather", Description: "d",
					Parameters: map[string]any{"type": "object", "properties": map[string]any{"city": map[string]any{"type": "string"}}}}},
				Options:    &sdk.Options{MaxTokens: ptr(4000), Think: "true"},
				ToolChoice: &sdk.ToolChoice{Mode: sdk.ToolChoiceFunction, Name: "get_weather"}, ParallelToolCalls: ptr(false),
				Extra: map[string]any{"thinking_budget_tokens": 2048}},
		},
		{
			name: "tool_result only: no empty user message; any = required",
			body: `{"model":"m","max_tokens":5,"tools":[{"name":"f","input_schema":{"type":"object"}}],"tool_choice":{"type":"any"},
				"messages":[{"role":"user","content":[{"type":"tool_result","tool_use_id":"t"}]}]}`,
			want: &sdk.ChatRequest{Model: "m", Messages: []sdk.Message{{Role: "tool", ToolCallID: "t"}},
				Tools:   []sdk.Tool{{Type: "function", Name: "f", Parameters: map[string]any{"type": "object"}}},
				Options: &sdk.Options{MaxTokens: ptr(5)}, ToolChoice: &sdk.ToolChoice{Mode: sdk.ToolChoiceRequired}},
		},
		{
			name: "tool_choice none drops tools; thinking disabled",
			body: `{"model":"m","max_tokens":5,"tools":[{"name":"f","input_schema":{}}],"tool_choice":{"type":"none"},"thinking":{"type":"disabled"},
				"messages":[{"role":"user","content":"x"}]}`,
			want: &sdk.ChatRequest{Model: "m", Messages: []sdk.Message{{Role: "user", Content: "x"}},
				Options: &sdk.Options{MaxTokens: ptr(5), Think: "false"}},
		},
		{name: "no model", body: `{"max_tokens":5,"messages":[{"role":"user","content":"x"}]}`, field: "model"},
		{name: "no max_tokens", body: `{"model":"m","messages":[{"role":"user","content":"x"}]}`, field: "max_tokens"},
		{name: "max_tokens 0", body: `{"model":"m","max_tokens":0,"messages":[{"role":"user","content":"x"}]}`, field: "max_tokens"},
		{name: "no messages", body: `{"model":"m","max_tokens":5,"messages":[]}`, field: "messages"},
		{name: "system role", body: `{"model":"m","max_tokens":5,"messages":[{"role":"system","content":"x"}]}`, field: "messages[0].role"},
		{name: "content missing", body: `{"model":"m","max_tokens":5,"messages":[{"role":"user"}]}`, field: "messages[0].content"},
		{name: "content number", body: `{"model":"m","max_tokens":5,"messages":[{"role":"user","content":1}]}`, field: "messages[0].content"},
		{name: "document", body: `{"model":"m","max_tokens":5,"messages":[{"role":"user","content":[{"type":"document"}]}]}`, field: "messages[0].content[0].type"},
		{name: "url image", body: `{"model":"m","max_tokens":5,"messages":[{"role":"user","content":[{"type":"image","source":{"type":"url","url":"https://x"}}]}]}`, field: "messages[0].content[0].source.type"},
		{name: "media type", body: `{"model":"m","max_tokens":5,"messages":[{"role":"user","content":[{"type":"image","source":{"type":"base64","media_type":"image/bmp","data":"aGk="}}]}]}`, field: "messages[0].content[0].source.media_type"},
		{name: "bad base64", body: `{"model":"m","max_tokens":5,"messages":[{"role":"user","content":[{"type":"image","source":{"type":"base64","media_type":"image/png","data":"!!"}}]}]}`, field: "messages[0].content[0].source.data"},
		{name: "tool_use in user", body: `{"model":"m","max_tokens":5,"messages":[{"role":"user","content":[{"type":"tool_use","id":"a","name":"f","input":{}}]}]}`, field: "messages[0].content[0].type"},
		{name: "tool_use input", body: `{"model":"m","max_tokens":5,"messages":[{"role":"assistant","content":[{"type":"tool_use","id":"a","name":"f","input":[1]}]}]}`, field: "messages[0].content[0].input"},
		{name: "tool_result id", body: `{"model":"m","max_tokens":5,"messages":[{"role":"user","content":[{"type":"tool_result"}]}]}`, field: "messages[0].content[0].tool_use_id"},
		{name: "system block", body: `{"model":"m","max_tokens":5,"system":[{"type":"image"}],"messages":[{"role":"user","content":"x"}]}`, field: "system[0]"},
		{name: "server tool", body: `{"model":"m","max_tokens":5,"tools":[{"type":"web_search_20250305","name":"web_search"}],"messages":[{"role":"user","content":"x"}]}`, field: "tools[0].type"},
		{name: "tool schema", body: `{"model":"m","max_tokens":5,"tools":[{"name":"f"}],"messages":[{"role":"user","content":"x"}]}`, field: "tools[0].input_schema"},
		{name: "tool_choice", body: `{"model":"m","max_tokens":5,"tool_choice":{"type":"tool"},"messages":[{"role":"user","content":"x"}]}`, field: "tool_choice.name"},
		{name: "temperature", body: `{"model":"m","max_tokens":5,"temperature":1.5,"messages":[{"role":"user","content":"x"}]}`, field: "temperature"},
		{name: "budget small", body: `{"model":"m","max_tokens":5000,"thinking":{"type":"enabled","budget_tokens":100},"messages":[{"role":"user","content":"x"}]}`, field: "thinking.budget_tokens"},
		{name: "budget large", body: `{"model":"m","max_tokens":2000,"thinking":{"type":"enabled","budget_tokens":2000},"messages":[{"role":"user","content":"x"}]}`, field: "thinking.budget_tokens"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var req MessagesRequest
			if err := json.Unmarshal([]byte(tt.body), &req); err != nil {
				t.Fatal(err)
			}
			got, err := MessagesRequestToSDK(&req)
			if tt.field != "" {
				if fieldOf(err) != tt.field || sdk.ErrorCode(err).HTTPStatus() != 400 {
					t.Fatalf("error %v, want field %q", err, tt.field)
				}
				return
			}
			if err != nil || !reflect.DeepEqual(got, tt.want) {
				gj, _ := json.Marshal(got)
				wj, _ := json.Marshal(tt.want)
				t.Fatalf("got  %s %v\nwant %s", gj, err, wj)
			}
		})
	}
}
