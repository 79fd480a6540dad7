package ollama

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/roundhouse-ai/roundhouse/host/backend"
	"github.com/roundhouse-ai/roundhouse/host/compat/compattest"
	"github.com/roundhouse-ai/roundhouse/internal/streamhint"
	"github.com/roundhouse-ai/roundhouse/sdk"
)

// writeLog records what each write to the client carried, and the flushes.
type writeLog struct {
	*httptest.ResponseRecorder
	writes  []string
	flushes int
}

func (w *writeLog) Write(b []byte) (int, error) {
	w.writes = append(w.writes, string(b))
	return w.ResponseRecorder.Write(b)
}
func (w *writeLog) Flush() { w.flushes++; w.ResponseRecorder.Flush() }

// The first chunk goes out alone at once even when more are queued behind
// it (time to first token); later queued chunks share one write and one
// flush.
func TestChatStreamFirstChunkNeverHeld(t *testing.T) {
	fb := compattest.New()
	fb.ChatStreamFunc = func(ctx context.Context, _ backend.Route, _ *sdk.ChatRequest, send func(*sdk.ChatChunk) error) error {
		chunks := []*sdk.ChatChunk{{Role: "assistant", Content: "a"}, {Content: "b"}, {Content: "c", Done: true, FinishReason: "stop"}}
		left := len(chunks)
		streamhint.From(ctx).Set(func() bool { return left > 1 }) // every chunk but the last has one behind it
		for _, c := range chunks {
			if err := send(c); err != nil {
				return err
			}
			left--
		}
		return nil
	}
	mux := http.NewServeMux()
	Register(mux, fb, Options{})
	w := &writeLog{ResponseRecorder: httptest.NewRecorder()}
	r := httptest.NewRequest(http.MethodPost, "/api/chat", strings.NewReader(`{"model":"m","messages":[{"role":"user","content":"hi"}]}`))
	r.Header.Set("Content-Type", "application/json")
	mux.ServeHTTP(w, r)
	if w.Code != http.StatusOK {
		t.Fatalf("status %d: %s", w.Code, w.Body)
	}
	if len(w.writes) != 2 || w.flushes != 2 {
		t.Fatalf("%d writes, %d flushes; want 2 and 2: %q", len(w.writes), w.flushes, w.writes)
	}
	if first := lines([]byte(w.writes[0])); len(first) != 1 || !strings.Contains(first[0], `"content":"a"`) {
		t.Fatalf("first write %q, want the first chunk alone", w.writes[0])
	}
	// b, c and the done line Ollama's format puts after the last content.
	if rest := lines([]byte(w.writes[1])); len(rest) != 3 || !strings.Contains(rest[0], `"content":"b"`) ||
		!strings.Contains(rest[1], `"content":"c"`) || !strings.Contains(rest[2], `"done":true`) {
		t.Fatalf("second write %q, want the queued chunks", w.writes[1])
	}
}
