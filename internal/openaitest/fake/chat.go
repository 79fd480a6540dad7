package fake

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// ChatRequest is a POST /v1/chat/completions body, as the fake reads it.
type ChatRequest struct {
	Model               string          `json:"model"`
	Messages            []ChatMessage   `json:"messages"`
	Tools               []ChatTool      `json:"tools"`
	ToolChoice          json.RawMessage `json:"tool_choice"`
	MaxTokens           *int            `json:"max_tokens"`
	MaxCompletionTokens *int            `json:"max_completion_tokens"`
	Temperature         *float64        `json:"temperature"`
	TopP                *float64        `json:"top_p"`
	N                   *int            `json:"n"`
	Stop                json.RawMessage `json:"stop"`
	Seed                *int64          `json:"seed"`
	Stream              bool            `json:"stream"`
	StreamOptions       *struct {
		IncludeUsage bool `json:"include_usage"`
	} `json:"stream_options"`
	ResponseFormat *struct {
		Type       string          `json:"type"`
		JSONSchema json.RawMessage `json:"json_schema"`
	} `json:"response_format"`
	ReasoningEffort string `json:"reasoning_effort"`
}

// ChatMessage is one message of a ChatRequest.
type ChatMessage struct {
	Role       string          `json:"role"`
	Content    json.RawMessage `json:"content"`
	Name       string          `json:"name"`
	ToolCalls  []ToolCall      `json:"tool_calls"`
	ToolCallID string          `json:"tool_call_id"`
}

// ChatTool is a tool offered in a ChatRequest.
type ChatTool struct {
	Type     string `json:"type"`
	Function struct {
		Name        string          `json:"name"`
		Description string          `json:"description"`
		Parameters  json.RawMessage `json:"parameters"`
	} `json:"function"`
}

// ToolCall is a tool call in a message.
type ToolCall struct {
	ID       string `json:"id"`
	Type     string `json:"type"`
	Function struct {
		Name      string `json:"name"`
		Arguments string `json:"arguments"`
	} `json:"function"`
}

// Text is the message's text: the string content, or its text parts.
func (m ChatMessage) Text() string {
	var s string
	if json.Unmarshal(m.Content, &s) == nil {
		return s
	}
	var b strings.Builder
	for _, p := range m.parts() {
		if p.Type == "text" {
			b.WriteString(p.Text)
		}
	}
	return b.String()
}

// ImageURLs lists the image_url parts of the message.
func (m ChatMessage) ImageURLs() []string {
	var out []string
	for _, p := range m.parts() {
		if p.Type == "image_url" && p.ImageURL != nil {
			out = append(out, p.ImageURL.URL)
		}
	}
	return out
}

type contentPart struct {
	Type     string `json:"type"`
	Text     string `json:"text"`
	ImageURL *struct {
		URL    string `json:"url"`
		Detail string `json:"detail"`
	} `json:"image_url"`
}

func (m ChatMessage) parts() []contentPart {
	var parts []contentPart
	_ = json.Unmarshal(m.Content, &parts)
	return parts
}

// Reply is a chat answer to send.
type Reply struct {
	Content   string
	Reasoning string
	Refusal   string
	ToolCalls []ReplyToolCall
	// FinishReason defaults to "stop", or "tool_calls" with tool calls.
	FinishReason string
}

// ReplyToolCall is a tool call in a Reply.
type ReplyToolCall struct {
	ID        string
	Name      string
	Arguments string
}

var validRoles = map[string]bool{"system": true, "developer": true, "user": true, "assistant": true, "tool": true}

