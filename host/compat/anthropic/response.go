package anthropic

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"

	"github.com/roundhouse-ai/roundhouse/sdk"
)

// newID is a variable so tests can pin it.
var newID = func(prefix string) string {
	const alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	b := make([]byte, len(prefix)+24)
	copy(b, prefix)
	for i := len(prefix); i < len(b); i++ {
		b[i] = alphabet[rand.IntN(len(alphabet))]
	}
	return string(b)
}

// StopReason maps an sdk finish reason onto Anthropic's stop_reason:
// end_turn, max_tokens, tool_use or refusal. (stop_sequence cannot be told
// apart from end_turn: sdk responses do not say which stop matched.)
func StopReason(reason string, toolUse bool) string {
	switch reason {
	case "length":
		return "max_tokens"
	case "tool_calls":
		return "tool_use"
	case "content_filter":
		return "refusal"
	}
	if toolUse {
		return "tool_use"
	}
	return "end_turn"
}

// toolInput renders tool call arguments as the input object; text that is
// not a JSON object (a model that wrote garbage) becomes {}.
func toolInput(args string) json.RawMessage {
	b := bytes.TrimSpace([]byte(args))
	if len(b) > 0 && b[0] == '{' && json.Valid(b) {
		return b
	}
	return json.RawMessage("{}")
}

func str(s string) *string { return &s }

// MessageToAnthropic translates a whole chat answer into a Message:
// thinking, text, then tool_use blocks. model is the requested model, used
// when the backend does not name one.
func MessageToAnthropic(resp *sdk.ChatResponse, model, id string) *Message {
	if resp.Model != "" {
		model = resp.Model
	}
	out := &Message{ID: id, Type: "message", Role: "assistant", Model: model, Content: []ContentBlock{}}
	if resp.Message.Thinking != "" {
		out.Content = append(out.Content, ContentBlock{Type: "thinking", Thinking: str(resp.Message.Thinking), Signature: str("")})
	}
	if resp.Message.Content != "" || len(resp.Message.ToolCalls) == 0 {
		out.Content = append(out.Content, ContentBlock{Type: "text", Text: str(resp.Message.Content)})
	}
	for _, tc := range resp.Message.ToolCalls {
		id := tc.ID
		if id == "" {
			id = newID("toolu_")
		}
		out.Content = append(out.Content, ContentBlock{Type: "tool_use", ID: id, Name: tc.Name, Input: toolInput(tc.Arguments)})
	}
	out.StopReason = str(StopReason(resp.FinishReason, len(resp.Message.ToolCalls) > 0))
	if resp.Usage != nil {
		out.Usage = Usage{InputTokens: resp.Usage.PromptTokens, OutputTokens: resp.Usage.CompletionTokens}
	}
	return out
}
