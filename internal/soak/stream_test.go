package soak

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/roundhouse-ai/roundhouse/internal/bench/load"
)

// The classifier is what makes the soak's verdict: each wire shape's
// normal end, error end, truncation, disorder and hang-up must be told
// apart. These servers imitate the host's three surfaces.

func openaiChunk(i int) string {
	return `data: {"object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":"` + load.ChunkToken(i) + `"},"finish_reason":null}]}` + "\n\n"
}

const openaiFinish = `data: {"object":"chat.completion.chunk","choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}` + "\n\n"

func nativeChunk(i int) string {
	return `data: {"model":"bench","content":"` + load.ChunkToken(i) + `","done":false}` + "\n\n"
}

func ollamaChunk(i int) string {
	return `{"model":"bench","message":{"role":"assistant","content":"` + load.ChunkToken(i) + `"},"done":false}` + "\n"
}

// fakeHost answers every path with body, flushing after each part.
func fakeHost(t *testing.T, status int, parts ...string) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(status)
		for _, p := range parts {
			if p == "<cut>" { // the connection breaks mid-stream
				panic(http.ErrAbortHandler)
			}
			if _, err := fmt.Fprint(w, p); err != nil {
				return
			}
			w.(http.Flusher).Flush()
			time.Sleep(time.Millisecond)
		}
	}))
	t.Cleanup(srv.Close)
	return srv
}

func seq(f func(int) string, from, to int) []string {
	var out []string
	for i := from; i < to; i++ {
		out = append(out, f(i))
	}
	return out
}

func cat(parts ...[]string) []string {
	var out []string
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

func TestClassify(t *testing.T) {
	const n = 5
	tests := []struct {
		name   string
		api    API
		status int
		parts  []string
		hangup int
		kind   Kind
		code   string
		chunks int
	}{
		{"openai complete", APIOpenAI, 200, cat(seq(openaiChunk, 0, n), []string{openaiFinish, "data: [DONE]\n\n"}), 0, Completed, "", n},
		{"openai tail lost, [DONE] sent", APIOpenAI, 200, cat(seq(openaiChunk, 0, 3), []string{openaiFinish, "data: [DONE]\n\n"}), 0, SilentLoss, "", 3},
		{"openai middle lost", APIOpenAI, 200, cat(seq(openaiChunk, 0, 2), seq(openaiChunk, 3, n), []string{"data: [DONE]\n\n"}), 0, SilentLoss, "", n},
		{"openai no [DONE]", APIOpenAI, 200, seq(openaiChunk, 0, n), 0, SilentLoss, "", n},
		{"openai duplicate", APIOpenAI, 200, cat(seq(openaiChunk, 0, 3), seq(openaiChunk, 2, n), []string{"data: [DONE]\n\n"}), 0, Disorder, "", n},
		{"openai error event", APIOpenAI, 200, cat(seq(openaiChunk, 0, 2),
			[]string{`data: {"error":{"message":"plugin openai exited during the call","type":"server_error","code":"plugin_crashed"}}` + "\n\n", "data: [DONE]\n\n"}), 0, Failed, "plugin_crashed", 2},
		{"openai 503", APIOpenAI, 503, []string{`{"error":{"message":"x","type":"server_error","code":"service_unavailable"}}`}, 0, Failed, "service_unavailable", 0},
		{"openai hang-up", APIOpenAI, 200, cat(seq(openaiChunk, 0, n), []string{"data: [DONE]\n\n"}), 3, Hangup, "", 3},
		{"openai connection cut", APIOpenAI, 200, cat(seq(openaiChunk, 0, 2), []string{"<cut>"}), 0, Transport, "", 2},
		{"native complete", APINative, 200, cat(seq(nativeChunk, 0, n), []string{`data: {"model":"bench","done":true,"finish_reason":"stop"}` + "\n\n"}), 0, Completed, "", n},
		{"native ended without done", APINative, 200, seq(nativeChunk, 0, n), 0, SilentLoss, "", n},
		{"native error event", APINative, 200, cat(seq(nativeChunk, 0, 1),
			[]string{"event: error\n" + `data: {"error":{"message":"m","code":"plugin_crashed","code_number":1002}}` + "\n\n"}), 0, Failed, "plugin_crashed", 1},
		{"ollama complete", APIOllama, 200, cat(seq(ollamaChunk, 0, n), []string{`{"model":"bench","message":{"role":"assistant","content":""},"done":true}` + "\n"}), 0, Completed, "", n},
		{"ollama error line", APIOllama, 200, cat(seq(ollamaChunk, 0, 2),
			[]string{`{"error":"plugin openai exited during the call; it is being restarted, retry shortly"}` + "\n"}), 0, Failed, "plugin_crashed", 2},
		{"ollama 503", APIOllama, 503, []string{`{"error":"plugin openai did not answer: x"}`}, 0, Failed, "service_unavailable", 0},
	}
	c := load.NewClient(2)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := fakeHost(t, tt.status, tt.parts...)
			ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
			defer cancel()
			o := newRequest(srv.URL, tt.api, n).do(ctx, c, tt.hangup)
			if o.Kind != tt.kind || o.Code != tt.code || o.Chunks != tt.chunks {
				t.Fatalf("got %s code %q chunks %d (%s); want %s code %q chunks %d", o.Kind, o.Code, o.Chunks, o.Detail, tt.kind, tt.code, tt.chunks)
			}
		})
	}
}

