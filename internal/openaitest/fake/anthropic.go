package fake

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"
)

// The Anthropic mode (Options.Anthropic) fakes Anthropic's Messages API
// as its reference describes it (https://docs.anthropic.com/en/api/messages,
// /en/api/messages-streaming, /en/api/errors):
//
//   - the key travels in x-api-key (or as a Bearer token, as the official
//     SDKs send it); anthropic-version is required;
//   - errors are {"type":"error","error":{"type":...,"message":...}} with
//     authentication_error 401, permission_error 403, not_found_error 404,
//     invalid_request_error 400, rate_limit_error 429, api_error 500,
//     overloaded_error 529;
//   - POST /v1/messages takes model, max_tokens (required), messages of
//     user and assistant turns (string or block content: text, image,
//     tool_use, tool_result), system, tools with input_schema,
//     tool_choice, stop_sequences, temperature (0..1), thinking; a
//     tool_result must answer a tool_use of the previous assistant turn;
//   - a stream is named events: message_start, content_block_start,
//     ping, content_block_delta (text_delta, input_json_delta,
//     thinking_delta, signature_delta), content_block_stop, message_delta
//     (stop_reason, cumulative usage), message_stop.
//
// Answers come from Options.Chat or the OpenAI mode's default reply
// (echo, or a call of the first tool), by way of a ChatRequest made from
// the Messages request.

// AnthropicModels are served in the Anthropic mode when Options.Models is
// empty.
var AnthropicModels = []string{"claude-sonnet-4-5", "claude-opus-4-1", "claude-haiku-4-5", "claude-3-5-haiku-latest"}

// validVersion accepts an anthropic-version as the API names them: a
// date, from the first version (2023-01-01) on; later SDKs send later dates
// (the official Go SDK v2 sends 2026-10-21).
func validVersion(v string) bool {
	d, err := time.Parse("2006-01-02", v)
	return err == nil && !d.Before(time.Date(2023, 1, 1, 0, 0, 0, 0, time.UTC))
}

// anthropicTypes names the error type of each status.
var anthropicTypes = map[int]string{
	400: "invalid_request_error", 401: "authentication_error", 403: "permission_error", 404: "not_found_error",
	413: "request_too_large", 429: "rate_limit_error", 500: "api_error", 529: "overloaded_error",
}

func writeAnthropicError(w http.ResponseWriter, e *APIError) {
	for k, vs := range e.Header {
		for _, v := range vs {
			w.Header().Add(k, v)
		}
	}
	typ, ok := anthropicTypes[e.Status]
	if !ok {
		typ = "api_error"
		if e.Status < 500 {
			typ = "invalid_request_error"
		}
	}
	writeJSON(w, e.Status, map[string]any{"type": "error",
		"error": map[string]any{"type": typ, "message": e.Message}, "request_id": "req_" + randomID(24)})
}

func anthropicInvalid(format string, args ...any) *APIError {
	return &APIError{Status: http.StatusBadRequest, Message: fmt.Sprintf(format, args...)}
}

func (s *Server) serveAnthropic(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Request-Id", "req_"+randomID(24))
	// The reference documents x-api-key; Anthropic's official SDKs send
	// the key as "Authorization: Bearer", which the API takes too.
	key := strings.TrimSpace(r.Header.Get("X-Api-Key"))
	if bearer, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); ok && key == "" {
		key = strings.TrimSpace(bearer)
	}
	rec, err := s.record(r, key)
	if err != nil {
		writeAnthropicError(w, err)
		return
	}
	switch {
	case key == "" && !s.opts.NoAuth:
		writeAnthropicError(w, &APIError{Status: http.StatusUnauthorized, Message: "x-api-key header is required"})
		return
	case key != "" && len(s.opts.Keys) > 0 && !slices.Contains(s.opts.Keys, key):
		writeAnthropicError(w, &APIError{Status: http.StatusUnauthorized, Message: "invalid x-api-key"})
		return
	}
	switch v := r.Header.Get("Anthropic-Version"); {
	case v == "":
		writeAnthropicError(w, anthropicInvalid("anthropic-version: header is required"))
		return
	case !validVersion(v):
		writeAnthropicError(w, anthropicInvalid("anthropic-version: invalid version %q", v))
		return
	}
	if s.opts.Intercept != nil {
		if e := s.opts.Intercept(r, key); e != nil {
			writeAnthropicError(w, e)
			return
		}
	}
	switch r.Method + " " + r.URL.Path {
	case "GET /v1/models":
		data := make([]map[string]any, 0, len(s.models))
		for _, m := range s.models {
			data = append(data, map[string]any{"type": "model", "id": m, "display_name": m, "created_at": "2025-01-01T00:00:00Z"})
		}
		out := map[string]any{"data": data, "has_more": false, "first_id": nil, "last_id": nil}
		if len(data) > 0 {
			out["first_id"], out["last_id"] = s.models[0], s.models[len(s.models)-1]
		}
		writeJSON(w, http.StatusOK, out)
	case "POST /v1/messages":
		s.messages(w, rec)
	default:
		writeAnthropicError(w, &APIError{Status: http.StatusNotFound, Message: "Not found"})
	}
}

