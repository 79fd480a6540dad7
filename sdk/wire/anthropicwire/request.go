package anthropicwire

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	"github.com/roundhouse-ai/roundhouse/sdk/wire/openaiwire"
	"github.com/roundhouse-ai/roundhouse/types"
)

// Wire types of POST /v1/messages.

type messagesRequest struct {
	Model         string       `json:"model"`
	MaxTokens     int          `json:"max_tokens"`
	System        string       `json:"system,omitempty"`
	Messages      []turn       `json:"messages"`
	Tools         []tool       `json:"tools,omitempty"`
	ToolChoice    *toolChoice  `json:"tool_choice,omitempty"`
	StopSequences []string     `json:"stop_sequences,omitempty"`
	Stream        bool         `json:"stream,omitempty"`
	Temperature   *float64     `json:"temperature,omitempty"`
	TopP          *float64     `json:"top_p,omitempty"`
	TopK          *int         `json:"top_k,omitempty"`
	Thinking      *thinkingCfg `json:"thinking,omitempty"`
}

// turn is one message: role user or assistant, content a list of blocks.
type turn struct {
	Role    string  `json:"role"`
	Content []block `json:"content"`
}

// block is a content block; which fields are set depends on Type (text,
// image, tool_use, tool_result, thinking).
type block struct {
	Type      string          `json:"type"`
	Text      *string         `json:"text,omitempty"`
	Source    *imageSource    `json:"source,omitempty"`
	ID        string          `json:"id,omitempty"`
	Name      string          `json:"name,omitempty"`
	Input     json.RawMessage `json:"input,omitempty"`
	ToolUseID string          `json:"tool_use_id,omitempty"`
	Content   string          `json:"content,omitempty"`
	Thinking  *string         `json:"thinking,omitempty"`
	Signature string          `json:"signature,omitempty"`
}

type imageSource struct {
	Type      string `json:"type"`
	MediaType string `json:"media_type"`
	Data      string `json:"data"`
}

type tool struct {
	Name        string         `json:"name"`
	Description string         `json:"description,omitempty"`
	InputSchema map[string]any `json:"input_schema"`
}

type toolChoice struct {
	Type                   string `json:"type"`
	Name                   string `json:"name,omitempty"`
	DisableParallelToolUse bool   `json:"disable_parallel_tool_use,omitempty"`
}

type thinkingCfg struct {
	Type         string `json:"type"`
	BudgetTokens int    `json:"budget_tokens"`
}

// thinkBudgets are the budget_tokens of Options.Think's levels ("true"
// is medium). The API wants at least 1024 and less than max_tokens.
var thinkBudgets = map[string]int{"low": 1024, "medium": 4096, "true": 4096, "high": 16384}

func text(s string) *string { return &s }

// BuildMessages maps a ChatRequest to the body of POST /v1/messages.
// System messages join into the top-level system field; a tool message
// becomes a tool_result block of a user turn; consecutive turns of one
// role merge (the API alternates user and assistant). maxTokens is used
// when Options.MaxTokens is unset. Extra merges into the body.
func BuildMessages(req *types.ChatRequest, stream bool, maxTokens int) ([]byte, error) {
	if req.Model == "" {
		return nil, types.FieldError("model", "required: the Claude model to use (claude-...)")
	}
	if len(req.Messages) == 0 {
		return nil, types.FieldError("messages", "at least one message is required")
	}
	w := messagesRequest{Model: req.Model, MaxTokens: maxTokens, Stream: stream}
	var system []string
	for i, m := range req.Messages {
		f := fmt.Sprintf("messages[%d]", i)
		role, blocks, err := wireTurn(f, m)
		if err != nil {
			return nil, err
		}
		if role == "system" {
			system = append(system, m.Content)
			continue
		}
		if n := len(w.Messages); n > 0 && w.Messages[n-1].Role == role {
			w.Messages[n-1].Content = append(w.Messages[n-1].Content, blocks...)
			continue
		}
		w.Messages = append(w.Messages, turn{Role: role, Content: blocks})
	}
	if len(w.Messages) == 0 {
		return nil, types.FieldError("messages", "needs a user message besides the system prompt")
	}
	w.System = strings.Join(system, "\n\n")
	for i, t := range req.Tools {
		if t.Name == "" {
			return nil, types.FieldError(fmt.Sprintf("tools[%d].name", i), "required")
		}
		if t.Type != "" && t.Type != "function" {
			return nil, types.FieldError(fmt.Sprintf("tools[%d].type", i), "only function tools are supported, not %q", t.Type)
		}
		schema := t.Parameters
		if schema == nil {
			schema = map[string]any{"type": "object", "properties": map[string]any{}}
		}
		w.Tools = append(w.Tools, tool{Name: t.Name, Description: t.Description, InputSchema: schema})
	}
	if len(w.Tools) > 0 {
		tc, err := wireToolChoice(req.ToolChoice, req.ParallelToolCalls)
		if err != nil {
			return nil, err
		}
		w.ToolChoice = tc
	}
	if o := req.Options; o != nil {
		if err := applyOptions(&w, o); err != nil {
			return nil, err
		}
	}
	return openaiwire.EncodeBody(w, req.Extra, "stream")
}

