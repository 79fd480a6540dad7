package ollama

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/roundhouse-ai/roundhouse/sdk"
)

func TestChatStreamEncoder(t *testing.T) {
	tests := []struct {
		name   string
		chunks []*sdk.ChatChunk
		want   []string
	}{
		{
			name: "text then done with metrics",
			chunks: []*sdk.ChatChunk{{Model: "llama3.2:latest", Role: "assistant", Content: "Hel"}, {Thinking: "t"}, {Content: "lo"},
				{Done: true, FinishReason: "length", Usage: &sdk.Usage{PromptTokens: 3, CompletionTokens: 2}}},
			want: []string{
				`{"model":"llama3.2:latest","created_at":"2025-01-02T03:04:08Z","message":{"role":"assistant","content":"Hel"},"done":false}`,
				`{"model":"llama3.2:latest","created_at":"2025-01-02T03:04:09Z","message":{"role":"assistant","content":"","thinking":"t"},"done":false}`,
				`{"model":"llama3.2:latest","created_at":"2025-01-02T03:04:10Z","message":{"role":"assistant","content":"lo"},"done":false}`,
				`{"model":"llama3.2:latest","created_at":"2025-01-02T03:04:11Z","message":{"role":"assistant","content":""},"done_reason":"length","done":true,` +
					`"total_duration":6000000000,"prompt_eval_count":3,"prompt_eval_duration":1000000000,"eval_count":2,"eval_duration":5000000000}`,
			},
		},
		{
			name: "OpenAI-style tool fragments are sent whole before the final line",
			chunks: []*sdk.ChatChunk{
				{ToolCalls: []sdk.ToolCall{{Index: 0, ID: "call_1", Name: "get_weather"}}},
				{ToolCalls: []sdk.ToolCall{{Index: 0, Arguments: `{"city":`}}},
				{ToolCalls: []sdk.ToolCall{{Index: 0, Arguments: `"Tokyo"}`}, {Index: 1, ID: "call_2", Name: "time", Arguments: `{}`}}},
				{Done: true, FinishReason: "tool_calls"},
			},
			want: []string{
				`{"model":"asked","created_at":"2025-01-02T03:04:08Z","message":{"role":"assistant","content":"","tool_calls":[` +
					`{"id":"call_1","function":{"index":0,"name":"get_weather","arguments":{"city":"Tokyo"}}},{"id":"call_2","function":{"index":1,"name":"time","arguments":{}}}]},"done":false}`,
				`{"model":"asked","created_at":"2025-01-02T03:04:09Z","message":{"role":"assistant","content":""},"done_reason":"stop","done":true,` +
					`"total_duration":4000000000,"prompt_eval_duration":1000000000,"eval_duration":3000000000}`,
			},
		},
		{
			name: "Ollama-style whole calls at index 0 stay separate",
			chunks: []*sdk.ChatChunk{
				{ToolCalls: []sdk.ToolCall{{Name: "f", Arguments: `{"a":1}`}}},
				{ToolCalls: []sdk.ToolCall{{Name: "f", Arguments: `{"a":2}`}}},
				{Done: true},
			},
			want: []string{
				`{"model":"asked","created_at":"2025-01-02T03:04:08Z","message":{"role":"assistant","content":"","tool_calls":[` +
					`{"function":{"index":0,"name":"f","arguments":{"a":1}}},{"function":{"index":1,"name":"f","arguments":{"a":2}}}]},"done":false}`,
				`{"model":"asked","created_at":"2025-01-02T03:04:09Z","message":{"role":"assistant","content":""},"done_reason":"stop","done":true,` +
					`"total_duration":4000000000,"prompt_eval_duration":1000000000,"eval_duration":3000000000}`,
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pinClock(t)
			enc := NewChatStreamEncoder("asked")
			var got []string
			for _, c := range tt.chunks {
				for _, line := range enc.Encode(c) {
					b, _ := json.Marshal(line)
					got = append(got, string(b))
				}
			}
			if strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
				t.Fatalf("got:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
		})
	}
}

func TestGenerateStreamEncoder(t *testing.T) {
	pinClock(t)
	enc := NewGenerateStreamEncoder("asked")
	var got []string
	for _, c := range []*sdk.GenerateChunk{{Text: "Hi"}, {Done: true, Usage: &sdk.Usage{PromptTokens: 1, CompletionTokens: 1}}} {
		for _, line := range enc.Encode(c) {
			b, _ := json.Marshal(line)
			got = append(got, string(b))
		}
	}
	want := []string{
		`{"model":"asked","created_at":"2025-01-02T03:04:08Z","response":"Hi","done":false}`,
		`{"model":"asked","created_at":"2025-01-02T03:04:09Z","response":"","done":true,"done_reason":"stop",` +
			`"total_duration":4000000000,"prompt_eval_count":1,"prompt_eval_duration":1000000000,"eval_count":1,"eval_duration":3000000000}`,
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("got:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
