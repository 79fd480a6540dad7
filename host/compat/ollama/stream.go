package ollama

import (
	"github.com/roundhouse-ai/roundhouse/sdk"
)

// ChatStreamEncoder turns sdk chat chunks into /api/chat NDJSON lines.
type ChatStreamEncoder struct {
	Model string
	t     timing
	// tools collects the streamed calls: Ollama's wire only knows whole
	// calls with object arguments, so they go out together before the
	// final line.
	tools sdk.ToolCallAccumulator
}

// NewChatStreamEncoder starts the clock for the duration fields.
func NewChatStreamEncoder(model string) *ChatStreamEncoder {
	return &ChatStreamEncoder{Model: model, t: timing{start: now()}}
}

func (e *ChatStreamEncoder) line(m Message) *ChatResponse {
	m.Role = "assistant"
	return &ChatResponse{Model: e.Model, CreatedAt: now().UTC(), Message: m}
}

// Encode translates one sdk chunk into the lines to send: a content line
// when the chunk has text or thinking; on Done, the collected tool calls
// (one line) and the final line with done_reason and metrics.
func (e *ChatStreamEncoder) Encode(c *sdk.ChatChunk) []*ChatResponse {
	if c.Model != "" {
		e.Model = c.Model
	}
	var out []*ChatResponse
	if c.Content != "" || c.Thinking != "" {
		e.t.token()
		out = append(out, e.line(Message{Content: c.Content, Thinking: c.Thinking}))
	}
	for i := range c.ToolCalls {
		e.t.token()
		e.tools.AddFragment(c.ToolCalls[i])
	}
	if c.Done {
		if calls := e.tools.Calls(); len(calls) > 0 {
			out = append(out, e.line(Message{ToolCalls: ToolCallsToOllama(calls)}))
		}
		final := e.line(Message{})
		final.Done, final.DoneReason = true, DoneReason(c.FinishReason)
		final.Metrics = e.t.metrics(c.Usage, 0)
		out = append(out, final)
	}
	return out
}

// GenerateStreamEncoder turns sdk generate chunks into /api/generate
// NDJSON lines.
type GenerateStreamEncoder struct {
	Model string
	t     timing
}

// NewGenerateStreamEncoder starts the clock for the duration fields.
func NewGenerateStreamEncoder(model string) *GenerateStreamEncoder {
	return &GenerateStreamEncoder{Model: model, t: timing{start: now()}}
}

// Encode translates one sdk chunk into the lines to send.
func (e *GenerateStreamEncoder) Encode(c *sdk.GenerateChunk) []*GenerateResponse {
	if c.Model != "" {
		e.Model = c.Model
	}
	var out []*GenerateResponse
	if c.Text != "" || c.Thinking != "" {
		e.t.token()
		out = append(out, &GenerateResponse{Model: e.Model, CreatedAt: now().UTC(), Response: c.Text, Thinking: c.Thinking})
	}
	if c.Done {
		out = append(out, &GenerateResponse{Model: e.Model, CreatedAt: now().UTC(), Done: true,
			DoneReason: DoneReason(c.FinishReason), Metrics: e.t.metrics(c.Usage, 0)})
	}
	return out
}
