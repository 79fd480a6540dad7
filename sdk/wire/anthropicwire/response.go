package anthropicwire

import (
	"encoding/json"
	"strings"

	"github.com/roundhouse-ai/roundhouse/types"
)

// message is the Messages API's answer (and message_start's message).
type message struct {
	ID         string        `json:"id"`
	Type       string        `json:"type"`
	Role       string        `json:"role"`
	Model      string        `json:"model"`
	Content    []answerBlock `json:"content"`
	StopReason string        `json:"stop_reason"`
	Usage      *usage        `json:"usage"`
}

type answerBlock struct {
	Type     string          `json:"type"`
	Text     string          `json:"text"`
	Thinking string          `json:"thinking"`
	ID       string          `json:"id"`
	Name     string          `json:"name"`
	Input    json.RawMessage `json:"input"`
}

// usage counts tokens; prompt tokens include those written to and read
// from the prompt cache, which Anthropic counts apart.
type usage struct {
	InputTokens              int `json:"input_tokens"`
	OutputTokens             int `json:"output_tokens"`
	CacheCreationInputTokens int `json:"cache_creation_input_tokens"`
	CacheReadInputTokens     int `json:"cache_read_input_tokens"`
}

func (u *usage) toTypes() *types.Usage {
	if u == nil {
		return nil
	}
	in := u.InputTokens + u.CacheCreationInputTokens + u.CacheReadInputTokens
	return &types.Usage{PromptTokens: in, CompletionTokens: u.OutputTokens, TotalTokens: in + u.OutputTokens}
}

// FinishReason maps Anthropic's stop_reason to the OpenAI-style finish
// reasons of types: end_turn, stop_sequence and pause_turn → stop,
// max_tokens → length, tool_use → tool_calls, refusal → content_filter.
func FinishReason(stop string) string {
	switch stop {
	case "end_turn", "stop_sequence", "pause_turn":
		return "stop"
	case "max_tokens", "model_context_window_exceeded":
		return "length"
	case "tool_use":
		return "tool_calls"
	case "refusal":
		return "content_filter"
	}
	return stop
}

// toolInput renders a tool_use block's input as the JSON text of
// ToolCall.Arguments ("{}" for none).
func toolInput(raw json.RawMessage) string {
	s := strings.TrimSpace(string(raw))
	if s == "" || s == "null" {
		return "{}"
	}
	return s
}

func (m *message) toChat(model string) *types.ChatResponse {
	out := &types.ChatResponse{Model: m.Model, FinishReason: FinishReason(m.StopReason), Usage: m.Usage.toTypes(),
		Message: types.Message{Role: "assistant"}}
	if out.Model == "" {
		out.Model = model
	}
	var content, thinking strings.Builder
	for _, b := range m.Content {
		switch b.Type {
		case "text":
			content.WriteString(b.Text)
		case "thinking":
			thinking.WriteString(b.Thinking)
		case "tool_use":
			out.Message.ToolCalls = append(out.Message.ToolCalls, types.ToolCall{ID: b.ID, Name: b.Name,
				Arguments: toolInput(b.Input), Index: len(out.Message.ToolCalls)})
		}
	}
	out.Message.Content, out.Message.Thinking = content.String(), thinking.String()
	return out
}
