package ollama

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/roundhouse-ai/roundhouse/sdk"
)

func isNull(raw json.RawMessage) bool {
	raw = bytes.TrimSpace(raw)
	return len(raw) == 0 || bytes.Equal(raw, []byte("null"))
}

// ParseKeepAlive reads Ollama's keep_alive: a number of seconds or a Go
// duration string ("5m", "0", "-1m"). It returns seconds, -1 for
// "forever" (any negative value), nil when absent.
func ParseKeepAlive(raw json.RawMessage) (*float64, error) {
	if isNull(raw) {
		return nil, nil
	}
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		return nil, sdk.FieldError("keep_alive", "invalid JSON: %v", err)
	}
	var sec float64
	switch t := v.(type) {
	case float64:
		sec = t
	case string:
		if f, err := strconv.ParseFloat(t, 64); err == nil {
			sec = f
			break
		}
		d, err := time.ParseDuration(t)
		if err != nil {
			return nil, sdk.FieldError("keep_alive", "must be a number of seconds or a duration like \"5m\"; got %q", t)
		}
		sec = d.Seconds()
	default:
		return nil, sdk.FieldError("keep_alive", "must be a number of seconds or a duration string")
	}
	if math.IsNaN(sec) || math.IsInf(sec, 0) {
		return nil, sdk.FieldError("keep_alive", "must be finite")
	}
	if sec < 0 {
		sec = -1
	}
	return &sec, nil
}

// ParseThink reads think: a boolean or "low", "medium", "high".
func ParseThink(raw json.RawMessage) (string, error) {
	if isNull(raw) {
		return "", nil
	}
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		return "", sdk.FieldError("think", "invalid JSON: %v", err)
	}
	switch t := v.(type) {
	case bool:
		return strconv.FormatBool(t), nil
	case string:
		switch t {
		case "low", "medium", "high":
			return t, nil
		}
	}
	return "", sdk.FieldError("think", "must be true, false, \"low\", \"medium\" or \"high\"; got %s", bytes.TrimSpace(raw))
}

// ParseFormat reads format: "json" or a JSON schema object.
func ParseFormat(raw json.RawMessage) (*sdk.ResponseFormat, error) {
	raw = bytes.TrimSpace(raw)
	if isNull(raw) {
		return nil, nil
	}
	switch raw[0] {
	case '"':
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return nil, sdk.FieldError("format", "invalid string: %v", err)
		}
		switch s {
		case "":
			return nil, nil
		case "json":
			return &sdk.ResponseFormat{Type: "json_object"}, nil
		}
		return nil, sdk.FieldError("format", "must be \"json\" or a JSON schema object; got %q", s)
	case '{':
		var schema map[string]any
		if err := json.Unmarshal(raw, &schema); err != nil {
			return nil, sdk.FieldError("format", "invalid JSON schema: %v", err)
		}
		return &sdk.ResponseFormat{Type: "json_schema", Name: "format", Schema: schema}, nil
	}
	return nil, sdk.FieldError("format", "must be \"json\" or a JSON schema object")
}

// ParseOptions reads the options map. Known keys become sdk.Options;
// the rest (min_p, repeat_penalty, num_gpu, ...) are returned as extra so
// an Ollama-backed plugin can still honour them.
func ParseOptions(raw json.RawMessage) (*sdk.Options, map[string]any, error) {
	if isNull(raw) {
		return nil, nil, nil
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, nil, sdk.FieldError("options", "must be an object")
	}
	o := &sdk.Options{}
	var extra map[string]any
	for k, v := range m {
		if v == nil {
			continue
		}
		field := "options." + k
		var err error
		switch k {
		case "temperature":
			o.Temperature, err = optFloat(field, v)
		case "top_p":
			o.TopP, err = optFloat(field, v)
		case "presence_penalty":
			o.PresencePenalty, err = optFloat(field, v)
		case "frequency_penalty":
			o.FrequencyPenalty, err = optFloat(field, v)
		case "top_k":
			o.TopK, err = optInt(field, v)
		case "num_ctx":
			o.NumCtx, err = optInt(field, v)
		case "num_predict":
			var n *int
			if n, err = optInt(field, v); err == nil && *n > 0 {
				o.MaxTokens = n // -1 (no limit) and -2 (fill context) stay nil
			} else if err == nil && *n < -2 {
				// Ollama's sentinels end at -2; anything lower is a mistake
				// the engine would treat unpredictably.
				err = sdk.FieldError(field, "must be -1 (no limit), -2 (fill the context) or a positive number of tokens, got %d", *n)
			}
		case "seed":
			var n *int
			if n, err = optInt(field, v); err == nil && *n >= 0 {
				s := int64(*n) // -1 means random, Ollama's default
				o.Seed = &s
			}
		case "stop":
			o.Stop, err = optStrings(field, v)
		default:
			if extra == nil {
				extra = map[string]any{}
			}
			extra[k] = v
		}
		if err != nil {
			return nil, nil, err
		}
	}
	if reflect.ValueOf(*o).IsZero() {
		o = nil
	}
	return o, extra, nil
}

