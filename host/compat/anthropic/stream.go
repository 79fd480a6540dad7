package anthropic

import (
	"github.com/roundhouse-ai/roundhouse/sdk"
)

// Event names of the Messages stream.
const (
	EventMessageStart      = "message_start"
	EventContentBlockStart = "content_block_start"
	EventPing              = "ping"
	EventContentBlockDelta = "content_block_delta"
	EventContentBlockStop  = "content_block_stop"
	EventMessageDelta      = "message_delta"
	EventMessageStop       = "message_stop"
	EventError             = "error"
)

// StreamEncoder turns sdk chat chunks into Messages stream events. Set ID
// and Model (the requested one) before the first Encode.
type StreamEncoder struct {
	ID    string
	Model string

	started bool
	open    string // type of the open content block, "" when none
	next    int    // index of the next content block

	tools  sdk.ToolCallAccumulator // sdk fragments -> call positions
	blocks []int                   // call position -> content block index
}

func (e *StreamEncoder) start() []Event {
	e.started = true
	return []Event{
		{EventMessageStart, MessageStartEvent{Type: EventMessageStart, Message: Message{
			ID: e.ID, Type: "message", Role: "assistant", Content: []ContentBlock{}, Model: e.Model}}},
		{EventPing, TypeOnly{Type: EventPing}},
	}
}

// close ends the open block, if any.
func (e *StreamEncoder) close(out []Event) []Event {
	if e.open == "" {
		return out
	}
	e.open = ""
	return append(out, Event{EventContentBlockStop, ContentBlockStopEvent{Type: EventContentBlockStop, Index: e.next - 1}})
}

// ensure opens a text or thinking block unless one of that type is open.
func (e *StreamEncoder) ensure(out []Event, typ string) []Event {
	if e.open == typ {
		return out
	}
	out = e.close(out)
	b := ContentBlock{Type: typ}
	if typ == "text" {
		b.Text = str("")
	} else {
		b.Thinking, b.Signature = str(""), str("")
	}
	e.open = typ
	e.next++
	return append(out, Event{EventContentBlockStart, ContentBlockStartEvent{Type: EventContentBlockStart, Index: e.next - 1, ContentBlock: b}})
}

func delta(index int, d BlockDelta) Event {
	return Event{EventContentBlockDelta, ContentBlockDeltaEvent{Type: EventContentBlockDelta, Index: index, Delta: d}}
}

// Encode translates one sdk chunk into the events to send, in order:
// message_start and ping (first call only), content block events, and on
// Done the closing block stop, message_delta and message_stop.
func (e *StreamEncoder) Encode(c *sdk.ChatChunk) []Event {
	var out []Event
	if !e.started {
		if c.Model != "" {
			e.Model = c.Model
		}
		out = e.start()
	}
	if c.Thinking != "" {
		out = e.ensure(out, "thinking")
		out = append(out, delta(e.next-1, BlockDelta{Type: "thinking_delta", Thinking: str(c.Thinking)}))
	}
	if c.Content != "" {
		out = e.ensure(out, "text")
		out = append(out, delta(e.next-1, BlockDelta{Type: "text_delta", Text: str(c.Content)}))
	}
	for i := range c.ToolCalls {
		tc := &c.ToolCalls[i]
		pos, isNew := e.tools.AddFragment(*tc)
		if isNew {
			e.blocks = append(e.blocks, -1)
			out = e.close(out)
			id := tc.ID
			if id == "" {
				id = newID("toolu_")
			}
			e.blocks[pos] = e.next
			e.open = "tool_use"
			e.next++
			out = append(out, Event{EventContentBlockStart, ContentBlockStartEvent{Type: EventContentBlockStart,
				Index: e.blocks[pos], ContentBlock: ContentBlock{Type: "tool_use", ID: id, Name: tc.Name, Input: []byte("{}")}}})
		}
		if tc.Arguments != "" {
			// Fragments of an earlier call (interleaved parallel calls,
			// rare) keep that call's index; clients accumulate by index.
			out = append(out, delta(e.blocks[pos], BlockDelta{Type: "input_json_delta", PartialJSON: str(tc.Arguments)}))
		}
	}
	if c.Done {
		out = e.close(out)
		md := MessageDeltaEvent{Type: EventMessageDelta, Delta: MessageDelta{
			StopReason: str(StopReason(c.FinishReason, e.tools.Len() > 0))}}
		if c.Usage != nil {
			in := c.Usage.PromptTokens
			md.Usage = DeltaUsage{InputTokens: &in, OutputTokens: c.Usage.CompletionTokens}
		}
		out = append(out, Event{EventMessageDelta, md}, Event{EventMessageStop, TypeOnly{Type: EventMessageStop}})
	}
	return out
}

// ErrorEvent is the mid-stream error event for err.
func ErrorEvent(err error) Event {
	_, body := ToError(err)
	return Event{EventError, body}
}