func (s *Server) checkChat(req *ChatRequest) *APIError {
	if req.Model == "" {
		return invalid("model", "you must provide a model parameter")
	}
	if len(req.Messages) == 0 {
		return invalid("messages", "[] is too short - 'messages'")
	}
	for i, m := range req.Messages {
		if !validRoles[m.Role] {
			return invalid(fmt.Sprintf("messages[%d].role", i),
				"Invalid value: '%s'. Supported values are: 'system', 'assistant', 'user', 'tool', and 'developer'.", m.Role)
		}
		if m.Role == "tool" && m.ToolCallID == "" {
			return invalid(fmt.Sprintf("messages[%d].tool_call_id", i), "Missing required parameter: 'messages[%d].tool_call_id'.", i)
		}
		if len(m.Content) == 0 && !(m.Role == "assistant" && len(m.ToolCalls) > 0) {
			return invalid(fmt.Sprintf("messages[%d].content", i), "Missing required parameter: 'messages[%d].content'.", i)
		}
		for _, u := range m.ImageURLs() {
			if !strings.HasPrefix(u, "data:image/") && !strings.HasPrefix(u, "http") {
				return invalid(fmt.Sprintf("messages[%d].content", i), "Invalid image URL: expected a URL or a base64 data URL.")
			}
		}
	}
	if req.StreamOptions != nil && !req.Stream {
		return invalid("stream_options", "The 'stream_options' parameter is only allowed when 'stream' is enabled.")
	}
	if t := req.Temperature; t != nil && (*t < 0 || *t > 2) {
		return invalid("temperature", "Invalid 'temperature': decimal above maximum value. Expected a value <= 2, but got %v instead.", *t)
	}
	if rf := req.ResponseFormat; rf != nil {
		switch rf.Type {
		case "text", "json_object":
		case "json_schema":
			var js struct {
				Name string `json:"name"`
			}
			if json.Unmarshal(rf.JSONSchema, &js) != nil || js.Name == "" {
				return invalid("response_format.json_schema.name", "Missing required parameter: 'response_format.json_schema.name'.")
			}
		default:
			return invalid("response_format.type", "Invalid value: '%s'. Supported values are: 'json_object', 'json_schema', and 'text'.", rf.Type)
		}
	}
	if !s.hasModel(req.Model) {
		return modelNotFound(req.Model)
	}
	size := 0
	for _, m := range req.Messages {
		size += len(m.Text())
	}
	if size > s.opts.ContextLimit {
		return &APIError{Status: http.StatusBadRequest, Type: "invalid_request_error", Param: "messages",
			Code: "context_length_exceeded",
			Message: fmt.Sprintf("This model's maximum context length is %d tokens. However, your messages resulted in %d tokens. "+
				"Please reduce the length of the messages.", s.opts.ContextLimit/4, size/4)}
	}
	return nil
}

// defaultReply echoes the last user message, calls the first tool when
// tools are offered to a user turn, and reports a tool's result.
func defaultReply(req *ChatRequest) *Reply {
	last := req.Messages[len(req.Messages)-1]
	switch {
	case last.Role == "tool":
		return &Reply{Content: "tool said: " + last.Text()}
	case len(req.Tools) > 0 && string(req.ToolChoice) != `"none"`:
		args, _ := json.Marshal(map[string]string{"input": last.Text()})
		return &Reply{ToolCalls: []ReplyToolCall{{ID: "call_" + randomID(24), Name: req.Tools[0].Function.Name, Arguments: string(args)}}}
	case req.ResponseFormat != nil && req.ResponseFormat.Type != "text":
		b, _ := json.Marshal(map[string]string{"echo": last.Text()})
		return &Reply{Content: string(b)}
	}
	return &Reply{Content: "echo: " + last.Text()}
}

func countWords(s string) int { return len(strings.Fields(s)) }

// truncateWords keeps the first n words (a word stands for a token).
func truncateWords(s string, n int) (string, bool) {
	words := strings.Fields(s)
	if len(words) <= n {
		return s, false
	}
	return strings.Join(words[:n], " "), true
}