// MessagesRequest is a POST /v1/messages body, as the fake reads it.
type MessagesRequest struct {
	Model      string          `json:"model"`
	MaxTokens  *int            `json:"max_tokens"`
	System     json.RawMessage `json:"system"`
	Messages   []MessagesTurn  `json:"messages"`
	Tools      []MessagesTool  `json:"tools"`
	ToolChoice *struct {
		Type string `json:"type"`
		Name string `json:"name"`
	} `json:"tool_choice"`
	StopSequences []string `json:"stop_sequences"`
	Stream        bool     `json:"stream"`
	Temperature   *float64 `json:"temperature"`
	Thinking      *struct {
		Type         string `json:"type"`
		BudgetTokens int    `json:"budget_tokens"`
	} `json:"thinking"`
}

// MessagesTurn is one message; Content is a string or a list of blocks.
type MessagesTurn struct {
	Role    string          `json:"role"`
	Content json.RawMessage `json:"content"`
}

// MessagesBlock is a content block of a turn.
type MessagesBlock struct {
	Type      string          `json:"type"`
	Text      string          `json:"text"`
	ID        string          `json:"id"`
	Name      string          `json:"name"`
	Input     json.RawMessage `json:"input"`
	ToolUseID string          `json:"tool_use_id"`
	Content   json.RawMessage `json:"content"`
	Source    *struct {
		Type      string `json:"type"`
		MediaType string `json:"media_type"`
		Data      string `json:"data"`
	} `json:"source"`
}

// MessagesTool is a tool offered in a MessagesRequest.
type MessagesTool struct {
	Name        string          `json:"name"`
	Description string          `json:"description"`
	InputSchema json.RawMessage `json:"input_schema"`
}

// Blocks reads the turn's content: a string is one text block.
func (t MessagesTurn) Blocks() ([]MessagesBlock, error) {
	var s string
	if json.Unmarshal(t.Content, &s) == nil {
		return []MessagesBlock{{Type: "text", Text: s}}, nil
	}
	var bs []MessagesBlock
	err := json.Unmarshal(t.Content, &bs)
	return bs, err
}

// blockText reads a tool_result's content: a string or text blocks.
func blockText(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	var bs []MessagesBlock
	_ = json.Unmarshal(raw, &bs)
	var b strings.Builder
	for _, x := range bs {
		b.WriteString(x.Text)
	}
	return b.String()
}

