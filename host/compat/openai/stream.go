package openai

import (
	"github.com/roundhouse-ai/roundhouse/sdk"
)

// doneEvent ends every OpenAI stream.
var doneEvent = []byte("data: [DONE]\n\n")

// toolTracker follows streamed tool calls. sdk chunks carry tool calls as
// fragments keyed by Index (OpenAI style: the first fragment of a call has
// its ID and Name, later ones append to Arguments); a fragment with a new
// ID, or a Name where the call at its index already has one, starts a new
// call (backends that send whole calls, all at index 0, Ollama style).
type toolTracker struct {
	byIndex map[int]int // sdk index -> position of the current call there
	ids     []string    // per call position
	names   []string
}

// add places a fragment: it returns the call's position (OpenAI's index)
// and whether the fragment starts a new call.
func (t *toolTracker) add(tc *sdk.ToolCall) (int, bool) {
	if t.byIndex == nil {
		t.byIndex = map[int]int{}
	}
	pos, ok := t.byIndex[tc.Index]
	if ok && !(tc.ID != "" && tc.ID != t.ids[pos]) && !(tc.Name != "" && t.names[pos] != "") {
		if t.ids[pos] == "" {
			t.ids[pos] = tc.ID
		}
		if t.names[pos] == "" {
			t.names[pos] = tc.Name
		}
		return pos, false
	}
	pos = len(t.ids)
	t.byIndex[tc.Index] = pos
	t.ids = append(t.ids, tc.ID)
	t.names = append(t.names, tc.Name)
	return pos, true
}

func (t *toolTracker) count() int { return len(t.ids) }

// ChatStreamEncoder turns sdk chat chunks into OpenAI chunks. Set ID,
// Created, Model (the requested one) and IncludeUsage before the first
// Encode.
type ChatStreamEncoder struct {
	ID           string
	Created      int64
	Model        string
	IncludeUsage bool

	started bool
	tools   toolTracker
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
		pos, isNew := e.tools.add(tc)
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
		fr := FinishReason(c.FinishReason, e.tools.count() > 0)
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
