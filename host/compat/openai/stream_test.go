package openai

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/roundhouse-ai/roundhouse/sdk"
)

// encodeAll runs chunks through a fresh encoder and returns one JSON line
// per OpenAI chunk.
func encodeAll(includeUsage bool, chunks ...*sdk.ChatChunk) []string {
	enc := &ChatStreamEncoder{ID: "chatcmpl-1", Created: 9, Model: "asked", IncludeUsage: includeUsage}
	var out []string
	for _, c := range chunks {
		for _, oc := range enc.Encode(c) {
			b, _ := json.Marshal(oc)
			out = append(out, string(b))
		}
	}
	return out
}

func TestChatStreamEncoder(t *testing.T) {
	pinIDs(t)
	const head = `{"id":"chatcmpl-1","object":"chat.completion.chunk","created":9,"model":`
	tests := []struct {
		name         string
		includeUsage bool
		chunks       []*sdk.ChatChunk
		want         []string
	}{
		{
			name:         "text with include_usage",
			includeUsage: true,
			chunks: []*sdk.ChatChunk{{Model: "m", Role: "assistant", Content: "Hel"}, {Content: "lo"},
				{Done: true, FinishReason: "stop", Usage: &sdk.Usage{PromptTokens: 3, CompletionTokens: 2, TotalTokens: 5}}},
			want: []string{
				head + `"m","choices":[{"index":0,"delta":{"role":"assistant","content":""},"logprobs":null,"finish_reason":null}],"usage":null}`,
				head + `"m","choices":[{"index":0,"delta":{"content":"Hel"},"logprobs":null,"finish_reason":null}],"usage":null}`,
				head + `"m","choices":[{"index":0,"delta":{"content":"lo"},"logprobs":null,"finish_reason":null}],"usage":null}`,
				head + `"m","choices":[{"index":0,"delta":{},"logprobs":null,"finish_reason":"stop"}],"usage":null}`,
				head + `"m","choices":[],"usage":{"prompt_tokens":3,"completion_tokens":2,"total_tokens":5}}`,
			},
		},
		{
			name:   "no usage field without include_usage; thinking; length",
			chunks: []*sdk.ChatChunk{{Thinking: "hmm"}, {Done: true, FinishReason: "length", Usage: &sdk.Usage{PromptTokens: 1}}},
			want: []string{
				head + `"asked","choices":[{"index":0,"delta":{"role":"assistant","content":""},"logprobs":null,"finish_reason":null}]}`,
				head + `"asked","choices":[{"index":0,"delta":{"reasoning_content":"hmm"},"logprobs":null,"finish_reason":null}]}`,
				head + `"asked","choices":[{"index":0,"delta":{},"logprobs":null,"finish_reason":"length"}]}`,
			},
		},
		{
			name: "OpenAI-style fragments: two calls",
			chunks: []*sdk.ChatChunk{
				{ToolCalls: []sdk.ToolCall{{Index: 0, ID: "call_a", Name: "f", Arguments: ""}}},
				{ToolCalls: []sdk.ToolCall{{Index: 0, Arguments: `{"x":`}}},
				{ToolCalls: []sdk.ToolCall{{Index: 0, Arguments: `1}`}}},
				{ToolCalls: []sdk.ToolCall{{Index: 1, ID: "call_b", Name: "g", Arguments: `{}`}}},
				{Done: true, FinishReason: "stop"},
			},
			want: []string{
				head + `"asked","choices":[{"index":0,"delta":{"role":"assistant","content":""},"logprobs":null,"finish_reason":null}]}`,
				head + `"asked","choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"id":"call_a","type":"function","function":{"name":"f","arguments":""}}]},"logprobs":null,"finish_reason":null}]}`,
				head + `"asked","choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"{\"x\":"}}]},"logprobs":null,"finish_reason":null}]}`,
				head + `"asked","choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"1}"}}]},"logprobs":null,"finish_reason":null}]}`,
				head + `"asked","choices":[{"index":0,"delta":{"tool_calls":[{"index":1,"id":"call_b","type":"function","function":{"name":"g","arguments":"{}"}}]},"logprobs":null,"finish_reason":null}]}`,
				head + `"asked","choices":[{"index":0,"delta":{},"logprobs":null,"finish_reason":"tool_calls"}]}`,
			},
		},
		{
			name: "Ollama-style whole calls at index 0 get distinct indexes and ids",
			chunks: []*sdk.ChatChunk{
				{ToolCalls: []sdk.ToolCall{{Name: "f", Arguments: `{"a":1}`}, {Name: "f", Arguments: `{"a":2}`}}},
				{Done: true},
			},
			want: []string{
				head + `"asked","choices":[{"index":0,"delta":{"role":"assistant","content":""},"logprobs":null,"finish_reason":null}]}`,
				head + `"asked","choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"id":"call_x","type":"function","function":{"name":"f","arguments":"{\"a\":1}"}},{"index":1,"id":"call_xx","type":"function","function":{"name":"f","arguments":"{\"a\":2}"}}]},"logprobs":null,"finish_reason":null}]}`,
				head + `"asked","choices":[{"index":0,"delta":{},"logprobs":null,"finish_reason":"tool_calls"}]}`,
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pinIDs(t)
			got := encodeAll(tt.includeUsage, tt.chunks...)
			if strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
				t.Fatalf("got:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
		})
	}
}

func TestCompletionStreamEncoder(t *testing.T) {
	enc := &CompletionStreamEncoder{ID: "cmpl-1", Created: 9, Model: "m", IncludeUsage: true, Echo: "say: "}
	var got []string
	for _, c := range []*sdk.GenerateChunk{{Text: "hi"}, {Text: ""}, {Done: true, FinishReason: "stop", Usage: &sdk.Usage{PromptTokens: 2, CompletionTokens: 1}}} {
		for _, oc := range enc.Encode(c) {
			b, _ := json.Marshal(oc)
			got = append(got, string(b))
		}
	}
	const head = `{"id":"cmpl-1","object":"text_completion","created":9,"model":"m","choices":`
	want := []string{
		head + `[{"text":"say: hi","index":0,"logprobs":null,"finish_reason":null}],"usage":null}`,
		head + `[{"text":"","index":0,"logprobs":null,"finish_reason":"stop"}],"usage":null}`,
		head + `[],"usage":{"prompt_tokens":2,"completion_tokens":1,"total_tokens":3}}`,
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("got:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
