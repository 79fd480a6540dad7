package openaiwire

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"regexp"
	"strings"

	"github.com/roundhouse-ai/roundhouse/types"
)

// Wire types of POST /chat/completions.

type chatRequest struct {
	Model               string          `json:"model"`
	Messages            []chatMessage   `json:"messages"`
	Tools               []chatTool      `json:"tools,omitempty"`
	ToolChoice          any             `json:"tool_choice,omitempty"`
	ParallelToolCalls   *bool           `json:"parallel_tool_calls,omitempty"`
	Temperature         *float64        `json:"temperature,omitempty"`
	TopP                *float64        `json:"top_p,omitempty"`
	MaxTokens           *int            `json:"max_tokens,omitempty"`
	MaxCompletionTokens *int            `json:"max_completion_tokens,omitempty"`
	Stop                []string        `json:"stop,omitempty"`
	Seed                *int64          `json:"seed,omitempty"`
	PresencePenalty     *float64        `json:"presence_penalty,omitempty"`
	FrequencyPenalty    *float64        `json:"frequency_penalty,omitempty"`
	ResponseFormat      *responseFormat `json:"response_format,omitempty"`
	ReasoningEffort     string          `json:"reasoning_effort,omitempty"`
	Stream              bool            `json:"stream,omitempty"`
	StreamOptions       *streamOptions  `json:"stream_options,omitempty"`
}

type streamOptions struct {
	IncludeUsage bool `json:"include_usage"`
}

type chatMessage struct {
	Role string `json:"role"`
	// Content is a string, a list of parts (text and images), or null (an
	// assistant turn that only calls tools).
	Content    any            `json:"content"`
	Name       string         `json:"name,omitempty"`
	ToolCalls  []wireToolCall `json:"tool_calls,omitempty"`
	ToolCallID string         `json:"tool_call_id,omitempty"`
}

type contentPart struct {
	Type     string    `json:"type"`
	Text     string    `json:"text,omitempty"`
	ImageURL *imageURL `json:"image_url,omitempty"`
}

type imageURL struct {
	URL string `json:"url"`
}

type chatTool struct {
	Type     string       `json:"type"`
	Function toolFunction `json:"function"`
}

type toolFunction struct {
	Name        string         `json:"name"`
	Description string         `json:"description,omitempty"`
	Parameters  map[string]any `json:"parameters,omitempty"`
}

type wireToolCall struct {
	ID       string       `json:"id,omitempty"`
	Type     string       `json:"type"`
	Function wireFunction `json:"function"`
}

type wireFunction struct {
	Name      string `json:"name"`
	Arguments string `json:"arguments"`
}

type responseFormat struct {
	Type       string      `json:"type"`
	JSONSchema *jsonSchema `json:"json_schema,omitempty"`
}

type jsonSchema struct {
	Name   string         `json:"name"`
	Schema map[string]any `json:"schema,omitempty"`
	Strict *bool          `json:"strict,omitempty"`
}

// Answers.

type chatResponse struct {
	Model   string       `json:"model"`
	Choices []chatChoice `json:"choices"`
	Usage   *usage       `json:"usage"`
}

type chatChoice struct {
	Message      answerMessage `json:"message"`
	FinishReason flexString    `json:"finish_reason"`
}

type answerMessage struct {
	Role    flexString      `json:"role"`
	Content json.RawMessage `json:"content"`
	Refusal flexString      `json:"refusal"`
	// Thinking: "reasoning_content" (DeepSeek, vLLM) or "reasoning"
	// (Ollama, OpenRouter).
	ReasoningContent flexString       `json:"reasoning_content"`
	Reasoning        flexString       `json:"reasoning"`
	ToolCalls        []answerToolCall `json:"tool_calls"`
	// text is Content already decoded, when textSet (the stream fast
	// path sets it instead of Content).
	text    string
	textSet bool
}

// contentString is the message's content as text (see contentText).
func (m *answerMessage) contentString() string {
	if m.textSet {
		return m.text
	}
	return contentText(m.Content)
}

type answerToolCall struct {
	Index    *int       `json:"index"`
	ID       flexString `json:"id"`
	Type     flexString `json:"type"`
	Function struct {
		Name flexString `json:"name"`
		// Arguments is JSON text in a string; some servers send an object.
		Arguments json.RawMessage `json:"arguments"`
		// args is Arguments already decoded, when argsSet (the stream
		// fast path sets it instead of Arguments).
		args    string
		argsSet bool
	} `json:"function"`
}

