package openai

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/roundhouse-ai/roundhouse/host/backend"
	"github.com/roundhouse-ai/roundhouse/sdk"
)

// ChatRequestToSDK validates an OpenAI chat request and translates it.
// Errors are sdk field errors naming the offending parameter.
func ChatRequestToSDK(req *ChatCompletionRequest) (*sdk.ChatRequest, error) {
	if req.N != nil && *req.N != 1 {
		return nil, sdk.FieldError("n", "only n=1 is supported, got %d", *req.N)
	}
	if len(req.Messages) == 0 {
		return nil, sdk.FieldError("messages", "must contain at least one message")
	}
	out := &sdk.ChatRequest{Model: req.Model, Messages: make([]sdk.Message, 0, len(req.Messages))}
	for i := range req.Messages {
		m, err := messageToSDK(&req.Messages[i], i)
		if err != nil {
			return nil, err
		}
		out.Messages = append(out.Messages, m)
	}
	for i, t := range req.Tools {
		field := fmt.Sprintf("tools[%d]", i)
		if t.Type != "function" {
			return nil, sdk.FieldError(field+".type", "must be \"function\", got %q", t.Type)
		}
		if t.Function == nil || t.Function.Name == "" {
			return nil, sdk.FieldError(field+".function.name", "is required")
		}
		out.Tools = append(out.Tools, sdk.Tool{Type: "function", Name: t.Function.Name,
			Description: t.Function.Description, Parameters: t.Function.Parameters})
	}
	choice, err := toolChoice(req.ToolChoice)
	if err != nil {
		return nil, err
	}
	if choice != nil && choice.Mode == sdk.ToolChoiceNone {
		out.Tools = nil // the model may not call tools: offer none
	} else if len(out.Tools) > 0 {
		out.ToolChoice = choice
		out.ParallelToolCalls = req.ParallelToolCalls
	}
	if req.User != "" {
		setExtra(&out.Extra, "user", req.User)
	}

	opts := &sdk.Options{
		Temperature:      req.Temperature,
		TopP:             req.TopP,
		Seed:             req.Seed,
		PresencePenalty:  req.PresencePenalty,
		FrequencyPenalty: req.FrequencyPenalty,
	}
	if err := checkSampling(opts); err != nil {
		return nil, err
	}
	switch {
	case req.MaxCompletionTokens != nil:
		if *req.MaxCompletionTokens < 1 {
			return nil, sdk.FieldError("max_completion_tokens", "must be at least 1")
		}
		opts.MaxTokens = req.MaxCompletionTokens
	case req.MaxTokens != nil:
		if *req.MaxTokens < 1 {
			return nil, sdk.FieldError("max_tokens", "must be at least 1")
		}
		opts.MaxTokens = req.MaxTokens
	}
	if opts.Stop, err = parseStop(req.Stop); err != nil {
		return nil, err
	}
	if opts.ResponseFormat, err = responseFormat(req.ResponseFormat); err != nil {
		return nil, err
	}
	if opts.Think, err = reasoningEffort(req.ReasoningEffort); err != nil {
		return nil, err
	}
	out.Options = optionsOrNil(opts)
	return out, nil
}

// optionsOrNil keeps nil Options when the client set none.
func optionsOrNil(o *sdk.Options) *sdk.Options {
	if reflect.ValueOf(*o).IsZero() {
		return nil
	}
	return o
}

func setExtra(m *map[string]any, k string, v any) {
	if *m == nil {
		*m = map[string]any{}
	}
	(*m)[k] = v
}

// messageField names a field of messages[i] in an error. Built only when
// an error is reported: formatting it for every message was two
// allocations per message of every request.
func messageField(i int, suffix string) string {
	return "messages[" + strconv.Itoa(i) + "]" + suffix
}

