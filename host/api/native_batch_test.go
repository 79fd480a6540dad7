package api

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/roundhouse-ai/roundhouse/host/backend"
	"github.com/roundhouse-ai/roundhouse/internal/streamhint"
	"github.com/roundhouse-ai/roundhouse/sdk"
)

// countingWriter counts the writes and flushes a stream makes.
type countingWriter struct {
	*httptest.ResponseRecorder
	writes, flushes int
}

func (c *countingWriter) Write(b []byte) (int, error) { c.writes++; return c.ResponseRecorder.Write(b) }
func (c *countingWriter) Flush()                      { c.flushes++; c.ResponseRecorder.Flush() }

// nativeStream runs streamOrUnary with a stream that sends texts, telling
// the hint that more chunks wait behind every one but the last, and then
// fails with fail (nil: ends cleanly).
func nativeStream(t *testing.T, accept string, texts []string, fail error) *countingWriter {
	t.Helper()
	s := &Server{log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	w := &countingWriter{ResponseRecorder: httptest.NewRecorder()}
	r := httptest.NewRequest(http.MethodPost, "/v1/services/generate", nil)
	r.Header.Set("Accept", accept)
	provider := ""
	stream := func(ctx context.Context, _ backend.Route, _ *sdk.GenerateRequest, send func(*sdk.GenerateChunk) error) error {
		left := len(texts)
		streamhint.From(ctx).Set(func() bool { return left > 1 })
		for _, text := range texts {
			if err := send(&sdk.GenerateChunk{Text: text}); err != nil {
				return err
			}
			left--
		}
		return fail
	}
	streamOrUnary[sdk.GenerateRequest, sdk.GenerateResponse, sdk.GenerateChunk](s, w, r, common{Stream: true}, &provider,
		&sdk.GenerateRequest{Prompt: "x"}, nil, stream, nil)
	return w
}

// Chunks already queued behind each other go out in one write and one
// flush, byte for byte what one write per chunk sent.
func TestNativeStreamBatchesQueuedChunks(t *testing.T) {
	w := nativeStream(t, "text/event-stream", []string{"a", "b", "c"}, nil)
	want := "data: {\"text\":\"a\",\"done\":false}\n\ndata: {\"text\":\"b\",\"done\":false}\n\ndata: {\"text\":\"c\",\"done\":false}\n\n"
	if got := w.Body.String(); got != want {
		t.Fatalf("body %q, want %q", got, want)
	}
	if w.writes != 1 || w.flushes != 1 {
		t.Fatalf("%d writes, %d flushes; want 1 and 1", w.writes, w.flushes)
	}
	if ct := w.Header().Get("Content-Type"); ct != "text/event-stream" {
		t.Fatalf("content type %q", ct)
	}

	nd := nativeStream(t, "application/x-ndjson", []string{"a", "b"}, nil)
	if got := nd.Body.String(); got != "{\"text\":\"a\",\"done\":false}\n{\"text\":\"b\",\"done\":false}\n" || nd.writes != 1 {
		t.Fatalf("ndjson: %d writes, body %q", nd.writes, got)
	}
}

// A stream that fails while chunks are still queued sends them, then the
// error event: it must not turn into a plain JSON error that drops them.
func TestNativeStreamFailureAfterQueuedChunks(t *testing.T) {
	w := nativeStream(t, "text/event-stream", []string{"a", "b"}, sdk.Errorf(sdk.CodeUpstreamError, "boom"))
	body := w.Body.String()
	if w.Code != http.StatusOK || !strings.HasPrefix(body, "data: {\"text\":\"a\",\"done\":false}\n\ndata: {\"text\":\"b\",\"done\":false}\n\nevent: error\ndata: {\"error\":") ||
		!strings.Contains(body, "boom") {
		t.Fatalf("status %d body %q", w.Code, body)
	}
	// Nothing sent before the failure: a plain JSON error, as before.
	w = nativeStream(t, "text/event-stream", nil, errors.New("no plugin"))
	if w.Code == http.StatusOK || strings.HasPrefix(w.Body.String(), "data:") {
		t.Fatalf("status %d body %q", w.Code, w.Body.String())
	}
}
