package anthropic

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/roundhouse-ai/roundhouse/sdk"
)

func isNull(raw json.RawMessage) bool {
	raw = bytes.TrimSpace(raw)
	return len(raw) == 0 || bytes.Equal(raw, []byte("null"))
}

// MessagesRequestToSDK validates a Messages API request and translates it.
// model and max_tokens are required as in Anthropic's API; metadata is
// ignored.
func MessagesRequestToSDK(req *MessagesRequest) (*sdk.ChatRequest, error) {
	if req.Model == "" {
		return nil, sdk.FieldError("model", "is required")
	}
	if req.MaxTokens == nil {
		return nil, sdk.FieldError("max_tokens", "is required")
	}
	if *req.MaxTokens < 1 {
		return nil, sdk.FieldError("max_tokens", "must be at least 1, got %d", *req.MaxTokens)
	}
	if len(req.Messages) == 0 {
		return nil, sdk.FieldError("messages", "must contain at least one message")
	}
	out := &sdk.ChatRequest{Model: req.Model}
	system, err := systemText(req.System)
	if err != nil {
		return nil, err
	}
	if system != "" {
		out.Messages = append(out.Messages, sdk.Message{Role: "system", Content: system})
	}
	for i := range req.Messages {
		msgs, err := messageToSDK(&req.Messages[i], fmt.Sprintf("messages[%d]", i))
		if err != nil {
			return nil, err
		}
		out.Messages = append(out.Messages, msgs...)
	}
	for i, t := range req.Tools {
		field := fmt.Sprintf("tools[%d]", i)
		if t.Type != "" && t.Type != "custom" {
			return nil, sdk.FieldError(field+".type", "server tool %q is not supported; only client tools with input_schema", t.Type)
		}
		if t.Name == "" {
			return nil, sdk.FieldError(field+".name", "is required")
		}
		if t.InputSchema == nil {
			return nil, sdk.FieldError(field+".input_schema", "is required")
		}
		out.Tools = append(out.Tools, sdk.Tool{Type: "function", Name: t.Name, Description: t.Description, Parameters: t.InputSchema})
	}
	if tc := req.ToolChoice; tc != nil {
		switch tc.Type {
		case "auto":
			out.ToolChoice = &sdk.ToolChoice{Mode: sdk.ToolChoiceAuto}
		case "any":
			out.ToolChoice = &sdk.ToolChoice{Mode: sdk.ToolChoiceRequired}
		case "tool":
			if tc.Name == "" {
				return nil, sdk.FieldError("tool_choice.name", "is required for type tool")
			}
			out.ToolChoice = &sdk.ToolChoice{Mode: sdk.ToolChoiceFunction, Name: tc.Name}
		case "none":
			out.Tools = nil // the model may not use tools: offer none
		default:
			return nil, sdk.FieldError("tool_choice.type", "must be auto, any, tool or none; got %q", tc.Type)
		}
		if len(out.Tools) == 0 {
			out.ToolChoice = nil
		}
		if tc.DisableParallelToolUse && len(out.Tools) > 0 {
			no := false
			out.ParallelToolCalls = &no
		}
	}

	opts := &sdk.Options{MaxTokens: req.MaxTokens, Temperature: req.Temperature, TopP: req.TopP, TopK: req.TopK}
	if len(req.StopSequences) > 0 {
		opts.Stop = req.StopSequences
	}
	if t := req.Temperature; t != nil && (*t < 0 || *t > 1) {
		return nil, sdk.FieldError("temperature", "must be between 0 and 1, got %g", *t)
	}
	if p := req.TopP; p != nil && (*p < 0 || *p > 1) {
		return nil, sdk.FieldError("top_p", "must be between 0 and 1, got %g", *p)
	}
	if k := req.TopK; k != nil && *k < 0 {
		return nil, sdk.FieldError("top_k", "must not be negative, got %d", *k)
	}
	if th := req.Thinking; th != nil {
		switch th.Type {
		case "enabled":
			if th.BudgetTokens < 1024 {
				return nil, sdk.FieldError("thinking.budget_tokens", "must be at least 1024, got %d", th.BudgetTokens)
			}
			if th.BudgetTokens >= *req.MaxTokens {
				return nil, sdk.FieldError("thinking.budget_tokens", "must be less than max_tokens (%d), got %d", *req.MaxTokens, th.BudgetTokens)
			}
			opts.Think = "true"
			setExtra(&out.Extra, "thinking_budget_tokens", th.BudgetTokens)
		case "adaptive":
			opts.Think = "true"
		case "disabled":
			opts.Think = "false"
		default:
			return nil, sdk.FieldError("thinking.type", "must be enabled, adaptive or disabled; got %q", th.Type)
		}
	}
	out.Options = opts
	return out, nil
}

