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

// toolTracker follows streamed tool calls. sdk chunks carry tool calls as
// fragments keyed by Index (OpenAI style: the first fragment of a call has
// ID and Name, later ones append to Arguments); a fragment with a new ID,
// or a Name where the call at its index already has one, starts a new call
// (backends that send whole calls at index 0, Ollama style).
type toolTracker struct {
	byIndex map[int]int // sdk index -> call position
	ids     []string
	names   []string
	blocks  []int // call position -> content block index
}

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
	t.blocks = append(t.blocks, -1)
	return pos, true
}

// StreamEncoder turns sdk chat chunks into Messages stream events. Set ID
// and Model (the requested one) before the first Encode.
type StreamEncoder struct {
	ID    string
	Model string

	started bool
	open    string // type of the open content block, "" when none
	next    int    // index of the next content block
	tools   toolTracker
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
		pos, isNew := e.tools.add(tc)
		if isNew {
			out = e.close(out)
			id := tc.ID
			if id == "" {
				id = newID("toolu_")
			}
			e.tools.blocks[pos] = e.next
			e.open = "tool_use"
			e.next++
			out = append(out, Event{EventContentBlockStart, ContentBlockStartEvent{Type: EventContentBlockStart,
				Index: e.tools.blocks[pos], ContentBlock: ContentBlock{Type: "tool_use", ID: id, Name: tc.Name, Input: []byte("{}")}}})
		}
		if tc.Arguments != "" {
			// Fragments of an earlier call (interleaved parallel calls,
			// rare) keep that call's index; clients accumulate by index.
			out = append(out, delta(e.tools.blocks[pos], BlockDelta{Type: "input_json_delta", PartialJSON: str(tc.Arguments)}))
		}
	}
	if c.Done {
		out = e.close(out)
		md := MessageDeltaEvent{Type: EventMessageDelta, Delta: MessageDelta{
			StopReason: str(StopReason(c.FinishReason, len(e.tools.ids) > 0))}}
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
