package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"mime"
	"net/http"

	"github.com/roundhouse-ai/roundhouse/sdk"
)

// readEvents reads the SSE stream of u and hands each JSON payload,
// decoded into a fresh T, to fn, until "data: [DONE]" (sawDone true) or
// the end of the stream (sawDone false). An error object in the stream
// ({"error": {...}} or an "error" event) ends it with that error. Payloads
// that are not JSON are skipped and logged: one garbled line must not
// kill an answer that is otherwise fine.
func readEvents[T any](ctx context.Context, p *plugin, pr *provider, u *upstream, fn func(*T) error) (sawDone bool, err error) {
	rd := newSSEReader(u.body, maxEventSize)
	skipped := 0
	defer func() {
		if skipped > 0 {
			slog.Warn("skipped undecodable stream events", "provider", pr.name, "count", skipped)
		}
	}()
	for {
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
			skipped++
			continue
		}
		if err := fn(v); err != nil {
			return false, err
		}
	}
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
	e := mapUpstreamError(pr.name, 0, nil, data, pr.scrub, p.now())
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
