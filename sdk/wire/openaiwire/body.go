package openaiwire

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strconv"

	"github.com/roundhouse-ai/roundhouse/types"
)

// DefaultModels are used when a request names no model (the host usually
// fills in the manifest's default_model first): OpenAI's.
var DefaultModels = map[string]string{
	types.ServiceChat:         "gpt-4o-mini",
	types.ServiceGenerate:     "gpt-3.5-turbo-instruct",
	types.ServiceEmbed:        "text-embedding-3-small",
	types.ServiceTextToImage:  "gpt-image-1",
	types.ServiceImageToImage: "gpt-image-1",
	types.ServiceTextToSpeech: "gpt-4o-mini-tts",
	types.ServiceSpeechToText: "whisper-1",
}

func modelOr(model, service string) string {
	if model != "" {
		return model
	}
	return DefaultModels[service]
}

// EncodeBody marshals v and merges extra into the top-level object: extra
// wins, except for the keys in fixed (such as "stream", which decides how
// the answer is read). A nil-valued extra key deletes the field.
func EncodeBody(v any, extra map[string]any, fixed ...string) ([]byte, error) {
	data, err := json.Marshal(v)
	if err != nil {
		return nil, types.WrapError(types.CodeInvalidArgument, err, "encode request")
	}
	if len(extra) == 0 {
		return data, nil
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(data, &obj); err != nil {
		return nil, types.WrapError(types.CodeInternal, err, "encode request")
	}
	skip := map[string]bool{}
	for _, k := range fixed {
		skip[k] = true
	}
	for _, k := range sortedKeys(extra) {
		if skip[k] {
			continue
		}
		if extra[k] == nil {
			delete(obj, k)
			continue
		}
		raw, err := json.Marshal(extra[k])
		if err != nil {
			return nil, types.FieldError("extra."+k, "cannot be encoded as JSON: %v", err)
		}
		obj[k] = raw
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(obj); err != nil {
		return nil, types.WrapError(types.CodeInternal, err, "encode request")
	}
	return bytes.TrimRight(buf.Bytes(), "\n"), nil
}

func sortedKeys(m map[string]any) []string { return slices.Sorted(maps.Keys(m)) }

// flexString decodes a JSON string and ignores any other JSON type, for
// fields that compatible servers fill inconsistently.
type flexString string

func (f *flexString) UnmarshalJSON(b []byte) error {
	var s string
	if json.Unmarshal(b, &s) == nil {
		*f = flexString(s)
	}
	return nil
}

// usage is OpenAI's token count object.
type usage struct {
	PromptTokens     int `json:"prompt_tokens"`
	CompletionTokens int `json:"completion_tokens"`
	TotalTokens      int `json:"total_tokens"`
}

func (u *usage) toSDK() *types.Usage {
	if u == nil {
		return nil
	}
	total := u.TotalTokens
	if total == 0 {
		total = u.PromptTokens + u.CompletionTokens
	}
	return &types.Usage{PromptTokens: u.PromptTokens, CompletionTokens: u.CompletionTokens, TotalTokens: total}
}

// DecodeAnswer decodes a JSON answer from path into v; an answer that is
// not what the API promises is an upstream_error naming path.
func (c *Client) DecodeAnswer(path string, data []byte, v any) error {
	if err := json.Unmarshal(data, v); err != nil {
		return c.BadAnswer(path, fmt.Errorf("%w (body starts %q)", err, head(data, 80)))
	}
	return nil
}

// decodeAnswer is DecodeAnswer for a type with a fast path (see
// chunkscan.go): that path when it is sure of the result, else, and for
// every error, encoding/json.
func decodeAnswer[T any, P interface {
	*T
	fastDecoder
}](c *Client, path string, data []byte, v P) error {
	if v.decodeFast(data) {
		return nil
	}
	var zero T
	*v = zero // drop what the fast path set before it gave up
	return c.DecodeAnswer(path, data, v)
}

// BadAnswer reports an upstream answer that is not what the API promises.
func (c *Client) BadAnswer(path string, err error) *types.Error {
	return &types.Error{Code: types.CodeUpstreamError, Err: err,
		Message: fmt.Sprintf("%s: unexpected answer from %s: %s", c.name(), path, c.scrub(err.Error()))}
}

func head(b []byte, n int) string {
	if len(b) > n {
		return string(b[:n]) + "…"
	}
	return string(b)
}

var errNoChoices = errorString("the answer has no choices")

type errorString string

func (e errorString) Error() string { return string(e) }

func itoa(i int) string { return strconv.Itoa(i) }