func applyOptions(w *messagesRequest, o *types.Options) error {
	if o.MaxTokens != nil {
		if *o.MaxTokens < 1 {
			return types.FieldError("options.max_tokens", "must be at least 1")
		}
		w.MaxTokens = *o.MaxTokens
	}
	w.Temperature, w.TopP, w.TopK, w.StopSequences = o.Temperature, o.TopP, o.TopK, o.Stop
	if o.Temperature != nil && (*o.Temperature < 0 || *o.Temperature > 1) {
		return types.FieldError("options.temperature", "must be between 0 and 1 for the Anthropic Messages API")
	}
	if rf := o.ResponseFormat; rf != nil && rf.Type != "" && rf.Type != "text" {
		return types.FieldError("options.response_format", "the Anthropic Messages API has no %s response format: "+
			"ask for JSON in the prompt, or describe the shape as a tool", rf.Type)
	}
	if b, ok := thinkBudgets[strings.ToLower(o.Think)]; ok {
		w.Thinking = &thinkingCfg{Type: "enabled", BudgetTokens: b}
		if w.MaxTokens <= b {
			w.MaxTokens = b + DefaultMaxTokens // the budget is part of max_tokens
		}
		w.Temperature, w.TopP, w.TopK = nil, nil, nil // thinking takes none of them
	}
	return nil
}

// wireTurn maps one message to its role and blocks.
func wireTurn(f string, m types.Message) (string, []block, error) {
	switch m.Role {
	case "system":
		if len(m.Images) > 0 {
			return "", nil, types.FieldError(f+".images", "a system message cannot hold images")
		}
		return "system", nil, nil
	case "tool":
		if m.ToolCallID == "" {
			return "", nil, types.FieldError(f+".tool_call_id", "required on a tool message: the id of the call it answers")
		}
		return "user", []block{{Type: "tool_result", ToolUseID: m.ToolCallID, Content: m.Content}}, nil
	case "user", "assistant":
	case "":
		return "", nil, types.FieldError(f+".role", "required (system, user, assistant or tool)")
	default:
		return "", nil, types.FieldError(f+".role", "unknown role %q (want system, user, assistant or tool)", m.Role)
	}
	// An earlier turn's Thinking is not sent back: the API takes thinking
	// blocks only with the signature it issued, which types do not keep.
	var blocks []block
	for j, img := range m.Images {
		if len(img) == 0 {
			return "", nil, types.FieldError(fmt.Sprintf("%s.images[%d]", f, j), "empty image")
		}
		blocks = append(blocks, block{Type: "image", Source: &imageSource{Type: "base64",
			MediaType: imageType(img), Data: base64.StdEncoding.EncodeToString(img)}})
	}
	if m.Content != "" {
		blocks = append(blocks, block{Type: "text", Text: text(m.Content)})
	}
	for j, tc := range m.ToolCalls {
		tf := fmt.Sprintf("%s.tool_calls[%d]", f, j)
		if tc.Name == "" {
			return "", nil, types.FieldError(tf+".name", "required")
		}
		if m.Role != "assistant" {
			return "", nil, types.FieldError(tf, "only an assistant message calls tools")
		}
		input := json.RawMessage(strings.TrimSpace(tc.Arguments))
		if len(input) == 0 {
			input = json.RawMessage("{}")
		}
		var obj map[string]any
		if json.Unmarshal(input, &obj) != nil {
			return "", nil, types.FieldError(tf+".arguments", "must be a JSON object (the Anthropic API takes tool input as an object)")
		}
		blocks = append(blocks, block{Type: "tool_use", ID: tc.ID, Name: tc.Name, Input: input})
	}
	if len(blocks) == 0 {
		return "", nil, types.FieldError(f+".content", "empty message (the Anthropic API refuses empty content)")
	}
	return m.Role, blocks, nil
}

// imageType sniffs an image's media type; the API takes jpeg, png, gif
// and webp.
func imageType(img []byte) string {
	if mt := http.DetectContentType(img); strings.HasPrefix(mt, "image/") {
		return mt
	}
	return "image/png"
}

// wireToolChoice is Anthropic's tool_choice: auto, any (OpenAI's
// "required"), tool (one named function) or none.
func wireToolChoice(c *types.ToolChoice, parallel *bool) (*toolChoice, error) {
	tc := &toolChoice{Type: "auto"}
	if c != nil {
		switch c.Mode {
		case types.ToolChoiceAuto:
		case types.ToolChoiceNone:
			tc.Type = "none"
		case types.ToolChoiceRequired:
			tc.Type = "any"
		case types.ToolChoiceFunction:
			if c.Name == "" {
				return nil, types.FieldError("tool_choice.name", "required when mode is function")
			}
			tc.Type, tc.Name = "tool", c.Name
		default:
			return nil, types.FieldError("tool_choice.mode", "unknown mode %q (want auto, none, required or function)", c.Mode)
		}
	}
	if parallel != nil && !*parallel && tc.Type != "none" {
		tc.DisableParallelToolUse = true
	}
	if c == nil && !tc.DisableParallelToolUse {
		return nil, nil // the API's default is auto
	}
	return tc, nil
}
