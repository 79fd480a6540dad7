package main

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

	"github.com/roundhouse-ai/roundhouse/sdk"
)

// readEvents reads the SSE stream of u and hands each JSON payload,
// decoded into a fresh T, to fn, until "data: [DONE]" (sawDone true) or
// the end of the stream (sawDone false). An error object in the stream
// ({"error": {...}} or an "error" event) ends it with that error, and so
// does a payload that is not valid JSON for T: skipping it would hand the
// caller an answer with a hole in it that looks complete.
func readEvents[T any](ctx context.Context, p *plugin, pr *provider, u *upstream, fn func(*T) error) (sawDone bool, err error) {
	rd := newSSEReader(u.body, maxEventSize)
	for n := 1; ; n++ {
		ev, err := rd.next()
		if errors.Is(err, io.EOF) {
			return false, nil
		}
		if err != nil {
			if ctx.Err() != nil {
				return false, ctx.Err()
			}
			return false, streamBroken(pr.name, err, pr.scrub)
		}
		data := bytes.TrimSpace(ev.data)
		if len(data) == 0 {
			continue
		}
		if bytes.Equal(data, []byte("[DONE]")) {
			return true, nil
		}
		if ev.event == "error" || bytes.Contains(data, []byte(`"error"`)) {
			if e := streamError(p, pr, ev.event, data); e != nil {
				return false, e
			}
		}
		v := new(T)
		if err := json.Unmarshal(data, v); err != nil {
			return false, malformedEvent(pr, n, data, err)
		}
		if err := fn(v); err != nil {
			return false, err
		}
	}
}

// malformedEvent reports a stream event that is not what the API sends.
// The payload is not quoted (it may hold anything, a prompt's echo or a
// credential); its size and the decoder's complaint say enough.
func malformedEvent(pr *provider, n int, data []byte, err error) *sdk.Error {
	what := "is not valid JSON"
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		what = fmt.Sprintf("is not valid JSON (syntax error at byte %d)", se.Offset)
	case errors.As(err, &te):
		what = fmt.Sprintf("has the wrong shape (%s where %s was expected)", te.Value, te.Type)
	}
	slog.Warn("malformed stream event", "provider", pr.name, "event", n, "bytes", len(data), "error", pr.scrub.scrub(err.Error()))
	return &sdk.Error{Code: sdk.CodeUpstreamError, Err: err, Message: fmt.Sprintf(
		"provider %q: event %d of the stream (%d bytes) %s; the answer is incomplete. "+
			"If the provider is an OpenAI-compatible server, check that it streams chat completions in OpenAI's format",
		pr.name, n, len(data), what)}
}

// streamError recognises an error sent inside a stream.
func streamError(p *plugin, pr *provider, event string, data []byte) *sdk.Error {
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
	e := mapUpstreamError(pr.name, 0, nil, data, pr.scrub, p.now(), "")
	e.Retryable = false // the stream had started: the caller may have seen part of it
	e.Message = "in the stream: " + e.Message
	return e
}

// incomplete is the error for a stream that ended without [DONE] and
// without a finish reason: the connection was most likely cut.
func incomplete(pr *provider) *sdk.Error {
	return &sdk.Error{Code: sdk.CodeUpstreamError,
		Message: "provider \"" + pr.name + "\": the stream ended before the answer was complete (no [DONE], no finish_reason)"}
}

// isJSON reports whether an answer is a JSON document rather than an
// event stream.
func isJSON(h http.Header) bool {
	mt, _, _ := mime.ParseMediaType(h.Get("Content-Type"))
	return mt == "application/json"
}

// readStreamBody reads a stream request's whole answer (bounded).
func readStreamBody(ctx context.Context, pr *provider, u *upstream) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(u.body, maxBody))
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		e := streamBroken(pr.name, err, pr.scrub)
		u.lease.failed(e)
		return nil, e
	}
	return data, nil
}