func messageToSDK(m *ChatMessage, i int) (sdk.Message, error) {
	out := sdk.Message{Name: m.Name, ToolCallID: m.ToolCallID, Thinking: m.ReasoningContent}
	switch m.Role {
	case "system", "developer":
		out.Role = "system"
	case "user", "assistant", "tool":
		out.Role = m.Role
	case "function":
		// Deprecated function-call result: a tool message by function name.
		out.Role = "tool"
	case "":
		return out, sdk.FieldError(messageField(i, ".role"), "is required")
	default:
		return out, sdk.FieldError(messageField(i, ".role"), "must be one of system, developer, user, assistant, tool; got %q", m.Role)
	}
	text, images, err := m.Content.parse(func() string { return messageField(i, ".content") }, out.Role == "user")
	if err != nil {
		return out, err
	}
	out.Content, out.Images = text, images
	if out.Role == "tool" && out.ToolCallID == "" && m.Role == "tool" {
		return out, sdk.FieldError(messageField(i, ".tool_call_id"), "is required for role tool")
	}
	if len(m.ToolCalls) > 0 && out.Role != "assistant" {
		return out, sdk.FieldError(messageField(i, ".tool_calls"), "only assistant messages may carry tool calls")
	}
	for j, tc := range m.ToolCalls {
		if tc.Function.Name == "" {
			return out, sdk.FieldError(fmt.Sprintf("%s.tool_calls[%d].function.name", messageField(i, ""), j), "is required")
		}
		out.ToolCalls = append(out.ToolCalls, sdk.ToolCall{ID: tc.ID, Name: tc.Function.Name,
			Arguments: tc.Function.Arguments, Index: j})
	}
	return out, nil
}

// plainContent is parseContent's answer for null, an absent content and a
// string without escapes (nearly every message), without its field name;
// ok is false for anything else.
func plainContent(raw json.RawMessage) (string, bool) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || bytes.Equal(raw, []byte("null")) {
		return "", true
	}
	if raw[0] != '"' {
		return "", false
	}
	return plainString(raw)
}

// parseContent reads a string, an array of content parts or null. Images
// are accepted only where allowImages (user messages), as data: URLs.
func parseContent(raw json.RawMessage, field string, allowImages bool) (string, [][]byte, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || bytes.Equal(raw, []byte("null")) {
		return "", nil, nil
	}
	switch raw[0] {
	case '"':
		if s, ok := plainString(raw); ok {
			return s, nil, nil
		}
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return "", nil, sdk.FieldError(field, "invalid string: %v", err)
		}
		return s, nil, nil
	case '[':
	default:
		return "", nil, sdk.FieldError(field, "must be a string or an array of content parts")
	}
	var parts []contentPartIn
	if err := json.Unmarshal(raw, &parts); err != nil {
		return "", nil, sdk.FieldError(field, "must be an array of content parts: %v", err)
	}
	var (
		texts  []string
		images [][]byte
	)
	for i, p := range parts {
		pf := fmt.Sprintf("%s[%d]", field, i)
		switch p.Type {
		case "text":
			texts = append(texts, p.Text)
		case "refusal":
			texts = append(texts, p.Refusal)
		case "image_url":
			if !allowImages {
				return "", nil, sdk.FieldError(pf+".type", "image parts are only allowed in user messages")
			}
			if p.ImageURL == nil || p.ImageURL.URL.empty {
				return "", nil, sdk.FieldError(pf+".image_url.url", "is required")
			}
			if err := p.ImageURL.URL.err; err != nil {
				return "", nil, sdk.FieldError(pf+".image_url.url", "%v", err)
			}
			images = append(images, p.ImageURL.URL.img)
		case "":
			return "", nil, sdk.FieldError(pf+".type", "is required")
		default:
			return "", nil, sdk.FieldError(pf+".type", "content part type %q is not supported (use text or image_url)", p.Type)
		}
	}
	return strings.Join(texts, "\n"), images, nil
}

// contentPartIn is ContentPart as parseContent decodes it: the image is
// decoded straight from the request's bytes (dataURL), not first copied
// into a string — for a large image that string was the one copy of the
// body too many.
type contentPartIn struct {
	Type     string `json:"type"`
	Text     string `json:"text,omitempty"`
	ImageURL *struct {
		URL dataURL `json:"url"`
	} `json:"image_url,omitempty"`
	Refusal string `json:"refusal,omitempty"`
}

// dataURL is a data: URL decoded while the JSON is: img is the image, err
// why it is not one, empty that the URL was "" or null.
type dataURL struct {
	img   []byte
	err   error
	empty bool
}