// argumentsString is the call's arguments as text (see argumentsText).
func (tc *answerToolCall) argumentsString() string {
	if tc.Function.argsSet {
		return tc.Function.args
	}
	return argumentsText(tc.Function.Arguments)
}

type chatChunk struct {
	Model   string            `json:"model"`
	Choices []chatChoiceDelta `json:"choices"`
	Usage   *usage            `json:"usage"`
}

type chatChoiceDelta struct {
	Index        int           `json:"index"`
	Delta        answerMessage `json:"delta"`
	FinishReason flexString    `json:"finish_reason"`
}

// BuildChat maps a ChatRequest to the body of POST /chat/completions.
//
// Options.MaxTokens goes out as max_completion_tokens to api.openai.com
// (the API reference deprecates max_tokens there, and reasoning models
// reject it) and as max_tokens to every other base URL, since compatible
// servers (Ollama, vLLM, llama.cpp...) read max_tokens. Client.MaxTokensField
// overrides this, and a max_tokens or
// max_completion_tokens key in Extra replaces it. TopK and NumCtx have no
// OpenAI field and are not sent (use Extra for servers that take them).
//
// Common requests (text messages, no tools, images, response format or
// Extra) are written straight into the body by appendChat; the others,
// and every invalid one, by buildChatJSON.
func (c *Client) BuildChat(req *types.ChatRequest, stream bool) ([]byte, error) {
	if body, ok := c.appendChat(req, stream); ok {
		return body, nil
	}
	return c.buildChatJSON(req, stream)
}

// buildChatJSON is BuildChat by encoding/json.
func (c *Client) buildChatJSON(req *types.ChatRequest, stream bool) ([]byte, error) {
	if len(req.Messages) == 0 {
		return nil, types.FieldError("messages", "at least one message is required")
	}
	w := chatRequest{Model: modelOr(req.Model, types.ServiceChat), Stream: stream}
	if stream {
		w.StreamOptions = &streamOptions{IncludeUsage: true}
	}
	// Big contents are spliced into the body after marshalling (see
	// spliceMin): the body is then built once, at its final size.
	slots := &bodySlots{}
	w.Messages = make([]chatMessage, 0, len(req.Messages))
	for i, m := range req.Messages {
		cm, err := wireMessage(i, m, slots)
		if err != nil {
			return nil, err
		}
		w.Messages = append(w.Messages, cm)
	}
	for i, t := range req.Tools {
		if t.Name == "" {
			return nil, types.FieldError("tools["+itoa(i)+"].name", "required")
		}
		if t.Type != "" && t.Type != "function" {
			return nil, types.FieldError("tools["+itoa(i)+"].type", "only function tools are supported, not %q", t.Type)
		}
		w.Tools = append(w.Tools, chatTool{Type: "function",
			Function: toolFunction{Name: t.Name, Description: t.Description, Parameters: t.Parameters}})
	}
	if len(w.Tools) > 0 {
		tc, err := wireToolChoice(req.ToolChoice)
		if err != nil {
			return nil, err
		}
		w.ToolChoice, w.ParallelToolCalls = tc, req.ParallelToolCalls
	}
	if o := req.Options; o != nil {
		w.Temperature, w.TopP, w.Seed = o.Temperature, o.TopP, o.Seed
		w.PresencePenalty, w.FrequencyPenalty = o.PresencePenalty, o.FrequencyPenalty
		w.Stop = o.Stop
		if o.MaxTokens != nil && !hasAny(req.Extra, "max_tokens", "max_completion_tokens") {
			if c.maxTokensField() == "max_completion_tokens" {
				w.MaxCompletionTokens = o.MaxTokens
			} else {
				w.MaxTokens = o.MaxTokens
			}
		}
		rf, err := wireResponseFormat(o.ResponseFormat)
		if err != nil {
			return nil, err
		}
		w.ResponseFormat = rf
		switch strings.ToLower(o.Think) {
		case "low", "medium", "high":
			w.ReasoningEffort = strings.ToLower(o.Think)
		}
	}
	skeleton, err := EncodeBody(w, req.Extra, "stream")
	if err != nil {
		return nil, err
	}
	return slots.splice(skeleton), nil
}

