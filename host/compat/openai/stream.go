package openai

import (
	"github.com/roundhouse-ai/roundhouse/sdk"
)

// doneEvent ends every OpenAI stream.
var doneEvent = []byte("data: [DONE]\n\n")

// ChatStreamEncoder turns sdk chat chunks into OpenAI chunks. Set ID,
// Created, Model (the requested one) and IncludeUsage before the first
// Encode.
type ChatStreamEncoder struct {
	ID           string
	Created      int64
	Model        string
	IncludeUsage bool

	started bool
	tools   sdk.ToolCallAccumulator // sdk fragments -> OpenAI call indexes
}

func (e *ChatStreamEncoder) chunk(delta Delta, finish *string) *ChatCompletionChunk {
	c := &ChatCompletionChunk{ID: e.ID, Object: "chat.completion.chunk", Created: e.Created, Model: e.Model,
		Choices: []ChunkChoice{{Index: 0, Delta: delta, FinishReason: finish}}}
	if e.IncludeUsage {
		c.Usage = (*Usage)(nil) // "usage": null on all but the last chunk
	}
	return c
}

// Encode translates one sdk chunk into the OpenAI chunks to send, in
// order: the opening role chunk (first call only), a content/tool delta,
// and on Done the finish chunk and, with IncludeUsage, the usage chunk.
func (e *ChatStreamEncoder) Encode(c *sdk.ChatChunk) []*ChatCompletionChunk {
	if c.Model != "" {
		e.Model = c.Model
	}
	var out []*ChatCompletionChunk
	if !e.started {
		e.started = true
		empty := ""
		out = append(out, e.chunk(Delta{Role: "assistant", Content: &empty}, nil))
	}
	var d Delta
	if c.Content != "" {
		content := c.Content
		d.Content = &content
	}
	d.ReasoningContent = c.Thinking
	for i := range c.ToolCalls {
		tc := &c.ToolCalls[i]
		pos, isNew := e.tools.AddFragment(*tc)
		td := ToolCallDelta{Index: pos, Function: &FunctionCallDelta{Arguments: tc.Arguments}}
		if isNew {
			td.ID = tc.ID
			if td.ID == "" {
				td.ID = newID("call_")
			}
			td.Type = "function"
			td.Function.Name = tc.Name
		}
		d.ToolCalls = append(d.ToolCalls, td)
	}
	if d.Content != nil || d.ReasoningContent != "" || len(d.ToolCalls) > 0 {
		out = append(out, e.chunk(d, nil))
	}
	if c.Done {
		fr := FinishReason(c.FinishReason, e.tools.Len() > 0)
		out = append(out, e.chunk(Delta{}, &fr))
		if e.IncludeUsage {
			u := usage(c.Usage)
			if u == nil {
				u = &Usage{}
			}
			out = append(out, &ChatCompletionChunk{ID: e.ID, Object: "chat.completion.chunk", Created: e.Created,
				Model: e.Model, Choices: []ChunkChoice{}, Usage: u})
		}
	}
	return out
}

// CompletionStreamEncoder turns sdk generate chunks into OpenAI legacy
// completion chunks.
type CompletionStreamEncoder struct {
	ID           string
	Created      int64
	Model        string
	IncludeUsage bool
	// Echo is sent as the first text (echo=true).
	Echo string
}

func (e *CompletionStreamEncoder) chunk(text string, finish *string) *Completion {
	c := &Completion{ID: e.ID, Object: "text_completion", Created: e.Created, Model: e.Model,
		Choices: []CompletionChoice{{Text: text, Index: 0, FinishReason: finish}}}
	if e.IncludeUsage {
		c.Usage = (*Usage)(nil)
	}
	return c
}

// Encode translates one sdk chunk into the completion chunks to send.
func (e *CompletionStreamEncoder) Encode(c *sdk.GenerateChunk) []*Completion {
	if c.Model != "" {
		e.Model = c.Model
	}
	var out []*Completion
	text := c.Text
	if e.Echo != "" {
		text, e.Echo = e.Echo+text, ""
	}
	if text != "" {
		out = append(out, e.chunk(text, nil))
	}
	if c.Done {
		fr := FinishReason(c.FinishReason, false)
		out = append(out, e.chunk("", &fr))
		if e.IncludeUsage {
			u := usage(c.Usage)
			if u == nil {
				u = &Usage{}
			}
			out = append(out, &Completion{ID: e.ID, Object: "text_completion", Created: e.Created,
				Model: e.Model, Choices: []CompletionChoice{}, Usage: u})
		}
	}
	return out
}
