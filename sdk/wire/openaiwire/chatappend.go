package openaiwire

import (
	"math"
	"strconv"
	"strings"

	"github.com/roundhouse-ai/roundhouse/types"
)

// appendChat writes the body of a common chat request directly, with no
// intermediate structs, reflection or encoding/json buffers: one
// allocation, of about the final size. It reports false for anything
// else, and buildChatJSON then builds the body (or the error):
//
//   - Extra, tools, a response format, images;
//   - anything invalid (no messages, a message without role, a tool
//     message without tool_call_id, a tool call without name, a number
//     JSON cannot hold);
//   - a string of spliceMin bytes or more (buildChatJSON splices those
//     into a body of the exact final size).
//
// The body holds the same JSON as buildChatJSON's, field for field in
// the same order; strings are escaped as with Extra (no HTML escaping),
// which the API reads the same (TestAppendChatMatchesJSON, FuzzAppendChat).
func (c *Client) appendChat(req *types.ChatRequest, stream bool) ([]byte, bool) {
	if len(req.Messages) == 0 || len(req.Extra) > 0 || len(req.Tools) > 0 {
		return nil, false
	}
	model := modelOr(req.Model, types.ServiceChat)
	size := len(`{"model":,"messages":[],"stream":true,"stream_options":{"include_usage":true}}`) + len(model) + 2
	for i := range req.Messages {
		m := &req.Messages[i]
		if m.Role == "" || len(m.Images) > 0 || m.Role == "tool" && m.ToolCallID == "" || len(m.Content) >= spliceMin {
			return nil, false
		}
		size += len(`{"role":"","content":,"name":"","tool_call_id":""},`) + len(m.Role) + len(m.Content) + 2 +
			len(m.Name) + len(m.ToolCallID)
		for j := range m.ToolCalls {
			tc := &m.ToolCalls[j]
			if tc.Name == "" || len(tc.Arguments) >= spliceMin {
				return nil, false
			}
			size += len(`{"id":"","type":"function","function":{"name":"","arguments":"{}"}},"tool_calls":[]`) +
				len(tc.ID) + len(tc.Name) + len(tc.Arguments) + 2
		}
	}
	o := req.Options
	if o != nil {
		if o.ResponseFormat != nil && o.ResponseFormat.Type != "" {
			return nil, false
		}
		for _, f := range []*float64{o.Temperature, o.TopP, o.PresencePenalty, o.FrequencyPenalty} {
			if f != nil && (math.IsNaN(*f) || math.IsInf(*f, 0)) {
				return nil, false
			}
		}
		size += 256
		for _, s := range o.Stop {
			size += len(s) + 3
		}
	}

	b := make([]byte, 0, size+size/16)
	b = append(b, `{"model":`...)
	b = appendJSONString(b, model)
	b = append(b, `,"messages":[`...)
	for i := range req.Messages {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendMessage(b, &req.Messages[i])
	}
	b = append(b, ']')
	if o != nil {
		b = appendFloatField(b, `,"temperature":`, o.Temperature)
		b = appendFloatField(b, `,"top_p":`, o.TopP)
		if o.MaxTokens != nil { // no Extra here to override it
			if c.maxTokensField() == "max_completion_tokens" {
				b = append(b, `,"max_completion_tokens":`...)
			} else {
				b = append(b, `,"max_tokens":`...)
			}
			b = strconv.AppendInt(b, int64(*o.MaxTokens), 10)
		}
		if len(o.Stop) > 0 {
			b = append(b, `,"stop":[`...)
			for i, s := range o.Stop {
				if i > 0 {
					b = append(b, ',')
				}
				b = appendJSONString(b, s)
			}
			b = append(b, ']')
		}
		if o.Seed != nil {
			b = append(b, `,"seed":`...)
			b = strconv.AppendInt(b, *o.Seed, 10)
		}
		b = appendFloatField(b, `,"presence_penalty":`, o.PresencePenalty)
		b = appendFloatField(b, `,"frequency_penalty":`, o.FrequencyPenalty)
		switch effort := strings.ToLower(o.Think); effort {
		case "low", "medium", "high":
			b = append(b, `,"reasoning_effort":`...)
			b = appendJSONString(b, effort)
		}
	}
	if stream {
		b = append(b, `,"stream":true,"stream_options":{"include_usage":true}`...)
	}
	return append(b, '}'), true
}

// appendMessage writes one message as wireMessage maps it (no images).
func appendMessage(b []byte, m *types.Message) []byte {
	b = append(b, `{"role":`...)
	b = appendJSONString(b, m.Role)
	b = append(b, `,"content":`...)
	if len(m.ToolCalls) > 0 && m.Content == "" {
		b = append(b, "null"...) // an assistant turn that only calls tools
	} else {
		b = appendJSONString(b, m.Content)
	}
	if m.Name != "" {
		b = append(b, `,"name":`...)
		b = appendJSONString(b, m.Name)
	}
	if len(m.ToolCalls) > 0 {
		b = append(b, `,"tool_calls":[`...)
		for j := range m.ToolCalls {
			tc := &m.ToolCalls[j]
			if j > 0 {
				b = append(b, ',')
			}
			b = append(b, '{')
			if tc.ID != "" {
				b = append(b, `"id":`...)
				b = appendJSONString(b, tc.ID)
				b = append(b, ',')
			}
			b = append(b, `"type":"function","function":{"name":`...)
			b = appendJSONString(b, tc.Name)
			b = append(b, `,"arguments":`...)
			args := tc.Arguments
			if args == "" {
				args = "{}"
			}
			b = appendJSONString(b, args)
			b = append(b, "}}"...)
		}
		b = append(b, ']')
	}
	if m.ToolCallID != "" {
		b = append(b, `,"tool_call_id":`...)
		b = appendJSONString(b, m.ToolCallID)
	}
	return append(b, '}')
}

// appendFloatField writes key and *f as encoding/json writes a float64;
// nothing when f is nil. The caller has checked that *f is finite.
func appendFloatField(b []byte, key string, f *float64) []byte {
	if f == nil {
		return b
	}
	b = append(b, key...)
	return appendJSONFloat(b, *f)
}

// appendJSONFloat is encoding/json's float64 encoding: the shortest
// representation, in exponent form below 1e-6 or from 1e21, with a
// two-digit negative exponent shortened (1e-07 -> 1e-7).
func appendJSONFloat(b []byte, f float64) []byte {
	abs := math.Abs(f)
	format := byte('f')
	if abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	b = strconv.AppendFloat(b, f, format, -1, 64)
	if format == 'e' {
		if n := len(b); n >= 4 && b[n-4] == 'e' && b[n-3] == '-' && b[n-2] == '0' {
			b[n-2] = b[n-1]
			b = b[:n-1]
		}
	}
	return b
}
