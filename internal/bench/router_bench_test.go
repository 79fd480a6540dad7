package bench_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/roundhouse-ai/roundhouse/host/api"
	"github.com/roundhouse-ai/roundhouse/host/backend"
	"github.com/roundhouse-ai/roundhouse/host/config"
	"github.com/roundhouse-ai/roundhouse/host/httpx"
	"github.com/roundhouse-ai/roundhouse/host/route"
	"github.com/roundhouse-ai/roundhouse/internal/hosttest"
	"github.com/roundhouse-ai/roundhouse/sdk"
)

// What the benchmarks send: a small, typical native chat body.
const (
	chatJSON = `{"messages":[{"role":"system","content":"You are terse."},` +
		`{"role":"user","content":"What is the capital of France? Answer in one word."}],` +
		`"options":{"temperature":0.2,"max_tokens":64},"policy":"auto"}`
	// The echo plugin streams its answer word by word: 1 + 16 words.
	streamWords = "w1 w2 w3 w4 w5 w6 w7 w8 w9 w10 w11 w12 w13 w14 w15 w16"
)

var chatStreamJSON = `{"stream":true,"messages":[{"role":"user","content":"` + streamWords + `"}]}`

// nativeChatBody mirrors host/api's chatBody: the sdk request plus the
// routing fields every native body may carry.
type nativeChatBody struct {
	sdk.ChatRequest
	Stream bool           `json:"stream,omitempty"`
	Policy backend.Policy `json:"policy,omitempty"`
}

// body is a reusable request body (no allocation per iteration).
type body struct{ bytes.Reader }

func (*body) Close() error { return nil }

// sink is a reusable ResponseWriter that keeps only the status and size.
type sink struct {
	h      http.Header
	status int
	n      int
	buf    bytes.Buffer // only when keep
	keep   bool
}

func (s *sink) Header() http.Header { return s.h }
func (s *sink) WriteHeader(code int) {
	if s.status == 0 {
		s.status = code
	}
}
func (s *sink) Write(p []byte) (int, error) {
	if s.status == 0 {
		s.status = http.StatusOK
	}
	s.n += len(p)
	if s.keep {
		s.buf.Write(p)
	}
	return len(p), nil
}
func (s *sink) Flush() {}
func (s *sink) reset() {
	clear(s.h)
	s.status, s.n = 0, 0
	s.buf.Reset()
}

// BenchmarkDecodeNativeChat is the adapter's first step: httpx.DecodeJSON
// of a chat body into the native body type.
func BenchmarkDecodeNativeChat(b *testing.B) {
	b.ReportAllocs()
	raw := []byte(chatJSON)
	bd := &body{}
	r, _ := http.NewRequest(http.MethodPost, "/v1/services/chat", nil)
	w := &sink{h: http.Header{}}
	for b.Loop() {
		bd.Reset(raw)
		r.Body = bd
		var v nativeChatBody
		if err := httpx.DecodeJSON(w, r, httpx.DefaultMaxBody, &v); err != nil {
			b.Fatal(err)
		}
		if len(v.Messages) != 2 {
			b.Fatal("decoded wrong")
		}
	}
}

// BenchmarkDecodeNativeChatUnmarshal is an alternative to
// httpx.DecodeJSON for comparison only (the host does not do this): read
// the body into a pooled buffer, then json.Unmarshal. It shows how much of
// BenchmarkDecodeNativeChat is the json.Decoder and MaxBytesReader rather
// than the unavoidable strings and slices of the request.
func BenchmarkDecodeNativeChatUnmarshal(b *testing.B) {
	b.ReportAllocs()
	raw := []byte(chatJSON)
	bd := &body{}
	var buf bytes.Buffer
	for b.Loop() {
		bd.Reset(raw)
		buf.Reset()
		if _, err := buf.ReadFrom(io.LimitReader(bd, httpx.DefaultMaxBody+1)); err != nil {
			b.Fatal(err)
		}
		var v nativeChatBody
		if err := json.Unmarshal(buf.Bytes(), &v); err != nil {
			b.Fatal(err)
		}
		if len(v.Messages) != 2 {
			b.Fatal("decoded wrong")
		}
	}
}