func (s *Server) chat(w http.ResponseWriter, r *http.Request, c *call) {
	var req ChatRequest
	if e := decodeJSON(c.body, &req); e != nil {
		writeError(w, e)
		return
	}
	if e := s.checkChat(&req); e != nil {
		writeError(w, e)
		return
	}
	reply := defaultReply(&req)
	if s.opts.Chat != nil {
		rep, err := s.opts.Chat(&req)
		var ae *APIError
		if errors.As(err, &ae) {
			writeError(w, ae)
			return
		}
		if err != nil {
			writeError(w, &APIError{Status: 500, Type: "server_error", Message: err.Error()})
			return
		}
		reply = rep
	}
	finish := reply.FinishReason
	if finish == "" {
		finish = "stop"
		if len(reply.ToolCalls) > 0 {
			finish = "tool_calls"
		}
	}
	limit := req.MaxCompletionTokens
	if limit == nil {
		limit = req.MaxTokens
	}
	content := reply.Content
	if limit != nil {
		if cut, ok := truncateWords(content, *limit); ok {
			content, finish = cut, "length"
		}
	}
	prompt := 0
	for _, m := range req.Messages {
		prompt += countWords(m.Text()) + 3
	}
	completion := countWords(content) + countWords(reply.Reasoning)
	for _, tc := range reply.ToolCalls {
		completion += 1 + len(tc.Arguments)/4
	}
	use := map[string]any{"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion}
	id := "chatcmpl-" + randomID(24)
	created := time.Now().Unix()

	if !req.Stream {
		msg := map[string]any{"role": "assistant", "content": nullable(content, len(reply.ToolCalls) > 0 || reply.Refusal != ""),
			"refusal": nullable(reply.Refusal, true)}
		if reply.Reasoning != "" {
			msg[s.opts.ReasoningField] = reply.Reasoning
		}
		if len(reply.ToolCalls) > 0 {
			var calls []map[string]any
			for _, tc := range reply.ToolCalls {
				calls = append(calls, map[string]any{"id": tc.ID, "type": "function",
					"function": map[string]any{"name": tc.Name, "arguments": tc.Arguments}})
			}
			msg["tool_calls"] = calls
		}
		writeJSON(w, http.StatusOK, map[string]any{
			"id": id, "object": "chat.completion", "created": created, "model": req.Model,
			"system_fingerprint": "fp_fake",
			"choices":            []any{map[string]any{"index": 0, "message": msg, "logprobs": nil, "finish_reason": finish}},
			"usage":              use,
		})
		return
	}

	sw := newSSE(w)
	includeUsage := req.StreamOptions != nil && req.StreamOptions.IncludeUsage
	chunk := func(delta map[string]any, finish any) map[string]any {
		ch := map[string]any{"id": id, "object": "chat.completion.chunk", "created": created, "model": req.Model,
			"system_fingerprint": "fp_fake",
			"choices":            []any{map[string]any{"index": 0, "delta": delta, "logprobs": nil, "finish_reason": finish}}}
		if includeUsage {
			ch["usage"] = nil
		}
		return ch
	}
	send := func(v any) bool {
		if s.opts.StreamDelay > 0 {
			select {
			case <-r.Context().Done():
				return false
			case <-time.After(s.opts.StreamDelay):
			}
		}
		return sw.send(v) == nil
	}
	if !send(chunk(map[string]any{"role": "assistant", "content": "", "refusal": nil}, nil)) {
		return
	}
	for _, piece := range pieces(reply.Reasoning) {
		if !send(chunk(map[string]any{s.opts.ReasoningField: piece}, nil)) {
			return
		}
	}
	for _, piece := range pieces(content) {
		if !send(chunk(map[string]any{"content": piece}, nil)) {
			return
		}
	}
	if reply.Refusal != "" && !send(chunk(map[string]any{"refusal": reply.Refusal}, nil)) {
		return
	}
	for i, tc := range reply.ToolCalls {
		first := map[string]any{"index": i, "id": tc.ID, "type": "function",
			"function": map[string]any{"name": tc.Name, "arguments": ""}}
		if !send(chunk(map[string]any{"tool_calls": []any{first}}, nil)) {
			return
		}
		for _, a := range splitEvery(tc.Arguments, 7) {
			if !send(chunk(map[string]any{"tool_calls": []any{map[string]any{"index": i,
				"function": map[string]any{"arguments": a}}}}, nil)) {
				return
			}
		}
	}
	if !send(chunk(map[string]any{}, finish)) {
		return
	}
	if includeUsage {
		if !send(map[string]any{"id": id, "object": "chat.completion.chunk", "created": created, "model": req.Model,
			"system_fingerprint": "fp_fake", "choices": []any{}, "usage": use}) {
			return
		}
	}
	_ = sw.done()
}

// nullable gives nil for an empty string when null is what the API sends.
func nullable(s string, nullIfEmpty bool) any {
	if s == "" && nullIfEmpty {
		return nil
	}
	return s
}

// pieces splits text into word-sized streaming deltas that join back
// exactly.
func pieces(s string) []string {
	var out []string
	for s != "" {
		i := strings.IndexByte(s, ' ')
		if i < 0 {
			out = append(out, s)
			break
		}
		out = append(out, s[:i+1])
		s = s[i+1:]
	}
	return out
}

func splitEvery(s string, n int) []string {
	var out []string
	for len(s) > n {
		out = append(out, s[:n])
		s = s[n:]
	}
	if s != "" {
		out = append(out, s)
	}
	return out
}

// sse writes server-sent events.
type sse struct {
	w http.ResponseWriter
	f http.Flusher
}

func newSSE(w http.ResponseWriter) *sse {
	w.Header().Set("Content-Type", "text/event-stream; charset=utf-8")
	w.Header().Set("Cache-Control", "no-cache")
	w.WriteHeader(http.StatusOK)
	f, _ := w.(http.Flusher)
	return &sse{w: w, f: f}
}

func (s *sse) send(v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return s.raw("data: " + string(b) + "\n\n")
}

func (s *sse) done() error { return s.raw("data: [DONE]\n\n") }

func (s *sse) raw(text string) error {
	if _, err := s.w.Write([]byte(text)); err != nil {
		return err
	}
	if s.f != nil {
		s.f.Flush()
	}
	return nil
}
