package load_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/roundhouse-ai/roundhouse/internal/bench/load"
	"github.com/roundhouse-ai/roundhouse/internal/bench/upstream"
)

func TestContentOf(t *testing.T) {
	tests := []struct {
		in   string
		want string
		ok   bool
	}{
		{`{"model":"m","role":"assistant","content":"c0 ","done":false}`, "c0 ", true},
		{`{"choices":[{"index":0,"delta":{"role":"assistant","content":"c12 "},"finish_reason":null}]}`, "c12 ", true},
		{`{"model":"tiny","message":{"role":"assistant","content":"a \"quoted\"\n\u00e9"},"done":false}`, "a \"quoted\"\n\u00e9", true},
		{`{"content":""}`, "", true},
		{`{"choices":[],"usage":{"prompt_tokens":1}}`, "", false},
		{`{"content":"unterminated`, "", false},
	}
	for _, tt := range tests {
		got, ok := load.ContentOf([]byte(tt.in))
		if got != tt.want || ok != tt.ok {
			t.Errorf("ContentOf(%s) = %q, %v; want %q, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

func startUpstream(t *testing.T) *httptest.Server {
	srv := httptest.NewServer(upstream.New(upstream.Options{APIKey: "sk-test"}))
	t.Cleanup(srv.Close)
	return srv
}

var auth = http.Header{"Authorization": {"Bearer sk-test"}}

func TestStreamAgainstUpstream(t *testing.T) {
	srv := startUpstream(t)
	c := load.NewClient(4)
	op := load.Stream(c, load.StreamSpec{
		Request:  load.Request{URL: srv.URL + "/v1/chat/completions", Header: auth, Body: []byte(`{"model":"bench","stream":true,"max_tokens":300,"messages":[{"role":"user","content":"hi"}]}`)},
		Numbered: true, WantChunks: 300,
	})
	s := op(context.Background(), 0)
	if s.Err != nil || s.OrderErr != nil {
		t.Fatalf("sample: %+v", s)
	}
	if s.Chunks != 300 || s.TTFC <= 0 || s.TTFC > s.Latency || s.Rate <= 0 {
		t.Fatalf("sample: %+v", s)
	}
	// The upstream honours the count, so a wrong expectation is caught.
	op = load.Stream(c, load.StreamSpec{
		Request:  load.Request{URL: srv.URL + "/v1/chat/completions", Header: auth, Body: []byte(`{"stream":true,"max_tokens":5,"messages":[]}`)},
		Numbered: true, WantChunks: 6,
	})
	if s := op(context.Background(), 0); s.OrderErr == nil || !strings.Contains(s.OrderErr.Error(), "ended after 5 chunks, want 6") {
		t.Fatalf("want a lost-tail error, got %+v", s)
	}
}

func TestUnaryAgainstUpstream(t *testing.T) {
	srv := startUpstream(t)
	c := load.NewClient(4)
	rq := load.Request{URL: srv.URL + "/v1/chat/completions", Header: auth, Body: []byte(`{"model":"bench","messages":[{"role":"user","content":"hi"}]}`)}
	if s := load.Unary(c, rq, []byte(upstream.Reply))(context.Background(), 0); s.Err != nil || s.Latency <= 0 {
		t.Fatalf("sample: %+v", s)
	}
	if s := load.Unary(c, rq, []byte("nope"))(context.Background(), 0); s.Err == nil {
		t.Fatal("missing marker not reported")
	}
	rq.Header = http.Header{"Authorization": {"Bearer wrong"}}
	if s := load.Unary(c, rq, nil)(context.Background(), 0); s.Err == nil || !strings.Contains(s.Err.Error(), "HTTP 401") {
		t.Fatalf("bad key: %+v", s)
	}
	resp, err := c.Get(srv.URL + "/v1/models")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 401 {
		t.Fatalf("models without key: %d", resp.StatusCode)
	}
}

// A server that swaps two chunks, drops one, and ends with an error event
// in other requests: the checker must notice each.
func TestStreamDetectsLossAndErrors(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		send := func(i int) { fmt.Fprintf(w, "data: {\"content\":%q,\"done\":false}\n\n", load.ChunkToken(i)) }
		switch r.URL.Path {
		case "/swap":
			send(0)
			send(2)
			send(1)
			send(3)
		case "/drop":
			send(0)
			send(1)
			send(3)
		case "/error":
			send(0)
			fmt.Fprint(w, "event: error\ndata: {\"error\":{\"message\":\"boom\"}}\n\n")
		case "/ndjson":
			for i := range 4 {
				fmt.Fprintf(w, "{\"message\":{\"content\":%q},\"done\":false}\n", load.ChunkToken(i))
			}
			fmt.Fprint(w, "{\"message\":{\"content\":\"\"},\"done\":true}\n")
		}
	}))
	defer srv.Close()
	c := load.NewClient(1)
	run := func(path string, nd bool) load.Sample {
		return load.Stream(c, load.StreamSpec{Request: load.Request{URL: srv.URL + path}, NDJSON: nd, Numbered: true, WantChunks: 4})(context.Background(), 0)
	}
	if s := run("/swap", false); s.OrderErr == nil {
		t.Errorf("swap not detected: %+v", s)
	}
	if s := run("/drop", false); s.OrderErr == nil || !strings.Contains(s.OrderErr.Error(), "lost chunk(s) 2..2") {
		t.Errorf("drop not detected: %+v", s)
	}
	if s := run("/error", false); s.Err == nil || !strings.Contains(s.Err.Error(), "boom") {
		t.Errorf("error event not detected: %+v", s)
	}
	if s := run("/ndjson", true); s.Err != nil || s.OrderErr != nil || s.Chunks != 4 {
		t.Errorf("ndjson: %+v", s)
	}
}

// Run records only what completes inside the window after the warm-up,
// and splits errors from successes.
func TestRunWindow(t *testing.T) {
	var calls atomic.Int64
	op := func(ctx context.Context, w int) load.Sample {
		n := calls.Add(1)
		time.Sleep(2 * time.Millisecond)
		if n%10 == 0 {
			return load.Sample{Err: fmt.Errorf("boom %d", n)}
		}
		if n%10 == 5 {
			return load.Sample{Latency: time.Millisecond, Chunks: 3, TTFC: time.Microsecond, OrderErr: fmt.Errorf("lost")}
		}
		return load.Sample{Latency: time.Millisecond, Chunks: 3, TTFC: time.Microsecond}
	}
	r := load.Run(context.Background(), load.Config{Concurrency: 4, Warmup: 100 * time.Millisecond, Duration: 300 * time.Millisecond}, op)
	total := int(calls.Load())
	if r.Requests == 0 || r.Requests+r.Errors >= total {
		t.Fatalf("recorded %d+%d of %d calls: warm-up not excluded", r.Requests, r.Errors, total)
	}
	if r.OrderErrors == 0 || r.Errors <= r.OrderErrors || r.FirstError == "" {
		t.Fatalf("errors not counted: %+v", r)
	}
	if r.Chunks != int64(3*r.Requests) || r.TTFC.N != r.Requests || r.Latency.P50 != time.Millisecond {
		t.Fatalf("result: %+v", r)
	}
	if want := float64(r.Requests) / 0.3; r.RPS < want*0.99 || r.RPS > want*1.01 {
		t.Fatalf("rps %v, want %v", r.RPS, want)
	}
}