// checkMessages validates as the API does and makes the equivalent
// ChatRequest for the reply.
func (s *Server) checkMessages(req *MessagesRequest) (*ChatRequest, *APIError) {
	switch {
	case req.Model == "":
		return nil, anthropicInvalid("model: Field required")
	case req.MaxTokens == nil:
		return nil, anthropicInvalid("max_tokens: Field required")
	case *req.MaxTokens < 1:
		return nil, anthropicInvalid("max_tokens: Input should be greater than or equal to 1")
	case len(req.Messages) == 0:
		return nil, anthropicInvalid("messages: at least one message is required")
	case req.Temperature != nil && (*req.Temperature < 0 || *req.Temperature > 1):
		return nil, anthropicInvalid("temperature: range: 0..1")
	case !s.hasModel(req.Model):
		return nil, &APIError{Status: http.StatusNotFound, Message: "model: " + req.Model}
	}
	if req.Thinking != nil && req.Thinking.Type == "enabled" &&
		(req.Thinking.BudgetTokens < 1024 || req.Thinking.BudgetTokens >= *req.MaxTokens) {
		return nil, anthropicInvalid("thinking.budget_tokens: must be at least 1024 and less than max_tokens")
	}
	cr := &ChatRequest{Model: req.Model, MaxTokens: req.MaxTokens}
	if sys := blockText(req.System); sys != "" {
		cr.Messages = append(cr.Messages, textMessage("system", sys))
	}
	size := len(req.System)
	var prevUses []string
	for i, t := range req.Messages {
		if t.Role != "user" && t.Role != "assistant" {
			return nil, anthropicInvalid("messages.%d.role: Input should be 'user' or 'assistant' (the Messages API takes a top-level `system` parameter, not %q as an input message role)", i, t.Role)
		}
		blocks, err := t.Blocks()
		if err != nil || len(blocks) == 0 {
			return nil, anthropicInvalid("messages.%d.content: Input should be a valid string or a non-empty list of content blocks", i)
		}
		var uses []string
		var text strings.Builder
		asst := ChatMessage{Role: "assistant"}
		for j, b := range blocks {
			switch b.Type {
			case "text":
				text.WriteString(b.Text)
				size += len(b.Text)
			case "image":
				if t.Role != "user" || b.Source == nil || b.Source.Type != "base64" || b.Source.Data == "" {
					return nil, anthropicInvalid("messages.%d.content.%d.image.source: a base64 source is required", i, j)
				}
			case "tool_use":
				if t.Role != "assistant" || b.ID == "" || b.Name == "" {
					return nil, anthropicInvalid("messages.%d.content.%d: tool_use blocks need id and name, in an assistant turn", i, j)
				}
				var obj map[string]any
				if json.Unmarshal(b.Input, &obj) != nil {
					return nil, anthropicInvalid("messages.%d.content.%d.tool_use.input: Input should be a valid dictionary", i, j)
				}
				uses = append(uses, b.ID)
				tc := ToolCall{ID: b.ID, Type: "function"}
				tc.Function.Name, tc.Function.Arguments = b.Name, string(b.Input)
				asst.ToolCalls = append(asst.ToolCalls, tc)
			case "tool_result":
				if t.Role != "user" || !slices.Contains(prevUses, b.ToolUseID) {
					return nil, anthropicInvalid("messages.%d.content.%d: unexpected `tool_use_id` found in `tool_result` blocks: %s. "+
						"Each `tool_result` block must have a corresponding `tool_use` block in the previous message.", i, j, b.ToolUseID)
				}
				res := blockText(b.Content)
				size += len(res)
				cr.Messages = append(cr.Messages, ChatMessage{Role: "tool", ToolCallID: b.ToolUseID, Content: jsonString(res)})
			default:
				return nil, anthropicInvalid("messages.%d.content.%d.type: unknown block type %q", i, j, b.Type)
			}
		}
		switch {
		case t.Role == "assistant":
			asst.Content = jsonString(text.String())
			cr.Messages = append(cr.Messages, asst)
		case text.Len() > 0:
			cr.Messages = append(cr.Messages, textMessage("user", text.String()))
		}
		prevUses = uses
	}
	if size > s.opts.ContextLimit {
		return nil, anthropicInvalid("prompt is too long: %d tokens > %d maximum", size/4, s.opts.ContextLimit/4)
	}
	for i, tl := range req.Tools {
		if tl.Name == "" || len(tl.InputSchema) == 0 {
			return nil, anthropicInvalid("tools.%d: name and input_schema are required", i)
		}
		ct := ChatTool{Type: "function"}
		ct.Function.Name, ct.Function.Description, ct.Function.Parameters = tl.Name, tl.Description, tl.InputSchema
		cr.Tools = append(cr.Tools, ct)
	}
	if req.ToolChoice != nil && req.ToolChoice.Type == "none" {
		cr.ToolChoice = json.RawMessage(`"none"`)
	}
	return cr, nil
}

func jsonString(s string) json.RawMessage {
	b, _ := json.Marshal(s)
	return b
}

func textMessage(role, text string) ChatMessage {
	return ChatMessage{Role: role, Content: jsonString(text)}
}

func (s *Server) messages(w http.ResponseWriter, c *call) {
	var req MessagesRequest
	if err := json.Unmarshal(c.body, &req); err != nil {
		writeAnthropicError(w, anthropicInvalid("There was an issue with the format of your request: the body is not valid JSON"))
		return
	}
	cr, e := s.checkMessages(&req)
	if e != nil {
		writeAnthropicError(w, e)
		return
	}
	reply := defaultReply(cr)
	if s.opts.Chat != nil {
		var err error
		if reply, err = s.opts.Chat(cr); err != nil {
			var ae *APIError
			if errors.As(err, &ae) {
				writeAnthropicError(w, ae)
			} else {
				writeAnthropicError(w, &APIError{Status: 500, Message: err.Error()})
			}
			return
		}
	}
	msg := anthropicAnswer(&req, cr, reply)
	if req.Stream {
		s.streamMessage(w, msg)
		return
	}
	writeJSON(w, http.StatusOK, msg)
}

// anthropicMessage is the answer object.
type anthropicMessage struct {
	ID           string           `json:"id"`
	Type         string           `json:"type"`
	Role         string           `json:"role"`
	Model        string           `json:"model"`
	Content      []map[string]any `json:"content"`
	StopReason   string           `json:"stop_reason"`
	StopSequence *string          `json:"stop_sequence"`
	Usage        map[string]int   `json:"usage"`
}