func (d *dataURL) UnmarshalJSON(b []byte) error {
	// b is the JSON string, valid (checked before any UnmarshalJSON);
	// without escapes its bytes are the URL's and are decoded in place.
	if len(b) >= 2 && b[0] == '"' && bytes.IndexByte(b, '\\') < 0 {
		u := b[1 : len(b)-1]
		d.empty = len(u) == 0
		if !d.empty {
			d.img, d.err = decodeDataURLBytes(u)
		}
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	d.empty = s == ""
	if !d.empty {
		d.img, d.err = DecodeDataURL(s)
	}
	return nil
}

// decodeDataURLBytes is DecodeDataURL on bytes; its error paths (rare)
// defer to DecodeDataURL so the messages live in one place. The result
// never aliases u.
func decodeDataURLBytes(u []byte) ([]byte, error) {
	rest, ok := bytes.CutPrefix(u, []byte("data:"))
	if !ok {
		return DecodeDataURL(string(u))
	}
	meta, data, ok := bytes.Cut(rest, []byte(","))
	if !ok || !bytes.HasSuffix(meta, []byte(";base64")) {
		return DecodeDataURL(string(u))
	}
	b := make([]byte, base64.StdEncoding.DecodedLen(len(data)))
	n, err := base64.StdEncoding.Decode(b, data)
	if err != nil || n == 0 {
		return DecodeDataURL(string(u))
	}
	return b[:n], nil
}

// plainString returns the JSON string raw when it holds no escapes and
// only valid UTF-8, as json.Unmarshal would, without its validation pass
// and unquoting (the common case: plain text of any length).
func plainString(raw []byte) (string, bool) {
	if len(raw) < 2 || raw[len(raw)-1] != '"' {
		return "", false
	}
	in := raw[1 : len(raw)-1]
	for _, c := range in {
		if c < 0x20 || c == '\\' || c == '"' {
			return "", false
		}
	}
	if !utf8.Valid(in) {
		return "", false
	}
	return string(in), true
}

// DecodeDataURL returns the bytes of a base64 data: URL. Remote http(s)
// URLs are refused: the host does not fetch on a client's behalf.
func DecodeDataURL(u string) ([]byte, error) {
	rest, ok := strings.CutPrefix(u, "data:")
	if !ok {
		if strings.HasPrefix(u, "http://") || strings.HasPrefix(u, "https://") {
			return nil, fmt.Errorf("remote image URLs are not fetched; send the image as a data: URL (data:image/png;base64,...)")
		}
		return nil, fmt.Errorf("must be a data: URL (data:image/png;base64,...)")
	}
	meta, data, ok := strings.Cut(rest, ",")
	if !ok {
		return nil, fmt.Errorf("data: URL has no comma before its data")
	}
	if !strings.HasSuffix(meta, ";base64") {
		return nil, fmt.Errorf("data: URL must be base64-encoded (;base64)")
	}
	b, err := base64.StdEncoding.DecodeString(data)
	if err != nil {
		if b2, err2 := base64.RawStdEncoding.DecodeString(strings.TrimRight(data, "=")); err2 == nil {
			return b2, nil
		}
		return nil, fmt.Errorf("invalid base64 image data: %v", err)
	}
	if len(b) == 0 {
		return nil, fmt.Errorf("image data is empty")
	}
	return b, nil
}

// toolChoice returns nil, "none"/"auto"/"required", or
// {"type":"function","name":...}.
func toolChoice(raw json.RawMessage) (*sdk.ToolChoice, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || bytes.Equal(raw, []byte("null")) {
		return nil, nil
	}
	if raw[0] == '"' {
		var s string
		_ = json.Unmarshal(raw, &s)
		switch s {
		case sdk.ToolChoiceNone, sdk.ToolChoiceAuto, sdk.ToolChoiceRequired:
			return &sdk.ToolChoice{Mode: s}, nil
		}
		return nil, sdk.FieldError("tool_choice", "must be none, auto, required or a function object; got %q", s)
	}
	var obj struct {
		Type     string `json:"type"`
		Function struct {
			Name string `json:"name"`
		} `json:"function"`
	}
	if err := json.Unmarshal(raw, &obj); err != nil {
		return nil, sdk.FieldError("tool_choice", "must be a string or an object: %v", err)
	}
	if obj.Type != "function" {
		return nil, sdk.FieldError("tool_choice.type", "must be \"function\", got %q", obj.Type)
	}
	if obj.Function.Name == "" {
		return nil, sdk.FieldError("tool_choice.function.name", "is required")
	}
	return &sdk.ToolChoice{Mode: sdk.ToolChoiceFunction, Name: obj.Function.Name}, nil
}

// parseStop reads stop as a string or an array of strings.
func parseStop(raw json.RawMessage) ([]string, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || bytes.Equal(raw, []byte("null")) {
		return nil, nil
	}
	if raw[0] == '"' {
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return nil, sdk.FieldError("stop", "invalid string: %v", err)
		}
		if s == "" {
			return nil, nil
		}
		return []string{s}, nil
	}
	var a []string
	if err := json.Unmarshal(raw, &a); err != nil {
		return nil, sdk.FieldError("stop", "must be a string or an array of strings")
	}
	return a, nil
}