// wireToolChoice is OpenAI's tool_choice: "auto", "none", "required", or
// {"type": "function", "function": {"name": …}}; nil leaves it unset.
func wireToolChoice(c *types.ToolChoice) (any, error) {
	if c == nil {
		return nil, nil
	}
	switch c.Mode {
	case types.ToolChoiceAuto, types.ToolChoiceNone, types.ToolChoiceRequired:
		return c.Mode, nil
	case types.ToolChoiceFunction:
		if c.Name == "" {
			return nil, types.FieldError("tool_choice.name", "required when mode is function")
		}
		return map[string]any{"type": "function", "function": map[string]string{"name": c.Name}}, nil
	}
	return nil, types.FieldError("tool_choice.mode", "unknown mode %q (want auto, none, required or function)", c.Mode)
}

func (c *Client) maxTokensField() string {
	switch f := c.MaxTokensField; f {
	case "max_tokens", "max_completion_tokens":
		return f
	}
	if c.Official {
		return "max_completion_tokens"
	}
	return "max_tokens"
}

func hasAny(m map[string]any, keys ...string) bool {
	for _, k := range keys {
		if _, ok := m[k]; ok {
			return true
		}
	}
	return false
}

// wireMessage maps one message; big texts and images go to slots.
func wireMessage(i int, m types.Message, slots *bodySlots) (chatMessage, error) {
	f := "messages[" + itoa(i) + "]"
	if m.Role == "" {
		return chatMessage{}, types.FieldError(f+".role", "required (system, user, assistant or tool)")
	}
	cm := chatMessage{Role: m.Role, Name: m.Name, ToolCallID: m.ToolCallID, Content: slots.text(m.Content)}
	if m.Role == "tool" && m.ToolCallID == "" {
		return chatMessage{}, types.FieldError(f+".tool_call_id", "required on a tool message: the id of the call it answers")
	}
	if len(m.Images) > 0 {
		parts := make([]contentPart, 0, len(m.Images)+1)
		if m.Content != "" {
			parts = append(parts, contentPart{Type: "text", Text: slots.text(m.Content)})
		}
		for _, img := range m.Images {
			if len(img) == 0 {
				return chatMessage{}, types.FieldError(f+".images", "empty image")
			}
			parts = append(parts, contentPart{Type: "image_url", ImageURL: &imageURL{URL: slots.image(img)}})
		}
		cm.Content = parts
	}
	for j, tc := range m.ToolCalls {
		if tc.Name == "" {
			return chatMessage{}, types.FieldError(f+".tool_calls["+itoa(j)+"].name", "required")
		}
		args := tc.Arguments
		if args == "" {
			args = "{}"
		}
		cm.ToolCalls = append(cm.ToolCalls, wireToolCall{ID: tc.ID, Type: "function",
			Function: wireFunction{Name: tc.Name, Arguments: slots.text(args)}})
	}
	if len(cm.ToolCalls) > 0 && m.Content == "" && len(m.Images) == 0 {
		cm.Content = nil // an assistant turn that only calls tools
	}
	return cm, nil
}

// dataURL encodes image bytes as the data: URL the API takes for images.
func dataURL(img []byte) string {
	return "data:" + sniffImageMIME(img) + ";base64," + base64.StdEncoding.EncodeToString(img)
}

// sniffImageMIME sniffs an image's type; PNG when it is not recognised.
func sniffImageMIME(img []byte) string {
	mime := http.DetectContentType(img)
	if !strings.HasPrefix(mime, "image/") {
		mime = "image/png"
	}
	return mime
}

var schemaNameBad = regexp.MustCompile(`[^a-zA-Z0-9_-]+`)

func wireResponseFormat(rf *types.ResponseFormat) (*responseFormat, error) {
	if rf == nil || rf.Type == "" {
		return nil, nil
	}
	switch rf.Type {
	case "text", "json_object":
		return &responseFormat{Type: rf.Type}, nil
	case "json_schema":
		if rf.Schema == nil {
			return nil, types.FieldError("options.response_format.schema", "required when type is json_schema")
		}
		name := schemaNameBad.ReplaceAllString(rf.Name, "_")
		if name == "" {
			name = "response"
		}
		if len(name) > 64 {
			name = name[:64]
		}
		js := &jsonSchema{Name: name, Schema: rf.Schema}
		if rf.Strict {
			t := true
			js.Strict = &t
		}
		return &responseFormat{Type: "json_schema", JSONSchema: js}, nil
	}
	return nil, types.FieldError("options.response_format.type", "unknown type %q (want text, json_object or json_schema)", rf.Type)
}