func anthropicAnswer(req *MessagesRequest, cr *ChatRequest, r *Reply) *anthropicMessage {
	m := &anthropicMessage{ID: "msg_" + randomID(24), Type: "message", Role: "assistant", Model: req.Model,
		Content: []map[string]any{}, StopReason: "end_turn"}
	in := 0
	for _, x := range cr.Messages {
		in += countWords(x.Text())
	}
	out := 0
	if r.Reasoning != "" {
		m.Content = append(m.Content, map[string]any{"type": "thinking", "thinking": r.Reasoning, "signature": "sig_" + randomID(16)})
		out += countWords(r.Reasoning)
	}
	text := r.Content
	if text == "" {
		text = r.Refusal
	}
	if t, cut := truncateWords(text, *req.MaxTokens); cut {
		text, m.StopReason = t, "max_tokens"
	}
	for _, seq := range req.StopSequences {
		if i := strings.Index(text, seq); seq != "" && i >= 0 {
			text, m.StopReason, m.StopSequence = text[:i], "stop_sequence", &seq
		}
	}
	if text != "" {
		m.Content = append(m.Content, map[string]any{"type": "text", "text": text})
		out += countWords(text)
	}
	for _, tc := range r.ToolCalls {
		var input map[string]any
		if json.Unmarshal([]byte(tc.Arguments), &input) != nil {
			input = map[string]any{}
		}
		id := tc.ID
		if id == "" || strings.HasPrefix(id, "call_") {
			id = "toolu_" + randomID(24)
		}
		m.Content = append(m.Content, map[string]any{"type": "tool_use", "id": id, "name": tc.Name, "input": input})
		m.StopReason = "tool_use"
		out += 10
	}
	if r.Refusal != "" && r.Content == "" {
		m.StopReason = "refusal"
	}
	m.Usage = map[string]int{"input_tokens": in, "output_tokens": out}
	return m
}

// streamMessage sends msg as Anthropic's event stream.
func (s *Server) streamMessage(w http.ResponseWriter, msg *anthropicMessage) {
	out := newSSE(w)
	emit := func(name string, v map[string]any) bool {
		v["type"] = name
		b, _ := json.Marshal(v)
		if s.opts.StreamDelay > 0 {
			time.Sleep(s.opts.StreamDelay)
		}
		return out.raw("event: "+name+"\ndata: "+string(b)+"\n\n") == nil
	}
	start := *msg
	start.Content, start.StopReason, start.StopSequence = []map[string]any{}, "", nil
	start.Usage = map[string]int{"input_tokens": msg.Usage["input_tokens"], "output_tokens": 1}
	startJSON, _ := json.Marshal(start)
	var startObj map[string]any
	_ = json.Unmarshal(startJSON, &startObj)
	startObj["stop_reason"] = nil
	if !emit("message_start", map[string]any{"message": startObj}) || !emit("ping", map[string]any{}) {
		return
	}
	for i, b := range msg.Content {
		var first map[string]any
		var deltas []map[string]any
		switch b["type"] {
		case "text":
			first = map[string]any{"type": "text", "text": ""}
			for _, p := range pieces(b["text"].(string)) {
				deltas = append(deltas, map[string]any{"type": "text_delta", "text": p})
			}
		case "thinking":
			first = map[string]any{"type": "thinking", "thinking": ""}
			for _, p := range pieces(b["thinking"].(string)) {
				deltas = append(deltas, map[string]any{"type": "thinking_delta", "thinking": p})
			}
			deltas = append(deltas, map[string]any{"type": "signature_delta", "signature": b["signature"]})
		case "tool_use":
			first = map[string]any{"type": "tool_use", "id": b["id"], "name": b["name"], "input": map[string]any{}}
			in, _ := json.Marshal(b["input"])
			for _, p := range splitEvery(string(in), 7) {
				deltas = append(deltas, map[string]any{"type": "input_json_delta", "partial_json": p})
			}
		}
		if !emit("content_block_start", map[string]any{"index": i, "content_block": first}) {
			return
		}
		for _, d := range deltas {
			if !emit("content_block_delta", map[string]any{"index": i, "delta": d}) {
				return
			}
		}
		if !emit("content_block_stop", map[string]any{"index": i}) {
			return
		}
	}
	if !emit("message_delta", map[string]any{"delta": map[string]any{"stop_reason": msg.StopReason, "stop_sequence": msg.StopSequence},
		"usage": map[string]int{"output_tokens": msg.Usage["output_tokens"]}}) {
		return
	}
	emit("message_stop", map[string]any{})
}
