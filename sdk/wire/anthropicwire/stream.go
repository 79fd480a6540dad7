package anthropicwire

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/roundhouse-ai/roundhouse/sdk/wire/openaiwire"
	"github.com/roundhouse-ai/roundhouse/types"
)

// event is one streamed event's data; which fields are set depends on
// Type (the same name as the SSE event field).
type event struct {
	Type         string       `json:"type"`
	Message      *message     `json:"message"`       // message_start
	Index        int          `json:"index"`         // content_block_*
	ContentBlock *answerBlock `json:"content_block"` // content_block_start
	Delta        struct {
		Type        string `json:"type"` // text_delta, input_json_delta, thinking_delta, signature_delta
		Text        string `json:"text"`
		PartialJSON string `json:"partial_json"`
		Thinking    string `json:"thinking"`
		StopReason  string `json:"stop_reason"` // message_delta
	} `json:"delta"`
	Usage *usage `json:"usage"` // message_delta: cumulative counts
}

// streamState assembles an answer from its events.
type streamState struct {
	model  string
	finish string
	use    usage
	tools  types.ToolCallAccumulator
	// toolAt maps a content block index to its tool call's index.
	toolAt map[int]int
	role   bool
}

// ChatStream sends a streamed Messages request: text and thinking go out
// as they arrive, then the tool calls (complete, one chunk), then a final
// chunk with Done, the finish reason and the usage. A stream that ends
// without message_stop, an error event, or a malformed event ends with
// an error, never with a short answer that looks complete; a stream is
// retried (by the transport) only before its first event.
func (c *Client) ChatStream(ctx context.Context, req *types.ChatRequest, send func(*types.ChatChunk) error) error {
	body, err := BuildMessages(req, true, c.maxTokens())
	if err != nil {
		return err
	}
	u, err := c.wire.Send(ctx, &openaiwire.Request{Method: http.MethodPost, Path: messagesPath, Model: req.Model, Body: body,
		ContentType: "application/json", Accept: "text/event-stream", Stream: true})
	if err != nil {
		return err
	}
	defer u.Close()
	st := &streamState{model: req.Model, toolAt: map[int]int{}}
	if err := c.readStream(ctx, u, st, send); err != nil {
		u.Failed(types.AsError(err))
		return err
	}
	if calls := st.tools.Calls(); len(calls) > 0 {
		if err := send(&types.ChatChunk{Model: st.model, ToolCalls: calls}); err != nil {
			return err
		}
	}
	return send(&types.ChatChunk{Model: st.model, Done: true, FinishReason: FinishReason(st.finish), Usage: st.use.toTypes()})
}

// readStream reads events until message_stop.
func (c *Client) readStream(ctx context.Context, u *openaiwire.Response, st *streamState, send func(*types.ChatChunk) error) error {
	rd := openaiwire.NewSSEReader(u.Body, openaiwire.MaxEventSize)
	for n := 1; ; n++ {
		ev, err := rd.Next()
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			if errors.Is(err, io.EOF) {
				return &types.Error{Code: types.CodeUpstreamError, Message: fmt.Sprintf(
					"provider %q: the stream ended before the answer was complete (no message_stop)", c.wire.Name)}
			}
			return openaiwire.StreamBroken(c.wire.Name, err, c.wire.Scrub)
		}
		data := bytes.TrimSpace(ev.Data)
		if len(data) == 0 {
			continue
		}
		var e event
		if err := json.Unmarshal(data, &e); err != nil {
			return &types.Error{Code: types.CodeUpstreamError, Err: err, Message: fmt.Sprintf(
				"provider %q: event %d of the stream (%d bytes) is not valid JSON; the answer is incomplete", c.wire.Name, n, len(data))}
		}
		if e.Type == "" {
			e.Type = ev.Event
		}
		done, err := c.apply(st, &e, data, send)
		if err != nil || done {
			return err
		}
	}
}

// apply handles one event; done is true at message_stop.
func (c *Client) apply(st *streamState, e *event, data []byte, send func(*types.ChatChunk) error) (done bool, err error) {
	switch e.Type {
	case "message_start":
		if e.Message != nil {
			if e.Message.Model != "" {
				st.model = e.Message.Model
			}
			if e.Message.Usage != nil {
				st.use = *e.Message.Usage
			}
		}
	case "content_block_start":
		b := e.ContentBlock
		if b == nil {
			return false, c.malformed("content_block_start without content_block")
		}
		switch b.Type {
		case "tool_use":
			st.toolAt[e.Index] = len(st.toolAt)
			// The input comes in input_json_delta events; the start's
			// input is an empty object.
			st.tools.AddFragment(types.ToolCall{Index: st.toolAt[e.Index], ID: b.ID, Name: b.Name})
		case "text":
			return false, c.out(st, send, b.Text, "")
		case "thinking":
			return false, c.out(st, send, "", b.Thinking)
		}
	case "content_block_delta":
		switch e.Delta.Type {
		case "text_delta":
			return false, c.out(st, send, e.Delta.Text, "")
		case "thinking_delta":
			return false, c.out(st, send, "", e.Delta.Thinking)
		case "input_json_delta":
			idx, ok := st.toolAt[e.Index]
			if !ok {
				return false, c.malformed(fmt.Sprintf("input_json_delta for block %d, which is not a tool_use block", e.Index))
			}
			st.tools.AddFragment(types.ToolCall{Index: idx, Arguments: e.Delta.PartialJSON})
		}
		// signature_delta and deltas of later API versions carry nothing
		// types keep.
	case "message_delta":
		if e.Delta.StopReason != "" {
			st.finish = e.Delta.StopReason
		}
		if e.Usage != nil {
			// Cumulative: the last message_delta has the totals.
			st.use.OutputTokens = e.Usage.OutputTokens
			if e.Usage.InputTokens > 0 {
				st.use.InputTokens = e.Usage.InputTokens
			}
		}
	case "message_stop":
		st.finishTools()
		return true, nil
	case "error":
		e := MapError(c.wire.Name, 0, nil, data, c.wire.Scrub, c.now(), "")
		e.Retryable = false // the stream had started: the caller may have seen part of it
		e.Message = "in the stream: " + e.Message
		return false, e
	}
	// ping, content_block_stop and unknown events: nothing to do.
	return false, nil
}

// finishTools gives tool calls that streamed no input an empty object.
func (st *streamState) finishTools() {
	for _, idx := range st.toolAt {
		if tc, ok := st.tools.Current(idx); ok && strings.TrimSpace(tc.Arguments) == "" {
			st.tools.AddFragment(types.ToolCall{Index: idx, Arguments: "{}"})
		}
	}
}

// out sends text or thinking (the first chunk with the role).
func (c *Client) out(st *streamState, send func(*types.ChatChunk) error, text, thinking string) error {
	if text == "" && thinking == "" {
		return nil
	}
	ch := &types.ChatChunk{Model: st.model, Content: text, Thinking: thinking}
	if !st.role {
		st.role, ch.Role = true, "assistant"
	}
	return send(ch)
}

func (c *Client) malformed(what string) *types.Error {
	return &types.Error{Code: types.CodeUpstreamError, Message: fmt.Sprintf(
		"provider %q: the stream is not Anthropic's event stream (%s); the answer is incomplete", c.wire.Name, what)}
}
