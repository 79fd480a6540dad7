package openaiwire

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"

	"github.com/roundhouse-ai/roundhouse/types"
)

// ReadEvents reads the SSE stream of u and hands each JSON payload,
// decoded into a fresh T, to fn, until "data: [DONE]" (sawDone true) or
// the end of the stream (sawDone false). An error object in the stream
// ({"error": {...}} or an "error" event) ends it with that error, and so
// does a payload that is not valid JSON for T: skipping it would hand the
// caller an answer with a hole in it that looks complete.
func ReadEvents[T any](ctx context.Context, c *Client, u *Response, fn func(*T) error) (sawDone bool, err error) {
	rd := NewSSEReader(u.Body, MaxEventSize)
	for n := 1; ; n++ {
		ev, err := rd.Next()
		if errors.Is(err, io.EOF) {
			return false, nil
		}
		if err != nil {
			if ctx.Err() != nil {
				return false, ctx.Err()
			}
			return false, StreamBroken(c.Name, err, c.Scrub)
		}
		data := bytes.TrimSpace(ev.Data)
		if len(data) == 0 {
			continue
		}
		if bytes.Equal(data, []byte("[DONE]")) {
			return true, nil
		}
		if ev.Event == "error" || bytes.Contains(data, []byte(`"error"`)) {
			if e := c.streamError(ev.Event, data); e != nil {
				return false, e
			}
		}
		v := new(T)
		if err := decodeEvent(data, v); err != nil {
			return false, c.malformedEvent(n, data, err)
		}
		if err := fn(v); err != nil {
			return false, err
		}
	}
}

// decodeEvent decodes one event's payload into the zero value v: by its
// fast path when it has one and that path is sure of the result (see
// chunkscan.go), else, and for every error, by encoding/json.
func decodeEvent[T any](data []byte, v *T) error {
	if f, ok := any(v).(fastDecoder); ok {
		if f.decodeFast(data) {
			return nil
		}
		var zero T
		*v = zero // drop what the fast path set before it gave up
	}
	return json.Unmarshal(data, v)
}

// malformedEvent reports a stream event that is not what the API sends.
// The payload is not quoted (it may hold anything, a prompt's echo or a
// credential); its size and the decoder's complaint say enough.
func (c *Client) malformedEvent(n int, data []byte, err error) *types.Error {
	what := "is not valid JSON"
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		what = fmt.Sprintf("is not valid JSON (syntax error at byte %d)", se.Offset)
	case errors.As(err, &te):
		what = fmt.Sprintf("has the wrong shape (%s where %s was expected)", te.Value, te.Type)
	}
	slog.Warn("malformed stream event", "provider", c.Name, "event", n, "bytes", len(data), "error", c.scrub(err.Error()))
	return &types.Error{Code: types.CodeUpstreamError, Err: err, Message: fmt.Sprintf(
		"provider %q: event %d of the stream (%d bytes) %s; the answer is incomplete. "+
			"If the provider is an OpenAI-compatible server, check that it streams chat completions in OpenAI's format",
		c.Name, n, len(data), what)}
}

// streamError recognises an error sent inside a stream.
func (c *Client) streamError(event string, data []byte) *types.Error {
	var env struct {
		Error json.RawMessage `json:"error"`
	}
	isErr := event == "error"
	if json.Unmarshal(data, &env) == nil && len(env.Error) > 0 && !bytes.Equal(env.Error, []byte("null")) {
		isErr = true
	}
	if !isErr {
		return nil
	}
	e := MapError(c.Name, 0, nil, data, c.Scrub, c.now(), "")
	e.Retryable = false // the stream had started: the caller may have seen part of it
	e.Message = "in the stream: " + e.Message
	return e
}

// incomplete is the error for a stream that ended without [DONE] and
// without a finish reason: the connection was most likely cut.
func (c *Client) incomplete() *types.Error {
	return &types.Error{Code: types.CodeUpstreamError,
		Message: c.name() + ": the stream ended before the answer was complete (no [DONE], no finish_reason)"}
}

// IsJSON reports whether an answer is a JSON document rather than an
// event stream.
func IsJSON(h http.Header) bool {
	mt, _, _ := mime.ParseMediaType(h.Get("Content-Type"))
	return mt == "application/json"
}

// readStreamBody reads a stream request's whole answer (bounded).
func (c *Client) readStreamBody(ctx context.Context, u *Response) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(u.Body, MaxBody))
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		e := StreamBroken(c.Name, err, c.Scrub)
		u.Failed(e)
		return nil, e
	}
	return data, nil
}