func responseFormat(rf *ResponseFormat) (*sdk.ResponseFormat, error) {
	if rf == nil {
		return nil, nil
	}
	switch rf.Type {
	case "text":
		return nil, nil
	case "json_object":
		return &sdk.ResponseFormat{Type: "json_object"}, nil
	case "json_schema":
		if rf.JSONSchema == nil {
			return nil, sdk.FieldError("response_format.json_schema", "is required for type json_schema")
		}
		if rf.JSONSchema.Name == "" {
			return nil, sdk.FieldError("response_format.json_schema.name", "is required")
		}
		out := &sdk.ResponseFormat{Type: "json_schema", Name: rf.JSONSchema.Name, Schema: rf.JSONSchema.Schema}
		if rf.JSONSchema.Strict != nil {
			out.Strict = *rf.JSONSchema.Strict
		}
		return out, nil
	case "":
		return nil, sdk.FieldError("response_format.type", "is required")
	}
	return nil, sdk.FieldError("response_format.type", "must be text, json_object or json_schema; got %q", rf.Type)
}

// reasoningEffort maps OpenAI's reasoning_effort onto sdk.Options.Think.
func reasoningEffort(e string) (string, error) {
	switch e {
	case "":
		return "", nil
	case "none":
		return "false", nil
	case "minimal", "low":
		return "low", nil
	case "medium":
		return "medium", nil
	case "high", "xhigh":
		return "high", nil
	}
	return "", sdk.FieldError("reasoning_effort", "must be none, minimal, low, medium or high; got %q", e)
}

// samplingNames are the OpenAI names of the sampling options, which sit at
// the top level of the request rather than under "options".
var samplingNames = map[string]string{
	"options.temperature":       "temperature",
	"options.top_p":             "top_p",
	"options.presence_penalty":  "presence_penalty",
	"options.frequency_penalty": "frequency_penalty",
}

// checkSampling applies the ranges every surface shares (OpenAI's own:
// temperature [0, 2], top_p [0, 1], penalties [-2, 2]) under OpenAI's names.
func checkSampling(o *sdk.Options) error {
	return backend.InDialect(backend.ValidateOptions(o), samplingNames)
}

// CompletionRequestToSDK validates a legacy completion request and
// translates it. The prompt goes through the model's template like
// Ollama's own /v1/completions (Raw stays false), so suffix (fill in the
// middle) works.
func CompletionRequestToSDK(req *CompletionRequest) (*sdk.GenerateRequest, error) {
	if req.N != nil && *req.N != 1 {
		return nil, sdk.FieldError("n", "only n=1 is supported, got %d", *req.N)
	}
	if req.BestOf != nil && *req.BestOf != 1 {
		return nil, sdk.FieldError("best_of", "only best_of=1 is supported, got %d", *req.BestOf)
	}
	if req.Logprobs != nil && *req.Logprobs > 0 {
		return nil, sdk.FieldError("logprobs", "log probabilities are not supported")
	}
	prompt, err := parsePrompt(req.Prompt)
	if err != nil {
		return nil, err
	}
	out := &sdk.GenerateRequest{Model: req.Model, Prompt: prompt, Suffix: req.Suffix}
	opts := &sdk.Options{
		Temperature:      req.Temperature,
		TopP:             req.TopP,
		Seed:             req.Seed,
		PresencePenalty:  req.PresencePenalty,
		FrequencyPenalty: req.FrequencyPenalty,
	}
	if err := checkSampling(opts); err != nil {
		return nil, err
	}
	if req.MaxTokens != nil {
		if *req.MaxTokens < 1 {
			return nil, sdk.FieldError("max_tokens", "must be at least 1")
		}
		opts.MaxTokens = req.MaxTokens
	}
	if opts.Stop, err = parseStop(req.Stop); err != nil {
		return nil, err
	}
	out.Options = optionsOrNil(opts)
	if req.User != "" {
		setExtra(&out.Extra, "user", req.User)
	}
	return out, nil
}

func parsePrompt(raw json.RawMessage) (string, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || bytes.Equal(raw, []byte("null")) {
		return "", sdk.FieldError("prompt", "is required")
	}
	if raw[0] == '"' {
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return "", sdk.FieldError("prompt", "invalid string: %v", err)
		}
		return s, nil
	}
	var a []string
	if err := json.Unmarshal(raw, &a); err != nil {
		return "", sdk.FieldError("prompt", "must be a string or an array of one string (token arrays are not supported)")
	}
	if len(a) != 1 {
		return "", sdk.FieldError("prompt", "only one prompt per request is supported, got %d", len(a))
	}
	return a[0], nil
}