func setExtra(m *map[string]any, k string, v any) {
	if *m == nil {
		*m = map[string]any{}
	}
	(*m)[k] = v
}

// systemText reads system: a string or an array of text blocks.
func systemText(raw json.RawMessage) (string, error) {
	if isNull(raw) {
		return "", nil
	}
	raw = bytes.TrimSpace(raw)
	if raw[0] == '"' {
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return "", sdk.FieldError("system", "invalid string: %v", err)
		}
		return s, nil
	}
	var blocks []ContentBlock
	if err := json.Unmarshal(raw, &blocks); err != nil {
		return "", sdk.FieldError("system", "must be a string or an array of text blocks")
	}
	texts := make([]string, 0, len(blocks))
	for i, b := range blocks {
		if b.Type != "text" || b.Text == nil {
			return "", sdk.FieldError(fmt.Sprintf("system[%d]", i), "must be a text block")
		}
		texts = append(texts, *b.Text)
	}
	return strings.Join(texts, "\n"), nil
}

// blocks reads content: a string (one text block) or an array of blocks.
func blocks(raw json.RawMessage, field string) ([]ContentBlock, error) {
	if isNull(raw) {
		return nil, sdk.FieldError(field, "is required")
	}
	raw = bytes.TrimSpace(raw)
	if raw[0] == '"' {
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return nil, sdk.FieldError(field, "invalid string: %v", err)
		}
		return []ContentBlock{{Type: "text", Text: &s}}, nil
	}
	if raw[0] != '[' {
		return nil, sdk.FieldError(field, "must be a string or an array of content blocks")
	}
	var bs []ContentBlock
	if err := json.Unmarshal(raw, &bs); err != nil {
		return nil, sdk.FieldError(field, "must be an array of content blocks: %v", err)
	}
	return bs, nil
}

// DecodeImage reads a base64 image source. URL sources are refused: the
// host does not fetch on a client's behalf.
func DecodeImage(src *ImageSource, field string) ([]byte, error) {
	if src == nil {
		return nil, sdk.FieldError(field+".source", "is required")
	}
	switch src.Type {
	case "base64":
	case "url":
		return nil, sdk.FieldError(field+".source.type", "url image sources are not fetched; send the image as base64")
	default:
		return nil, sdk.FieldError(field+".source.type", "must be base64, got %q", src.Type)
	}
	switch src.MediaType {
	case "image/jpeg", "image/png", "image/gif", "image/webp":
	default:
		return nil, sdk.FieldError(field+".source.media_type", "must be image/jpeg, image/png, image/gif or image/webp; got %q", src.MediaType)
	}
	b, err := base64.StdEncoding.DecodeString(src.Data)
	if err != nil || len(b) == 0 {
		return nil, sdk.FieldError(field+".source.data", "must be base64-encoded image data")
	}
	return b, nil
}

