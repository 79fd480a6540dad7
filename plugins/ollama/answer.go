package main

import (
	"bytes"
	"encoding/json"
	"unicode/utf8"

	"github.com/ollama/ollama/api"
)

// answerLine is what the plugin forwards of one NDJSON line of /api/chat
// or /api/generate. Decoding only these fields skips what api.ChatResponse
// would parse for nothing on every token (the model name, created_at's
// time parse), and the common line — one token of text, not done — takes
// a fast path without reflection at all (decode). Generate's "response"
// and "thinking" land in Message.Content and Message.Thinking.
type answerLine struct {
	Message    answerMessage `json:"message"`
	Response   string        `json:"response"` // /api/generate's text; decode moves it to Message.Content
	Thinking   string        `json:"thinking"` // /api/generate's thinking; likewise
	Done       bool          `json:"done"`
	DoneReason string        `json:"done_reason"`
	api.Metrics
}

type answerMessage struct {
	Content   string         `json:"content"`
	Thinking  string         `json:"thinking"`
	ToolCalls []api.ToolCall `json:"tool_calls"`
}

// The exact shape of a plain token line as Ollama writes it (the field
// order of api.ChatResponse / api.GenerateResponse, empty fields left
// out): {"model":M,"created_at":T,<token>,"done":false}.
type tokenShape struct {
	before, after string // around the token's text string
}

var (
	chatToken     = tokenShape{`"message":{"role":"assistant","content":`, `},"done":false}`}
	generateToken = tokenShape{`"response":`, `,"done":false}`}
)

// decode fills l from one line: through the fast path when the line has
// exactly the plain token shape and a text without escapes, else with
// encoding/json (same result, every field).
func (l *answerLine) decode(line []byte, shape tokenShape) error {
	if text, ok := fastToken(line, shape); ok {
		l.Message.Content = text
		return nil
	}
	if err := json.Unmarshal(line, l); err != nil {
		return malformed(err)
	}
	if l.Response != "" || l.Thinking != "" { // /api/generate
		l.Message.Content, l.Message.Thinking = l.Response, l.Thinking
		l.Response, l.Thinking = "", ""
	}
	return nil
}

// fastToken returns the text of a plain token line, or false when the
// line is anything else (done, thinking, tool calls, escapes in the
// text, unexpected fields or spacing): the caller then decodes it fully.
func fastToken(line []byte, shape tokenShape) (string, bool) {
	rest, ok := bytes.CutPrefix(line, []byte(`{"model":`))
	if !ok {
		return "", false
	}
	if rest, ok = skipString(rest); !ok {
		return "", false
	}
	if rest, ok = bytes.CutPrefix(rest, []byte(`,"created_at":`)); !ok {
		return "", false
	}
	if rest, ok = skipString(rest); !ok {
		return "", false
	}
	if rest, ok = bytes.CutPrefix(rest, []byte(","+shape.before)); !ok {
		return "", false
	}
	text, rest, ok := plainString(rest)
	if !ok || string(rest) != shape.after {
		return "", false
	}
	return string(text), true
}

// skipString skips one plain JSON string at the start of b (see
// plainString).
func skipString(b []byte) ([]byte, bool) {
	_, rest, ok := plainString(b)
	return rest, ok
}

// plainString reads one JSON string at the start of b whose content needs
// no decoding: no escapes, no control bytes (which JSON forbids), valid
// UTF-8 (json.Unmarshal would rewrite anything else).
func plainString(b []byte) (s, rest []byte, ok bool) {
	if len(b) == 0 || b[0] != '"' {
		return nil, nil, false
	}
	for i := 1; i < len(b); i++ {
		switch c := b[i]; {
		case c == '"':
			s = b[1:i]
			return s, b[i+1:], utf8.Valid(s)
		case c == '\\' || c < 0x20:
			return nil, nil, false
		}
	}
	return nil, nil, false
}