// EmbeddingRequestToSDK validates an embeddings request and translates it;
// it also returns the encoding format ("float" or "base64").
func EmbeddingRequestToSDK(req *EmbeddingRequest) (*sdk.EmbedRequest, string, error) {
	format := req.EncodingFormat
	switch format {
	case "":
		format = "float"
	case "float", "base64":
	default:
		return nil, "", sdk.FieldError("encoding_format", "must be float or base64, got %q", format)
	}
	raw := bytes.TrimSpace(req.Input)
	if len(raw) == 0 || bytes.Equal(raw, []byte("null")) {
		return nil, "", sdk.FieldError("input", "is required")
	}
	var input []string
	if raw[0] == '"' {
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return nil, "", sdk.FieldError("input", "invalid string: %v", err)
		}
		input = []string{s}
	} else if err := json.Unmarshal(raw, &input); err != nil {
		return nil, "", sdk.FieldError("input", "must be a string or an array of strings (token arrays are not supported)")
	}
	if len(input) == 0 {
		return nil, "", sdk.FieldError("input", "must not be empty")
	}
	for i, s := range input {
		if s == "" {
			if len(input) == 1 {
				return nil, "", sdk.FieldError("input", "must not be an empty string")
			}
			return nil, "", sdk.FieldError(fmt.Sprintf("input[%d]", i), "must not be an empty string")
		}
	}
	out := &sdk.EmbedRequest{Model: req.Model, Input: input, Truncate: true}
	if req.Dimensions != nil {
		if *req.Dimensions < 1 {
			return nil, "", sdk.FieldError("dimensions", "must be at least 1")
		}
		out.Dimensions = *req.Dimensions
	}
	return out, format, nil
}

// ImageRequestToSDK validates an image generation request; it also returns
// the response format ("b64_json" or "url").
func ImageRequestToSDK(req *ImageRequest) (*sdk.TextToImageRequest, string, error) {
	if req.Prompt == "" {
		return nil, "", sdk.FieldError("prompt", "is required")
	}
	format := req.ResponseFormat
	switch format {
	case "", "b64_json", "url":
	default:
		return nil, "", sdk.FieldError("response_format", "must be b64_json or url, got %q", format)
	}
	out := &sdk.TextToImageRequest{Model: req.Model, Prompt: req.Prompt, N: 1, Size: req.Size,
		Quality: req.Quality, Style: req.Style, NegativePrompt: req.NegativePrompt, Seed: req.Seed}
	if req.N != nil {
		if *req.N < 1 || *req.N > 10 {
			return nil, "", sdk.FieldError("n", "must be between 1 and 10, got %d", *req.N)
		}
		out.N = *req.N
	}
	return out, format, nil
}

// speechFormats are the response_format values of /v1/audio/speech.
var speechFormats = map[string]string{
	"mp3": "audio/mpeg", "opus": "audio/opus", "aac": "audio/aac",
	"flac": "audio/flac", "wav": "audio/wav", "pcm": "audio/pcm",
}

// SpeechRequestToSDK validates a speech request. An absent
// response_format stays empty: the engine's native format (whose type the
// backend reports) rather than a forced mp3 it may not produce.
func SpeechRequestToSDK(req *SpeechRequest) (*sdk.TextToSpeechRequest, error) {
	if req.Input == "" {
		return nil, sdk.FieldError("input", "is required")
	}
	if req.ResponseFormat != "" {
		if _, ok := speechFormats[req.ResponseFormat]; !ok {
			return nil, sdk.FieldError("response_format", "must be mp3, opus, aac, flac, wav or pcm; got %q", req.ResponseFormat)
		}
	}
	if req.StreamFormat != "" && req.StreamFormat != "audio" {
		return nil, sdk.FieldError("stream_format", "only \"audio\" is supported, got %q", req.StreamFormat)
	}
	out := &sdk.TextToSpeechRequest{Model: req.Model, Input: req.Input, Voice: req.Voice,
		Format: req.ResponseFormat, Instructions: req.Instructions}
	if req.Speed != nil {
		if *req.Speed < 0.25 || *req.Speed > 4 {
			return nil, sdk.FieldError("speed", "must be between 0.25 and 4, got %g", *req.Speed)
		}
		out.Speed = *req.Speed
	}
	return out, nil
}