func optFloat(field string, v any) (*float64, error) {
	f, ok := v.(float64)
	if !ok {
		return nil, sdk.FieldError(field, "must be a number")
	}
	return &f, nil
}

func optInt(field string, v any) (*int, error) {
	f, ok := v.(float64)
	if !ok || f != math.Trunc(f) || math.Abs(f) > math.MaxInt32 {
		return nil, sdk.FieldError(field, "must be an integer")
	}
	n := int(f)
	return &n, nil
}

func optStrings(field string, v any) ([]string, error) {
	switch t := v.(type) {
	case string:
		return []string{t}, nil
	case []any:
		out := make([]string, len(t))
		for i, e := range t {
			s, ok := e.(string)
			if !ok {
				return nil, sdk.FieldError(fmt.Sprintf("%s[%d]", field, i), "must be a string")
			}
			out[i] = s
		}
		return out, nil
	}
	return nil, sdk.FieldError(field, "must be an array of strings")
}

// DecodeImages decodes base64 images (a data: URL prefix is tolerated).
func DecodeImages(imgs []string, field string) ([][]byte, error) {
	if len(imgs) == 0 {
		return nil, nil
	}
	out := make([][]byte, len(imgs))
	for i, s := range imgs {
		if _, data, ok := strings.Cut(s, ";base64,"); ok && strings.HasPrefix(s, "data:") {
			s = data
		}
		b, err := base64.StdEncoding.DecodeString(s)
		if err != nil {
			b, err = base64.RawStdEncoding.DecodeString(strings.TrimRight(s, "="))
		}
		if err != nil || len(b) == 0 {
			return nil, sdk.FieldError(fmt.Sprintf("%s[%d]", field, i), "must be base64-encoded image data")
		}
		out[i] = b
	}
	return out, nil
}

// common holds the fields chat and generate share.
type common struct {
	opts      *sdk.Options
	extra     map[string]any
	keepAlive *float64
}

func parseCommon(options, format, think, keepAlive json.RawMessage) (common, error) {
	var c common
	var err error
	if c.opts, c.extra, err = ParseOptions(options); err != nil {
		return c, err
	}
	rf, err := ParseFormat(format)
	if err != nil {
		return c, err
	}
	th, err := ParseThink(think)
	if err != nil {
		return c, err
	}
	if rf != nil || th != "" {
		if c.opts == nil {
			c.opts = &sdk.Options{}
		}
		c.opts.ResponseFormat, c.opts.Think = rf, th
	}
	if c.keepAlive, err = ParseKeepAlive(keepAlive); err != nil {
		return c, err
	}
	return c, nil
}

func (c common) extraMap() map[string]any {
	if c.extra == nil {
		return nil
	}
	return map[string]any{"options": c.extra}
}

