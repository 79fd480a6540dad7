package openai

import (
	"encoding/json"
)

// Content is a message's content as the client sent it: a string, an
// array of content parts or null. A string without escapes, or null (nearly
// every message), is kept as the string itself, decoded once; as a
// json.RawMessage it was copied, then copied again into a string. Anything
// else is kept raw for parseContent.
type Content struct {
	raw   json.RawMessage
	text  string
	plain bool
}

// UnmarshalJSON keeps b (a whole JSON value, already checked by
// encoding/json) as plainContent reads it, else raw.
func (c *Content) UnmarshalJSON(b []byte) error {
	if s, ok := plainContent(b); ok {
		*c = Content{text: s, plain: true}
		return nil
	}
	*c = Content{raw: append(json.RawMessage(nil), b...)}
	return nil
}

// MarshalJSON writes the content back (tests and logs).
func (c Content) MarshalJSON() ([]byte, error) {
	if c.plain {
		if c.text == "" {
			return []byte("null"), nil
		}
		return json.Marshal(c.text)
	}
	if len(c.raw) == 0 {
		return []byte("null"), nil
	}
	return c.raw, nil
}

// parse is parseContent of the content, field naming it in errors (built
// only for content that is not a plain string).
func (c *Content) parse(field func() string, allowImages bool) (string, [][]byte, error) {
	if c.plain || len(c.raw) == 0 {
		return c.text, nil, nil
	}
	return parseContent(c.raw, field(), allowImages)
}
