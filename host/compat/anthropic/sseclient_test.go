package anthropic

// A small Messages-stream client written from Anthropic's streaming
// reference, independent of the encoder: it reads named SSE events,
// checks the event flow (message_start, then per block one
// content_block_start, deltas and content_block_stop, then message_delta
// and message_stop; ping anywhere; error ends the stream) and accumulates
// the final Message the way the official SDKs do.

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"strings"
)

type clientEvent struct {
	Name string
	Data json.RawMessage
}

// readEvents splits an SSE stream into events (event: + data: lines,
// blank-line terminated).
func readEvents(r io.Reader) ([]clientEvent, error) {
	var (
		out  []clientEvent
		cur  clientEvent
		data strings.Builder
	)
	sc := bufio.NewScanner(r)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case line == "":
			if cur.Name != "" || data.Len() > 0 {
				cur.Data = json.RawMessage(data.String())
				out = append(out, cur)
			}
			cur, data = clientEvent{}, strings.Builder{}
		case strings.HasPrefix(line, "event:"):
			cur.Name = strings.TrimSpace(strings.TrimPrefix(line, "event:"))
		case strings.HasPrefix(line, "data:"):
			if data.Len() > 0 {
				data.WriteByte('\n')
			}
			data.WriteString(strings.TrimPrefix(strings.TrimPrefix(line, "data:"), " "))
		case strings.HasPrefix(line, ":"):
			// comment
		default:
			return out, fmt.Errorf("malformed SSE line %q", line)
		}
	}
	if cur.Name != "" || data.Len() > 0 {
		return out, fmt.Errorf("stream ends inside an event")
	}
	return out, sc.Err()
}

// streamError is an error event the server sent.
type streamError struct{ ErrorResponse }

func (e *streamError) Error() string {
	return e.ErrorResponse.Error.Type + ": " + e.ErrorResponse.Error.Message
}

// accumulate validates the event flow and builds the final message.
func accumulate(events []clientEvent) (*Message, error) {
	var (
		msg      *Message
		open     = -1
		partial  = map[int]*strings.Builder{}
		stopped  bool
		gotDelta bool
	)
	for i, ev := range events {
		var head struct {
			Type string `json:"type"`
		}
		if err := json.Unmarshal(ev.Data, &head); err != nil {
			return msg, fmt.Errorf("event %d: data is not JSON: %s", i, ev.Data)
		}
		if head.Type != ev.Name {
			return msg, fmt.Errorf("event %d: name %q but type %q", i, ev.Name, head.Type)
		}
		if stopped {
			return msg, fmt.Errorf("event %d (%s) after message_stop", i, ev.Name)
		}
		if ev.Name != EventMessageStart && ev.Name != EventPing && ev.Name != EventError && msg == nil {
			return msg, fmt.Errorf("event %d (%s) before message_start", i, ev.Name)
		}
		switch ev.Name {
		case EventPing:
		case EventError:
			var e ErrorResponse
			_ = json.Unmarshal(ev.Data, &e)
			if i != len(events)-1 {
				return msg, fmt.Errorf("events after the error event")
			}
			return msg, &streamError{e}
		case EventMessageStart:
			var e MessageStartEvent
			if err := json.Unmarshal(ev.Data, &e); err != nil || msg != nil {
				return msg, fmt.Errorf("bad message_start: %v", err)
			}
			if e.Message.Type != "message" || e.Message.Role != "assistant" || len(e.Message.Content) != 0 || e.Message.StopReason != nil {
				return msg, fmt.Errorf("message_start message: %s", ev.Data)
			}
			msg = &e.Message
		case EventContentBlockStart:
			var e ContentBlockStartEvent
			if err := json.Unmarshal(ev.Data, &e); err != nil {
				return msg, err
			}
			if open != -1 || e.Index != len(msg.Content) || gotDelta {
				return msg, fmt.Errorf("content_block_start %d while block %d open (have %d blocks)", e.Index, open, len(msg.Content))
			}
			open = e.Index
			msg.Content = append(msg.Content, e.ContentBlock)
			partial[e.Index] = &strings.Builder{}
		case EventContentBlockDelta:
			var e ContentBlockDeltaEvent
			if err := json.Unmarshal(ev.Data, &e); err != nil {
				return msg, err
			}
			if e.Index != open {
				return msg, fmt.Errorf("delta for block %d while block %d is open", e.Index, open)
			}
			b := &msg.Content[e.Index]
			switch e.Delta.Type {
			case "text_delta":
				if b.Type != "text" || e.Delta.Text == nil {
					return msg, fmt.Errorf("text_delta on %s block", b.Type)
				}
				b.Text = ptr(*b.Text + *e.Delta.Text)
			case "thinking_delta":
				if b.Type != "thinking" || e.Delta.Thinking == nil {
					return msg, fmt.Errorf("thinking_delta on %s block", b.Type)
				}
				b.Thinking = ptr(*b.Thinking + *e.Delta.Thinking)
			case "signature_delta":
				b.Signature = e.Delta.Signature
			case "input_json_delta":
				if b.Type != "tool_use" || e.Delta.PartialJSON == nil {
					return msg, fmt.Errorf("input_json_delta on %s block", b.Type)
				}
				partial[e.Index].WriteString(*e.Delta.PartialJSON)
			default:
				return msg, fmt.Errorf("unknown delta type %q", e.Delta.Type)
			}
		case EventContentBlockStop:
			var e ContentBlockStopEvent
			if err := json.Unmarshal(ev.Data, &e); err != nil || e.Index != open {
				return msg, fmt.Errorf("content_block_stop %d while %d open", e.Index, open)
			}
			if b := &msg.Content[open]; b.Type == "tool_use" && partial[open].Len() > 0 {
				if !json.Valid([]byte(partial[open].String())) {
					return msg, fmt.Errorf("tool input %q is not JSON", partial[open].String())
				}
				b.Input = json.RawMessage(partial[open].String())
			}
			open = -1
		case EventMessageDelta:
			var e MessageDeltaEvent
			if err := json.Unmarshal(ev.Data, &e); err != nil {
				return msg, err
			}
			if open != -1 {
				return msg, fmt.Errorf("message_delta while block %d open", open)
			}
			gotDelta = true
			msg.StopReason, msg.StopSequence = e.Delta.StopReason, e.Delta.StopSequence
			msg.Usage.OutputTokens = e.Usage.OutputTokens
			if e.Usage.InputTokens != nil {
				msg.Usage.InputTokens = *e.Usage.InputTokens
			}
		case EventMessageStop:
			if !gotDelta {
				return msg, fmt.Errorf("message_stop without message_delta")
			}
			stopped = true
		default:
			return msg, fmt.Errorf("unknown event %q", ev.Name)
		}
	}
	if !stopped {
		return msg, fmt.Errorf("stream ended without message_stop")
	}
	return msg, nil
}