// ChatRequestToSDK validates an Ollama chat request and translates it.
func ChatRequestToSDK(req *ChatRequest) (*sdk.ChatRequest, error) {
	c, err := parseCommon(req.Options, req.Format, req.Think, req.KeepAlive)
	if err != nil {
		return nil, err
	}
	out := &sdk.ChatRequest{Model: req.Model, Options: c.opts, Extra: c.extraMap(), KeepAlive: c.keepAlive,
		Messages: make([]sdk.Message, 0, len(req.Messages))}
	for i, m := range req.Messages {
		field := fmt.Sprintf("messages[%d]", i)
		role := strings.ToLower(m.Role)
		switch role {
		case "system", "user", "assistant", "tool":
		case "":
			return nil, sdk.FieldError(field+".role", "is required")
		default:
			return nil, sdk.FieldError(field+".role", "must be system, user, assistant or tool; got %q", m.Role)
		}
		sm := sdk.Message{Role: role, Content: m.Content, Thinking: m.Thinking, Name: m.ToolName, ToolCallID: m.ToolCallID}
		if sm.Images, err = DecodeImages(m.Images, field+".images"); err != nil {
			return nil, err
		}
		for j, tc := range m.ToolCalls {
			tf := fmt.Sprintf("%s.tool_calls[%d].function", field, j)
			if tc.Function.Name == "" {
				return nil, sdk.FieldError(tf+".name", "is required")
			}
			args, err := argumentsText(tc.Function.Arguments)
			if err != nil {
				return nil, sdk.FieldError(tf+".arguments", "%v", err)
			}
			sm.ToolCalls = append(sm.ToolCalls, sdk.ToolCall{ID: tc.ID, Name: tc.Function.Name, Arguments: args, Index: j})
		}
		out.Messages = append(out.Messages, sm)
	}
	for i, t := range req.Tools {
		field := fmt.Sprintf("tools[%d]", i)
		if t.Type != "" && t.Type != "function" {
			return nil, sdk.FieldError(field+".type", "must be \"function\", got %q", t.Type)
		}
		if t.Function.Name == "" {
			return nil, sdk.FieldError(field+".function.name", "is required")
		}
		out.Tools = append(out.Tools, sdk.Tool{Type: "function", Name: t.Function.Name,
			Description: t.Function.Description, Parameters: t.Function.Parameters})
	}
	return out, nil
}

// argumentsText turns tool call arguments (a JSON object; a JSON string
// holding one is tolerated) into compact JSON text.
func argumentsText(raw json.RawMessage) (string, error) {
	raw = bytes.TrimSpace(raw)
	if isNull(raw) {
		return "{}", nil
	}
	if raw[0] == '"' {
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return "", err
		}
		raw = []byte(s)
	}
	var buf bytes.Buffer
	if err := json.Compact(&buf, raw); err != nil || buf.Len() == 0 || buf.Bytes()[0] != '{' {
		return "", fmt.Errorf("must be a JSON object")
	}
	return buf.String(), nil
}

// GenerateRequestToSDK validates an Ollama generate request and
// translates it. A template override travels as Extra["template"].
func GenerateRequestToSDK(req *GenerateRequest) (*sdk.GenerateRequest, error) {
	c, err := parseCommon(req.Options, req.Format, req.Think, req.KeepAlive)
	if err != nil {
		return nil, err
	}
	out := &sdk.GenerateRequest{Model: req.Model, Prompt: req.Prompt, Suffix: req.Suffix, System: req.System,
		Raw: req.Raw, Options: c.opts, Extra: c.extraMap(), KeepAlive: c.keepAlive}
	if out.Images, err = DecodeImages(req.Images, "images"); err != nil {
		return nil, err
	}
	if req.Template != "" {
		if out.Extra == nil {
			out.Extra = map[string]any{}
		}
		out.Extra["template"] = req.Template
	}
	return out, nil
}

// EmbedRequestToSDK validates an /api/embed request. An empty input gives
// a request with no Input, which backend.ValidateEmbed rejects.
func EmbedRequestToSDK(req *EmbedRequest) (*sdk.EmbedRequest, error) {
	opts, extra, err := ParseOptions(req.Options)
	if err != nil {
		return nil, err
	}
	_ = opts // sampling options do not apply to embeddings
	if _, err := ParseKeepAlive(req.KeepAlive); err != nil {
		return nil, err
	}
	if req.Dimensions < 0 {
		return nil, sdk.FieldError("dimensions", "must not be negative")
	}
	out := &sdk.EmbedRequest{Model: req.Model, Dimensions: req.Dimensions, Truncate: req.Truncate == nil || *req.Truncate}
	if extra != nil {
		out.Extra = map[string]any{"options": extra}
	}
	raw := bytes.TrimSpace(req.Input)
	switch {
	case isNull(raw):
	case raw[0] == '"':
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return nil, sdk.FieldError("input", "invalid string: %v", err)
		}
		if s != "" {
			out.Input = []string{s}
		}
	default:
		var a []string
		if err := json.Unmarshal(raw, &a); err != nil {
			return nil, sdk.FieldError("input", "must be a string or an array of strings")
		}
		for i, s := range a {
			if s == "" {
				return nil, sdk.FieldError(fmt.Sprintf("input[%d]", i), "must not be empty")
			}
		}
		out.Input = a
	}
	return out, nil
}
