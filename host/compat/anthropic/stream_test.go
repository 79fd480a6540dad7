package anthropic

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/roundhouse-ai/roundhouse/sdk"
)

// encodeSSE runs chunks through a fresh encoder and frames the events the
// way the handler does.
func encodeSSE(chunks ...*sdk.ChatChunk) (string, []Event) {
	enc := &StreamEncoder{ID: "msg_1", Model: "asked"}
	var buf bytes.Buffer
	var all []Event
	for _, c := range chunks {
		for _, ev := range enc.Encode(c) {
			all = append(all, ev)
			b, _ := json.Marshal(ev.Data)
			buf.WriteString("event: " + ev.Name + "\ndata: " + string(b) + "\n\n")
		}
	}
	return buf.String(), all
}

func pinIDs(t *testing.T) {
	old := newID
	n := 0
	newID = func(prefix string) string { n++; return prefix + strings.Repeat("x", n) }
	t.Cleanup(func() { newID = old })
}

// The sdk chunks here are shaped like an OpenAI-compatible engine's
// stream (role chunk, content pieces, fragmented tool calls, final
// finish_reason + usage), which the encoder must turn into Anthropic's
// block structure.
func TestStreamEncoderFromOpenAIShapedChunks(t *testing.T) {
	pinIDs(t)
	tests := []struct {
		name   string
		chunks []*sdk.ChatChunk
		events string // expected event names, space separated
		want   string // expected accumulated message
	}{
		{
			name: "text",
			chunks: []*sdk.ChatChunk{{Model: "gpt-4o", Role: "assistant"}, {Content: "Hel"}, {Content: "lo"},
				{Done: true, FinishReason: "stop", Usage: &sdk.Usage{PromptTokens: 9, CompletionTokens: 2}}},
			events: "message_start ping content_block_start content_block_delta content_block_delta content_block_stop message_delta message_stop",
			want: `{"id":"msg_1","type":"message","role":"assistant","content":[{"type":"text","text":"Hello"}],"model":"gpt-4o",` +
				`"stop_reason":"end_turn","stop_sequence":null,"usage":{"input_tokens":9,"output_tokens":2}}`,
		},
		{
			name: "thinking then text then two fragmented tool calls",
			chunks: []*sdk.ChatChunk{
				{Role: "assistant", Thinking: "let me"}, {Thinking: " think"},
				{Content: "Checking."},
				{ToolCalls: []sdk.ToolCall{{Index: 0, ID: "call_a", Name: "get_weather", Arguments: ""}}},
				{ToolCalls: []sdk.ToolCall{{Index: 0, Arguments: `{"city":`}}},
				{ToolCalls: []sdk.ToolCall{{Index: 0, Arguments: `"Paris"}`}}},
				{ToolCalls: []sdk.ToolCall{{Index: 1, ID: "call_b", Name: "get_time", Arguments: `{}`}}},
				{Done: true, FinishReason: "tool_calls", Usage: &sdk.Usage{PromptTokens: 20, CompletionTokens: 30}},
			},
			events: "message_start ping content_block_start content_block_delta content_block_delta content_block_stop " +
				"content_block_start content_block_delta content_block_stop " +
				"content_block_start content_block_delta content_block_delta content_block_stop " +
				"content_block_start content_block_delta content_block_stop message_delta message_stop",
			want: `{"id":"msg_1","type":"message","role":"assistant","content":[{"type":"thinking","thinking":"let me think","signature":""},` +
				`{"type":"text","text":"Checking."},{"type":"tool_use","id":"call_a","name":"get_weather","input":{"city":"Paris"}},` +
				`{"type":"tool_use","id":"call_b","name":"get_time","input":{}}],"model":"asked","stop_reason":"tool_use","stop_sequence":null,` +
				`"usage":{"input_tokens":20,"output_tokens":30}}`,
		},
		{
			name:   "whole calls without ids (Ollama-shaped), length",
			chunks: []*sdk.ChatChunk{{ToolCalls: []sdk.ToolCall{{Name: "f", Arguments: `{"a":1}`}, {Name: "f", Arguments: `{"a":2}`}}}, {Done: true, FinishReason: "length"}},
			events: "message_start ping content_block_start content_block_delta content_block_stop content_block_start content_block_delta content_block_stop message_delta message_stop",
			want: `{"id":"msg_1","type":"message","role":"assistant","content":[{"type":"tool_use","id":"toolu_x","name":"f","input":{"a":1}},` +
				`{"type":"tool_use","id":"toolu_xx","name":"f","input":{"a":2}}],"model":"asked","stop_reason":"max_tokens","stop_sequence":null,` +
				`"usage":{"input_tokens":0,"output_tokens":0}}`,
		},
		{
			name:   "empty answer",
			chunks: []*sdk.ChatChunk{{Done: true}},
			events: "message_start ping message_delta message_stop",
			want: `{"id":"msg_1","type":"message","role":"assistant","content":[],"model":"asked","stop_reason":"end_turn","stop_sequence":null,` +
				`"usage":{"input_tokens":0,"output_tokens":0}}`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pinIDs(t)
			sse, all := encodeSSE(tt.chunks...)
			var names []string
			for _, ev := range all {
				names = append(names, ev.Name)
			}
			if got := strings.Join(names, " "); got != tt.events {
				t.Fatalf("events\n got %s\nwant %s", got, tt.events)
			}
			events, err := readEvents(strings.NewReader(sse))
			if err != nil {
				t.Fatal(err)
			}
			msg, err := accumulate(events)
			if err != nil {
				t.Fatalf("%v\n%s", err, sse)
			}
			got, _ := json.Marshal(msg)
			if string(got) != tt.want {
				t.Fatalf("message\n got %s\nwant %s", got, tt.want)
			}
		})
	}
}

func TestStreamEncoderWireFormat(t *testing.T) {
	sse, _ := encodeSSE(&sdk.ChatChunk{Content: "Hi"}, &sdk.ChatChunk{Done: true, Usage: &sdk.Usage{PromptTokens: 1, CompletionTokens: 1}})
	want := "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"id\":\"msg_1\",\"type\":\"message\",\"role\":\"assistant\",\"content\":[],\"model\":\"asked\",\"stop_reason\":null,\"stop_sequence\":null,\"usage\":{\"input_tokens\":0,\"output_tokens\":0}}}\n\n" +
		"event: ping\ndata: {\"type\":\"ping\"}\n\n" +
		"event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"text\",\"text\":\"\"}}\n\n" +
		"event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"Hi\"}}\n\n" +
		"event: content_block_stop\ndata: {\"type\":\"content_block_stop\",\"index\":0}\n\n" +
		"event: message_delta\ndata: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"end_turn\",\"stop_sequence\":null},\"usage\":{\"input_tokens\":1,\"output_tokens\":1}}\n\n" +
		"event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n"
	if sse != want {
		t.Fatalf("got\n%s\nwant\n%s", sse, want)
	}
}