// messageToSDK translates one turn. A user turn's tool_result blocks
// become role "tool" messages (in order, before the rest of the turn); an
// assistant turn's tool_use blocks become its ToolCalls.
func messageToSDK(m *InputMessage, field string) ([]sdk.Message, error) {
	switch m.Role {
	case "user", "assistant":
	case "":
		return nil, sdk.FieldError(field+".role", "is required")
	default:
		return nil, sdk.FieldError(field+".role", "must be user or assistant; got %q", m.Role)
	}
	bs, err := blocks(m.Content, field+".content")
	if err != nil {
		return nil, err
	}
	var (
		out   []sdk.Message
		texts []string
		msg   = sdk.Message{Role: m.Role}
	)
	for i := range bs {
		b := &bs[i]
		bf := fmt.Sprintf("%s.content[%d]", field, i)
		switch b.Type {
		case "text":
			if b.Text == nil {
				return nil, sdk.FieldError(bf+".text", "is required")
			}
			texts = append(texts, *b.Text)
		case "image":
			if m.Role != "user" {
				return nil, sdk.FieldError(bf+".type", "image blocks are only allowed in user messages")
			}
			img, err := DecodeImage(b.Source, bf)
			if err != nil {
				return nil, err
			}
			msg.Images = append(msg.Images, img)
		case "tool_use":
			if m.Role != "assistant" {
				return nil, sdk.FieldError(bf+".type", "tool_use blocks are only allowed in assistant messages")
			}
			if b.ID == "" {
				return nil, sdk.FieldError(bf+".id", "is required")
			}
			if b.Name == "" {
				return nil, sdk.FieldError(bf+".name", "is required")
			}
			args, err := inputText(b.Input)
			if err != nil {
				return nil, sdk.FieldError(bf+".input", "%v", err)
			}
			msg.ToolCalls = append(msg.ToolCalls, sdk.ToolCall{ID: b.ID, Name: b.Name, Arguments: args, Index: len(msg.ToolCalls)})
		case "tool_result":
			if m.Role != "user" {
				return nil, sdk.FieldError(bf+".type", "tool_result blocks are only allowed in user messages")
			}
			if b.ToolUseID == "" {
				return nil, sdk.FieldError(bf+".tool_use_id", "is required")
			}
			tm, err := toolResult(b, bf)
			if err != nil {
				return nil, err
			}
			out = append(out, tm)
		case "thinking":
			if m.Role != "assistant" {
				return nil, sdk.FieldError(bf+".type", "thinking blocks are only allowed in assistant messages")
			}
			if b.Thinking != nil {
				msg.Thinking += *b.Thinking
			}
		case "redacted_thinking":
			// Opaque to any engine here; dropped.
		case "":
			return nil, sdk.FieldError(bf+".type", "is required")
		default:
			return nil, sdk.FieldError(bf+".type", "content block type %q is not supported", b.Type)
		}
	}
	sep := "\n"
	if m.Role == "assistant" {
		sep = "" // assistant text blocks are one continuous answer (prefill)
	}
	msg.Content = strings.Join(texts, sep)
	if len(out) == 0 || msg.Content != "" || len(msg.Images) > 0 || len(msg.ToolCalls) > 0 || msg.Thinking != "" {
		out = append(out, msg)
	}
	return out, nil
}

// toolResult turns a tool_result block into a tool message. An error
// result is marked so the model knows the call failed.
func toolResult(b *ContentBlock, field string) (sdk.Message, error) {
	tm := sdk.Message{Role: "tool", ToolCallID: b.ToolUseID}
	if !isNull(b.Content) {
		raw := bytes.TrimSpace(b.Content)
		if raw[0] == '"' {
			if err := json.Unmarshal(raw, &tm.Content); err != nil {
				return tm, sdk.FieldError(field+".content", "invalid string: %v", err)
			}
		} else {
			var inner []ContentBlock
			if err := json.Unmarshal(raw, &inner); err != nil {
				return tm, sdk.FieldError(field+".content", "must be a string or an array of text and image blocks")
			}
			var texts []string
			for j := range inner {
				ib := &inner[j]
				jf := fmt.Sprintf("%s.content[%d]", field, j)
				switch ib.Type {
				case "text":
					if ib.Text != nil {
						texts = append(texts, *ib.Text)
					}
				case "image":
					img, err := DecodeImage(ib.Source, jf)
					if err != nil {
						return tm, err
					}
					tm.Images = append(tm.Images, img)
				default:
					return tm, sdk.FieldError(jf+".type", "must be text or image, got %q", ib.Type)
				}
			}
			tm.Content = strings.Join(texts, "\n")
		}
	}
	if b.IsError {
		tm.Content = "Error: " + tm.Content
	}
	return tm, nil
}

// inputText turns a tool_use input object into compact JSON text.
func inputText(raw json.RawMessage) (string, error) {
	if isNull(raw) {
		return "{}", nil
	}
	var buf bytes.Buffer
	if err := json.Compact(&buf, raw); err != nil || buf.Bytes()[0] != '{' {
		return "", fmt.Errorf("must be a JSON object")
	}
	return buf.String(), nil
}