// A stream that never ends is a Transport outcome once the request's
// deadline passes, not a hang of the soak.
func TestClassifyStall(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, openaiChunk(0))
		w.(http.Flusher).Flush()
		<-r.Context().Done()
	}))
	defer srv.Close()
	ctx, cancel := context.WithTimeout(t.Context(), 300*time.Millisecond)
	defer cancel()
	o := newRequest(srv.URL, APIOpenAI, 5).do(ctx, load.NewClient(1), 0)
	if o.Kind != Transport || !strings.Contains(o.Detail, "stalled") {
		t.Fatalf("got %s (%s), want a stalled transport outcome", o.Kind, o.Detail)
	}
}

func TestErrorCode(t *testing.T) {
	for in, want := range map[string]string{
		`{"error":{"code":"plugin_crashed","message":"m"}}`:                              "plugin_crashed",
		`{"error":{"message":"plugin x exited during the call; it is being restarted"}}`: "plugin_crashed",
		`{"error":"no running plugin offers chat; check GET /v1/plugins"}`:               "service_unavailable",
		`{"error":"something else"}`:                                                     "unknown",
		`not json`:                                                                       "unparsed",
	} {
		if got := errorCode([]byte(in)); got != want {
			t.Errorf("errorCode(%s) = %q, want %q", in, got, want)
		}
	}
}

// The paced upstream streams the bench upstream's numbered chunks, each
// after the delay, and the classifier reads them as complete.
func TestPacedUpstream(t *testing.T) {
	up, err := startUpstream(5 * time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	defer up.Close()
	rq := request{api: APIOpenAI, url: up.URL + "/chat/completions", want: 10,
		hdr:  http.Header{"Authorization": {"Bearer " + apiKey}},
		body: []byte(`{"model":"bench","stream":true,"max_tokens":10,"messages":[]}`)}
	t0 := time.Now()
	o := rq.do(t.Context(), load.NewClient(1), 0)
	if o.Kind != Completed || o.Chunks != 10 {
		t.Fatalf("got %s chunks %d (%s)", o.Kind, o.Chunks, o.Detail)
	}
	if d := time.Since(t0); d < 50*time.Millisecond {
		t.Fatalf("stream took %v: not paced", d)
	}
}

func TestGrownStacks(t *testing.T) {
	before := map[string]int{"a": 1, "b": 2}
	after := map[string]int{"a": 1, "b": 5, "c": 1}
	got := grownStacks(before, after, 8)
	if len(got) != 2 || !strings.HasPrefix(got[0], "+3 (now 5):\nb") || !strings.HasPrefix(got[1], "+1 (now 1):\nc") {
		t.Fatalf("grownStacks = %q", got)
	}
}

func TestGrownStacksIgnoresTheProfileRequest(t *testing.T) {
	after := map[string]int{"\tnet/http/pprof.Index+0x1 pprof.go:1": 1, "\tnet/http.(*connReader).backgroundRead+0x1 server.go:1": 1}
	if got := grownStacks(nil, after, 8); len(got) != 0 {
		t.Fatalf("grownStacks = %q", got)
	}
}
