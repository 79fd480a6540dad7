package httpx

import (
	"net/http/httptest"
	"testing"
)

// countingWriter counts the flushes a stream makes.
type countingWriter struct {
	*httptest.ResponseRecorder
	flushes int
}

func (c *countingWriter) Flush() { c.flushes++; c.ResponseRecorder.Flush() }

func TestStreamQueueFlushesOnce(t *testing.T) {
	w := &countingWriter{ResponseRecorder: httptest.NewRecorder()}
	st := NewStream(w, SSE)
	if err := st.Queue(map[string]int{"a": 1}); err != nil {
		t.Fatal(err)
	}
	if err := st.QueueEvent("x", "b"); err != nil {
		t.Fatal(err)
	}
	if st.Started() || !st.Queued() || w.flushes != 0 || w.Body.Len() != 0 {
		t.Fatalf("queued events went out early: started %v, %d flushes, body %q", st.Started(), w.flushes, w.Body.String())
	}
	if err := st.SendRaw([]byte("data: [DONE]\n\n")); err != nil {
		t.Fatal(err)
	}
	want := "data: {\"a\":1}\n\nevent: x\ndata: \"b\"\n\ndata: [DONE]\n\n"
	if got := w.Body.String(); got != want || w.flushes != 1 || st.Queued() {
		t.Fatalf("body %q with %d flushes, want %q with 1", got, w.flushes, want)
	}
	if ct := w.Header().Get("Content-Type"); ct != "text/event-stream" {
		t.Fatalf("Content-Type %q", ct)
	}
	if err := st.Flush(); err != nil || w.flushes != 1 {
		t.Fatalf("empty Flush: %v, %d flushes", err, w.flushes)
	}
}

func TestStreamSendFlushesEach(t *testing.T) {
	w := &countingWriter{ResponseRecorder: httptest.NewRecorder()}
	st := NewStream(w, NDJSON)
	for i := range 3 {
		if err := st.Send(i); err != nil {
			t.Fatal(err)
		}
	}
	if got := w.Body.String(); got != "0\n1\n2\n" || w.flushes != 3 {
		t.Fatalf("body %q, %d flushes", got, w.flushes)
	}
}

// A value that cannot be encoded leaves nothing half-written behind.
func TestStreamQueueEncodeError(t *testing.T) {
	w := httptest.NewRecorder()
	st := NewStream(w, SSE)
	if err := st.Queue(func() {}); err == nil {
		t.Fatal("encoding a func succeeded")
	}
	if st.Queued() {
		t.Fatal("a failed event stayed queued")
	}
}