// contentText reads message content: a string, null, or a list of parts
// whose text parts are joined.
func contentText(raw json.RawMessage) string {
	if len(raw) == 0 {
		return ""
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	var parts []struct {
		Type string `json:"type"`
		Text string `json:"text"`
	}
	if json.Unmarshal(raw, &parts) == nil {
		var b strings.Builder
		for _, p := range parts {
			if p.Type == "text" || p.Type == "output_text" || p.Type == "" {
				b.WriteString(p.Text)
			}
		}
		return b.String()
	}
	return ""
}

// argumentsText reads tool call arguments: a JSON string holding JSON
// text, or (from some servers) the JSON object itself.
func argumentsText(raw json.RawMessage) string {
	if len(raw) == 0 || string(raw) == "null" {
		return ""
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	return string(raw)
}

func finishReason(s flexString) string {
	switch string(s) {
	case "function_call":
		return "tool_calls"
	}
	return string(s)
}

func thinkingOf(m *answerMessage) string {
	if m.ReasoningContent != "" {
		return string(m.ReasoningContent)
	}
	return string(m.Reasoning)
}

// Chat calls POST /chat/completions and reads the whole answer.
func (c *Client) Chat(ctx context.Context, req *types.ChatRequest) (*types.ChatResponse, error) {
	body, err := c.BuildChat(req, false)
	if err != nil {
		return nil, err
	}
	u, err := c.PostJSON(ctx, "/chat/completions", modelOr(req.Model, types.ServiceChat), body)
	if err != nil {
		return nil, err
	}
	defer u.Close()
	return c.chatAnswer(req, u.Data)
}

// chatAnswer reads a whole (non-streamed) chat completion.
func (c *Client) chatAnswer(req *types.ChatRequest, data []byte) (*types.ChatResponse, error) {
	var r chatResponse
	if err := decodeAnswer(c, "/chat/completions", data, &r); err != nil {
		return nil, err
	}
	if len(r.Choices) == 0 {
		return nil, c.BadAnswer("/chat/completions", errNoChoices)
	}
	ch := r.Choices[0]
	msg := types.Message{Role: string(ch.Message.Role), Content: ch.Message.contentString(), Thinking: thinkingOf(&ch.Message)}
	if msg.Role == "" {
		msg.Role = "assistant"
	}
	if msg.Content == "" && ch.Message.Refusal != "" {
		msg.Content = string(ch.Message.Refusal)
	}
	for i, tc := range ch.Message.ToolCalls {
		idx := i
		if tc.Index != nil {
			idx = *tc.Index
		}
		msg.ToolCalls = append(msg.ToolCalls, types.ToolCall{ID: string(tc.ID), Name: string(tc.Function.Name),
			Arguments: tc.argumentsString(), Index: idx})
	}
	model := r.Model
	if model == "" {
		model = modelOr(req.Model, types.ServiceChat)
	}
	finish := finishReason(ch.FinishReason)
	if len(msg.ToolCalls) > 0 && (finish == "" || finish == "stop") {
		finish = "tool_calls"
	}
	return &types.ChatResponse{Model: model, Message: msg, FinishReason: finish, Usage: r.Usage.toSDK()}, nil
}

// toolDeltas turns the upstream's tool call deltas into sdk fragments and
// assembles them with an types.ToolCallAccumulator. OpenAI keys the deltas
// of a call by index, the first with id and name. Some compatible servers
// omit the index (a delta with a new id starts a call, one with a known id
// continues it, one without continues the last call) or send the id and
// name again on later deltas: an upstream index names one call, so those
// never start another.
type toolDeltas struct {
	acc  types.ToolCallAccumulator
	ids  map[string]int // upstream id -> upstream index, for deltas without index
	last int
}

func (t *toolDeltas) add(pos int, d answerToolCall) {
	idx := pos
	switch {
	case d.Index != nil:
		idx = *d.Index
	case d.ID == "" && t.acc.Len() > 0:
		idx = t.last // a continuation without index or id
	case d.ID != "":
		var ok bool
		if idx, ok = t.ids[string(d.ID)]; !ok {
			idx = t.acc.Len()
		}
	}
	tc := types.ToolCall{Index: idx, ID: string(d.ID), Name: string(d.Function.Name), Arguments: d.argumentsString()}
	if cur, ok := t.acc.Current(idx); ok {
		if cur.ID != "" {
			tc.ID = ""
		}
		if cur.Name != "" {
			tc.Name = ""
		}
	}
	if tc.ID != "" {
		if t.ids == nil {
			t.ids = map[string]int{}
		}
		t.ids[tc.ID] = idx
	}
	t.last = idx
	t.acc.AddFragment(tc)
}

// ChatStream streams an answer: content and thinking as they arrive, then
// the accumulated tool calls (complete, one chunk), then a final chunk
// with Done, the finish reason and the usage (stream_options.include_usage
// is always sent, so OpenAI adds a usage chunk at the end).
func (c *Client) ChatStream(ctx context.Context, req *types.ChatRequest, send func(*types.ChatChunk) error) error {
	body, err := c.BuildChat(req, true)
	if err != nil {
		return err
	}
	u, err := c.Send(ctx, &Request{Method: http.MethodPost, Path: "/chat/completions", Model: modelOr(req.Model, types.ServiceChat), Body: body,
		ContentType: "application/json", Accept: "text/event-stream", Stream: true})
	if err != nil {
		return err
	}
	defer u.Close()
	if IsJSON(u.Header) {
		// A server that ignores "stream": relay its whole answer.
		data, err := c.readStreamBody(ctx, u)
		if err != nil {
			return err
		}
		resp, err := c.chatAnswer(req, data)
		if err != nil {
			return err
		}
		m := resp.Message
		if m.Content != "" || m.Thinking != "" {
			if err := send(&types.ChatChunk{Model: resp.Model, Role: m.Role, Content: m.Content, Thinking: m.Thinking}); err != nil {
				return err
			}
		}
		if len(m.ToolCalls) > 0 {
			if err := send(&types.ChatChunk{Model: resp.Model, ToolCalls: m.ToolCalls}); err != nil {
				return err
			}
		}
		return send(&types.ChatChunk{Model: resp.Model, Done: true, FinishReason: resp.FinishReason, Usage: resp.Usage})
	}

	var (
		model  = modelOr(req.Model, types.ServiceChat)
		finish string
		use    *usage
		tools  toolDeltas
		role   string
	)
	sawDone, err := ReadEvents(ctx, c, u, func(cc *chatChunk) error {
		if cc.Model != "" {
			model = cc.Model
		}
		if cc.Usage != nil {
			use = cc.Usage
		}
		for _, ch := range cc.Choices {
			if ch.Index != 0 {
				continue // n > 1 is not supported; keep the first choice
			}
			d := &ch.Delta
			for i, tc := range d.ToolCalls {
				tools.add(i, tc)
			}
			out := &types.ChatChunk{Model: model, Content: d.contentString(), Thinking: thinkingOf(d)}
			if out.Content == "" && d.Refusal != "" {
				out.Content = string(d.Refusal)
			}
			if r := string(d.Role); r != "" && role == "" {
				role = r
				out.Role = r
			}
			if out.Content != "" || out.Thinking != "" || out.Role != "" {
				if err := send(out); err != nil {
					return err
				}
			}
			if ch.FinishReason != "" {
				finish = finishReason(ch.FinishReason)
			}
		}
		return nil
	})
	if err != nil {
		u.Failed(types.AsError(err))
		return err
	}
	if !sawDone && finish == "" {
		e := c.incomplete()
		u.Failed(e)
		return e
	}
	if calls := tools.acc.Calls(); len(calls) > 0 {
		if err := send(&types.ChatChunk{Model: model, ToolCalls: calls}); err != nil {
			return err
		}
		if finish == "" || finish == "stop" {
			finish = "tool_calls"
		}
	}
	return send(&types.ChatChunk{Model: model, Done: true, FinishReason: finish, Usage: use.toSDK()})
}