func chatReq() *sdk.ChatRequest {
	return &sdk.ChatRequest{Messages: []sdk.Message{
		{Role: "system", Content: "You are terse."},
		{Role: "user", Content: "What is the capital of France? Answer in one word."}}}
}

func startHost(b *testing.B) *hosttest.Host {
	b.Helper()
	return hosttest.Start(b, hosttest.Options{})
}

// BenchmarkConnChat is the raw cost of one chat over gRPC to the plugin
// subprocess (no router): the floor the router and adapter add to.
func BenchmarkConnChat(b *testing.B) {
	h := startHost(b)
	ctx := context.Background()
	conn, err := h.Plugin("echo").Conn(ctx)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := cpuTime()
	defer reportCPU(b, cpu0)
	for b.Loop() {
		req := chatReq()
		req.Model = "echo-1"
		if _, err := conn.Chat(ctx, req); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRouterChat is Router.Chat with the service's default model:
// resolve (service, candidates, policy, default model), Conn, timeout,
// then the same gRPC call. Minus BenchmarkConnChat it is the router's
// decision.
func BenchmarkRouterChat(b *testing.B) {
	h := startHost(b)
	ctx := context.Background()
	r := h.Router()
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := cpuTime()
	defer reportCPU(b, cpu0)
	for b.Loop() {
		if _, err := r.Chat(ctx, backend.Route{}, chatReq()); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRouterChatNamedModel names the model: resolve then asks the
// model index whether the plugin has it. The echo plugin, like any local
// plugin without ListModels (or whose engine is down), cannot say, and
// the index does not cache failures: this shows what that costs.
func BenchmarkRouterChatNamedModel(b *testing.B) {
	h := startHost(b)
	ctx := context.Background()
	r := h.Router()
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := cpuTime()
	defer reportCPU(b, cpu0)
	for b.Loop() {
		req := chatReq()
		req.Model = "echo-1"
		if _, err := r.Chat(ctx, backend.Route{}, req); err != nil {
			b.Fatal(err)
		}
	}
}

func newHandler(b *testing.B, h *hosttest.Host) http.Handler {
	return api.New(h.Host, slog.New(slog.DiscardHandler))
}

// BenchmarkNativeHandlerChat is the whole native route in-process:
// ServeMux, decode, validate, route, resolve, gRPC to the plugin, encode
// the answer. Minus BenchmarkConnChat it is the router plus adapter.
func BenchmarkNativeHandlerChat(b *testing.B) {
	h := startHost(b)
	srv := newHandler(b, h)
	raw := []byte(chatJSON)
	bd := &body{}
	r, _ := http.NewRequest(http.MethodPost, "/v1/services/chat", nil)
	r.Header.Set("Content-Type", "application/json")
	r.RemoteAddr = "127.0.0.1:40000"
	w := &sink{h: http.Header{}}
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := cpuTime()
	defer reportCPU(b, cpu0)
	for b.Loop() {
		bd.Reset(raw)
		r.Body = bd
		w.reset()
		srv.ServeHTTP(w, r)
		if w.status != http.StatusOK {
			b.Fatalf("status %d", w.status)
		}
	}
}

// BenchmarkNativeHandlerChatStream streams 17 chunks (the echo plugin's
// words) through the whole native route as SSE; per-chunk host cost is
// ns/op ÷ 18 (17 content chunks and the final one).
func BenchmarkNativeHandlerChatStream(b *testing.B) {
	h := startHost(b)
	srv := newHandler(b, h)
	raw := []byte(chatStreamJSON)
	bd := &body{}
	r, _ := http.NewRequest(http.MethodPost, "/v1/services/chat", nil)
	r.Header.Set("Content-Type", "application/json")
	r.RemoteAddr = "127.0.0.1:40000"
	w := &sink{h: http.Header{}}
	// Check the shape once.
	w.keep = true
	bd.Reset(raw)
	r.Body = bd
	srv.ServeHTTP(w, r)
	if w.status != http.StatusOK || strings.Count(w.buf.String(), "data: ") != 18 {
		b.Fatalf("stream: status %d\n%s", w.status, w.buf.String())
	}
	w.keep = false
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := cpuTime()
	defer reportCPU(b, cpu0)
	for b.Loop() {
		bd.Reset(raw)
		r.Body = bd
		w.reset()
		srv.ServeHTTP(w, r)
		if w.status != http.StatusOK {
			b.Fatalf("status %d", w.status)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/18, "ns/chunk")
}

// cpuTime is this process's user+system CPU time so far. The plugin is
// a child process: its CPU is not included.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// reportCPU adds "cpu-ns/op": the benchmark process's CPU per operation,
// steadier than wall time when the round trip to the plugin sleeps and
// the machine is shared.
func reportCPU(b *testing.B, start time.Duration) {
	if b.N > 0 {
		b.ReportMetric(float64((cpuTime()-start).Nanoseconds())/float64(b.N), "cpu-ns/op")
	}
}

// cancelled is a context that is already done: gRPC then fails the call
// before it reaches the transport (newAttemptLocked checks the context
// first), so a call costs only the local work on the way.
func cancelled() context.Context {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	return ctx
}

// BenchmarkConnChatCancelled is Conn.Chat with a cancelled context: the
// sdk→proto conversion and gRPC's call setup, no I/O. The baseline of
// BenchmarkRouterChatCancelled.
func BenchmarkConnChatCancelled(b *testing.B) {
	h := startHost(b)
	conn, err := h.Plugin("echo").Conn(context.Background())
	if err != nil {
		b.Fatal(err)
	}
	ctx := cancelled()
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		req := chatReq()
		req.Model = "echo-1"
		if _, err := conn.Chat(ctx, req); sdk.ErrorCode(err) == sdk.CodeOK {
			b.Fatal("call did not fail")
		}
	}
}

// BenchmarkRouterResolve measures the router's decision alone: each
// iteration times Conn.Chat and Router.Chat, both with a cancelled context
// (no I/O), back to back, and reports the difference as resolve-ns/op —
// interleaving keeps a busy machine from biasing one side. resolve-allocs/op
// is the difference of their allocations (testing.AllocsPerRun).
func BenchmarkRouterResolve(b *testing.B) {
	h := startHost(b)
	r := h.Router()
	conn, err := h.Plugin("echo").Conn(context.Background())
	if err != nil {
		b.Fatal(err)
	}
	ctx := cancelled()
	viaConn := func() {
		req := chatReq()
		req.Model = "echo-1"
		if _, err := conn.Chat(ctx, req); sdk.ErrorCode(err) == sdk.CodeOK {
			b.Fatal("call did not fail")
		}
	}
	viaRouter := func() {
		if _, err := r.Chat(ctx, backend.Route{}, chatReq()); sdk.ErrorCode(err) == sdk.CodeOK {
			b.Fatal("call did not fail")
		}
	}
	var tConn, tRouter time.Duration
	b.ResetTimer()
	for b.Loop() {
		t0 := time.Now()
		viaConn()
		t1 := time.Now()
		viaRouter()
		tRouter += time.Since(t1)
		tConn += t1.Sub(t0)
	}
	b.StopTimer()
	b.ReportMetric(float64((tRouter-tConn).Nanoseconds())/float64(b.N), "resolve-ns/op")
	b.ReportMetric(testing.AllocsPerRun(2000, viaRouter)-testing.AllocsPerRun(2000, viaConn), "resolve-allocs/op")
}

// BenchmarkRouterChatCancelled is Router.Chat with a cancelled context:
// resolve, Conn, the service timeout, then the same failing call as
// BenchmarkConnChatCancelled. The difference between the two is the
// router's decision, without any I/O noise.
func BenchmarkRouterChatCancelled(b *testing.B) {
	h := startHost(b)
	r := h.Router()
	ctx := cancelled()
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, err := r.Chat(ctx, backend.Route{}, chatReq()); sdk.ErrorCode(err) == sdk.CodeOK {
			b.Fatal("call did not fail")
		}
	}
}

// decisionSource serves 100 targets of one model (provider instances of
// one remote plugin), as a host with many keys or clusters would.
type decisionSource struct{ targets []route.Target }

func (decisionSource) IsPlugin(name string) bool { return name == "openai" }

func (s decisionSource) Targets(_ context.Context, dst []route.Candidate, q route.Query) ([]route.Candidate, error) {
	for _, t := range s.targets {
		dst = append(dst, route.Candidate{Target: t, Weight: 1})
	}
	return dst, nil
}

// BenchmarkDispatchDecision is the dispatch chain's decision for one
// request over 100 targets: parse the routing wishes, resolve, order by
// the strategy (those reading per-target state included). Target: ≤ 5 µs
// and ≤ 20 allocations.
func BenchmarkDispatchDecision(b *testing.B) {
	var src decisionSource
	for i := range 100 {
		src.targets = append(src.targets, route.Target{Plugin: "openai", Provider: fmt.Sprintf("p%02d", i), Model: "m"})
	}
	for _, strategy := range []string{route.StrategyPriority, route.StrategyRoundRobin, route.StrategyLeastLatency, route.StrategyHealth} {
		b.Run(strategy, func(b *testing.B) {
			d := route.New(config.Routing{Strategy: strategy}, route.Options{Log: slog.New(slog.DiscardHandler)})
			for _, t := range src.targets {
				d.Stats().Get(t)
			}
			dst := make([]route.Candidate, 0, 128)
			ctx := context.Background()
			b.ReportAllocs()
			for b.Loop() {
				c := route.Call{Service: "chat", Model: "m"}
				if cands, err := d.Decide(ctx, src, &c, dst[:0]); err != nil || len(cands) != 100 {
					b.Fatal(err, len(cands))
				}
			}
		})
	}
}

// openaiChatJSON is chatJSON's conversation as an OpenAI-compatible body.
const openaiChatJSON = `{"model":"","messages":[{"role":"system","content":"You are terse."},` +
	`{"role":"user","content":"What is the capital of France? Answer in one word."}],` +
	`"temperature":0.2,"max_tokens":64}`

// BenchmarkOpenAIHandlerChat is the whole OpenAI-compatible unary route
// in-process, as BenchmarkNativeHandlerChat is for the native one.
func BenchmarkOpenAIHandlerChat(b *testing.B) { benchOpenAIHandler(b, startHost(b)) }

func benchOpenAIHandler(b *testing.B, h *hosttest.Host) {
	srv := newHandler(b, h)
	raw := []byte(openaiChatJSON)
	bd := &body{}
	r, _ := http.NewRequest(http.MethodPost, "/v1/chat/completions", nil)
	r.Header.Set("Content-Type", "application/json")
	r.RemoteAddr = "127.0.0.1:40000"
	w := &sink{h: http.Header{}, keep: true}
	bd.Reset(raw)
	r.Body = bd
	srv.ServeHTTP(w, r)
	if w.status != http.StatusOK || !strings.Contains(w.buf.String(), `"chat.completion"`) {
		b.Fatalf("status %d\n%s", w.status, w.buf.String())
	}
	w.keep = false
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := cpuTime()
	defer reportCPU(b, cpu0)
	for b.Loop() {
		bd.Reset(raw)
		r.Body = bd
		w.reset()
		srv.ServeHTTP(w, r)
		if w.status != http.StatusOK {
			b.Fatalf("status %d", w.status)
		}
	}
}

// BenchmarkOpenAIHandlerChatParallel is BenchmarkOpenAIHandlerChat with
// 32 requests in flight (16 goroutines per CPU on this 2-core machine),
// as benchall's c=32 point, in-process: the host side's CPU and
// allocation (GC) under concurrency.
func BenchmarkOpenAIHandlerChatParallel(b *testing.B) {
	h := startHost(b)
	srv := newHandler(b, h)
	raw := []byte(openaiChatJSON)
	b.ReportAllocs()
	b.SetParallelism(32 / max(1, runtime.GOMAXPROCS(0)))
	cpu0 := cpuTime()
	defer reportCPU(b, cpu0)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		bd := &body{}
		r, _ := http.NewRequest(http.MethodPost, "/v1/chat/completions", nil)
		r.Header.Set("Content-Type", "application/json")
		r.RemoteAddr = "127.0.0.1:40000"
		w := &sink{h: http.Header{}}
		for pb.Next() {
			bd.Reset(raw)
			r.Body = bd
			w.reset()
			srv.ServeHTTP(w, r)
			if w.status != http.StatusOK {
				b.Errorf("status %d", w.status)
				return
			}
		}
	})
}
