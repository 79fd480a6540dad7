package route

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/roundhouse-ai/roundhouse/host/backend"
	"github.com/roundhouse-ai/roundhouse/host/config"
	"github.com/roundhouse-ai/roundhouse/types"
)

// script answers per target: the errors to return in turn (nil = ok).
type script struct {
	mu    sync.Mutex
	errs  map[string][]error
	calls []string
}

func (s *script) handler(ctx context.Context, c *Call, t Target) error {
	s.mu.Lock()
	s.calls = append(s.calls, t.String())
	q := s.errs[t.String()]
	var err error
	if len(q) > 0 {
		err = q[0]
		if len(q) > 1 {
			s.errs[t.String()] = q[1:]
		}
	}
	s.mu.Unlock()
	if err == nil {
		if c.Send != nil {
			return c.Send("chunk")
		}
		c.Resp = "answer from " + t.String()
	}
	return err
}

func fastRetry() config.Retry {
	return config.Retry{MaxAttempts: 2, Initial: time.Microsecond, Max: time.Microsecond, MaxElapsed: time.Second}
}

func TestDispatchFailsOverAndSaysWhoAnswered(t *testing.T) {
	d := New(config.Routing{Retry: fastRetry()}, Options{Log: quiet})
	s := &script{errs: map[string][]error{
		"ollama/m":   {types.Errorf(types.CodeEngineUnavailable, "engine down")},
		"openai:a/m": {types.Errorf(types.CodeUpstreamError, "500")},
	}}
	var served backend.Served
	ctx := backend.WithServedHook(types.WithRequestID(context.Background(), "rid-1"), func(s backend.Served) { served = s })
	c := &Call{Service: "chat", Model: "m"}
	if err := d.Dispatch(ctx, testSource(), c, s.handler); err != nil {
		t.Fatal(err)
	}
	// engine down: no retry, next; upstream 500: retried once, next.
	want := []string{"ollama/m", "openai:a/m", "openai:a/m", "openai:b/m"}
	if !slices.Equal(s.calls, want) {
		t.Errorf("calls %v, want %v", s.calls, want)
	}
	if served.Plugin != "openai" || served.Provider != "b" || served.Model != "m" || served.RequestID != "rid-1" || served.Attempts != 4 {
		t.Errorf("served %+v", served)
	}
}

func TestDispatchStopsOnClientError(t *testing.T) {
	d := New(config.Routing{Retry: fastRetry()}, Options{Log: quiet})
	s := &script{errs: map[string][]error{"ollama/m": {types.FieldError("messages", "bad")}}}
	err := d.Dispatch(context.Background(), testSource(), &Call{Service: "chat", Model: "m"}, s.handler)
	if types.ErrorCode(err) != types.CodeInvalidArgument || len(s.calls) != 1 {
		t.Errorf("err %v after calls %v: a bad request must not go to other targets", err, s.calls)
	}
}

func TestDispatchNeverRetriesAStartedStream(t *testing.T) {
	d := New(config.Routing{Retry: fastRetry()}, Options{Log: quiet})
	var sent int
	h := func(ctx context.Context, c *Call, t Target) error {
		_ = c.Send("first")
		return types.Errorf(types.CodeUpstreamError, "broke after the first chunk")
	}
	c := &Call{Service: "chat", Model: "m", Stream: true, Send: func(any) error { sent++; return nil }}
	err := d.Dispatch(context.Background(), testSource(), c, h)
	if types.ErrorCode(err) != types.CodeUpstreamError || sent != 1 || c.Attempts != 1 {
		t.Errorf("err %v, chunks %d, attempts %d: want the error after one attempt", err, sent, c.Attempts)
	}
}

func TestDispatchBreakerOpensAndSkipsTarget(t *testing.T) {
	clk := newFakeClock()
	d := New(config.Routing{Retry: config.Retry{MaxAttempts: 1}, Breaker: config.Breaker{Failures: 2, OpenFor: time.Minute}},
		Options{Log: quiet, Now: clk.Now})
	fail := types.Errorf(types.CodeUpstreamError, "500")
	s := &script{errs: map[string][]error{"ollama/m": {fail, fail, fail, nil}}}
	for range 3 {
		if err := d.Dispatch(context.Background(), testSource(), &Call{Service: "chat", Model: "m"}, s.handler); err != nil {
			t.Fatal(err)
		}
	}
	// Two failures open ollama's breaker: the third request skips it.
	want := []string{"ollama/m", "openai:a/m", "ollama/m", "openai:a/m", "openai:a/m"}
	if !slices.Equal(s.calls, want) {
		t.Errorf("calls %v, want %v", s.calls, want)
	}
	to, _ := ParseTarget("ollama/m")
	if st := d.Stats().Get(to).Breaker.State(); st != BreakerOpen {
		t.Errorf("breaker %s, want open", st)
	}
	r := d.Routes(nil)
	found := false
	for _, tv := range r.Targets {
		if tv.Target == "ollama/m" {
			found = tv.Breaker.State == string(BreakerOpen) && tv.Breaker.Failures == 2 && tv.Health == 0
		}
	}
	if !found {
		t.Errorf("GET /v1/routes view does not show ollama/m open with 2 failures: %+v", r.Targets)
	}
	// After open_for, a probe goes through and closes it.
	clk.Advance(time.Minute)
	s.calls = nil
	s.errs["ollama/m"] = []error{nil}
	if err := d.Dispatch(context.Background(), testSource(), &Call{Service: "chat", Model: "m"}, s.handler); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(s.calls, []string{"ollama/m"}) || d.Stats().Get(to).Breaker.State() != BreakerClosed {
		t.Errorf("after open_for: calls %v, breaker %s", s.calls, d.Stats().Get(to).Breaker.State())
	}
}

func TestCanaryRollback(t *testing.T) {
	clk := newFakeClock()
	rc := config.Routing{
		Retry:   config.Retry{MaxAttempts: 1},
		Breaker: config.Breaker{Failures: 1000},
		Groups: map[string]config.RouteGroup{"g": {
			Targets: []config.GroupTarget{{Target: "openai:a/m"}, {Target: "openai:b/m"}},
			Canary:  &config.Canary{Target: "openai:b/m", Percent: 50, Window: time.Minute, Margin: 0.3, MinRequests: 4},
		}},
	}
	// Rand alternates below and above 50%: every other request tries the
	// canary first.
	d := New(rc, Options{Log: quiet, Now: clk.Now, Rand: seq(0.1, 0.9)})
	fail := types.Errorf(types.CodeUpstreamError, "canary broken")
	s := &script{errs: map[string][]error{"openai:b/m": {fail}}}
	for range 8 {
		if err := d.Dispatch(context.Background(), testSource(), &Call{Service: "chat", Model: "g"}, s.handler); err != nil {
			t.Fatal(err) // the stable target answers after the canary failed
		}
	}
	r := d.Routes(nil)
	cv := r.Groups[0].Canary
	if cv == nil || !cv.RolledBack || cv.Weight != 0 || cv.Reason == "" {
		t.Fatalf("canary not rolled back: %+v", cv)
	}
	if w := r.Groups[0].Targets[1].Weight; w != 0 {
		t.Errorf("rolled-back canary shows weight %g, want 0", w)
	}
	// Once rolled back, no request goes to it.
	s.calls = nil
	for range 4 {
		_ = d.Dispatch(context.Background(), testSource(), &Call{Service: "chat", Model: "g"}, s.handler)
	}
	if slices.Contains(s.calls, "openai:b/m") {
		t.Errorf("calls after the rollback %v still reach the canary", s.calls)
	}
}

func TestCanaryHealthyStays(t *testing.T) {
	rc := config.Routing{Groups: map[string]config.RouteGroup{"g": {
		Targets: []config.GroupTarget{{Target: "openai:a/m"}, {Target: "openai:b/m"}},
		Canary:  &config.Canary{Target: "openai:b/m", Percent: 10, MinRequests: 1},
	}}}
	d := New(rc, Options{Log: quiet, Rand: seq(0.05, 0.5, 0.95, 0.2)})
	s := &script{errs: map[string][]error{}}
	for range 20 {
		_ = d.Dispatch(context.Background(), testSource(), &Call{Service: "chat", Model: "g"}, s.handler)
	}
	canary := 0
	for _, c := range s.calls {
		if c == "openai:b/m" {
			canary++
		}
	}
	if canary != 5 { // rand < 0.10 once in every four requests
		t.Errorf("canary served %d of 20 requests, want 5", canary)
	}
	if d.Routes(nil).Groups[0].Canary.RolledBack {
		t.Error("a healthy canary was rolled back")
	}
}

func TestRoundRobinSharesLoad(t *testing.T) {
	d := New(config.Routing{Strategy: StrategyRoundRobin}, Options{Log: quiet})
	s := &script{errs: map[string][]error{}}
	for range 6 {
		_ = d.Dispatch(context.Background(), testSource(), &Call{Service: "chat", Model: "m", Route: backend.Route{Policy: backend.PolicyRemote}}, s.handler)
	}
	n := map[string]int{}
	for _, c := range s.calls {
		n[c]++
	}
	if n["openai:a/m"] != 3 || n["openai:b/m"] != 3 {
		t.Errorf("round robin calls %v, want 3 each", n)
	}
}

func TestIdempotency(t *testing.T) {
	d := New(config.Routing{}, Options{Log: quiet})
	var calls atomic.Int32
	release := make(chan struct{})
	h := func(ctx context.Context, c *Call, t Target) error {
		calls.Add(1)
		<-release
		c.Resp = fmt.Sprintf("answer %d", calls.Load())
		return nil
	}
	req := map[string]string{"q": "same"}
	var wg sync.WaitGroup
	resps := make([]any, 4)
	for i := range resps {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := &Call{Service: "chat", Model: "m", Req: req, Route: backend.Route{IdempotencyKey: "k1"}}
			if err := d.Dispatch(context.Background(), testSource(), c, h); err != nil {
				t.Error(err)
			}
			resps[i] = c.Resp
		}()
	}
	// Let them all reach the key before the one call answers.
	for calls.Load() == 0 {
		time.Sleep(time.Millisecond)
	}
	close(release)
	wg.Wait()
	if calls.Load() != 1 {
		t.Errorf("%d calls for 4 identical requests with one key, want 1", calls.Load())
	}
	for _, r := range resps {
		if r != "answer 1" {
			t.Errorf("responses %v, want all the same", resps)
		}
	}
	// A repeat within the TTL gets the stored answer; another body with
	// the same key is refused.
	c := &Call{Service: "chat", Model: "m", Req: req, Route: backend.Route{IdempotencyKey: "k1"}}
	if err := d.Dispatch(context.Background(), testSource(), c, h); err != nil || c.Resp != "answer 1" || calls.Load() != 1 {
		t.Errorf("repeat: %v %v, %d calls", err, c.Resp, calls.Load())
	}
	c = &Call{Service: "chat", Model: "m", Req: map[string]string{"q": "other"}, Route: backend.Route{IdempotencyKey: "k1"}}
	var e *types.Error
	if err := d.Dispatch(context.Background(), testSource(), c, h); !errors.As(err, &e) || e.Field != "Idempotency-Key" {
		t.Errorf("key reused with another body: %v", err)
	}
}

func TestUseStepsRunPerAttempt(t *testing.T) {
	d := New(config.Routing{Retry: fastRetry()}, Options{Log: quiet})
	var seen []string
	d.Use(func(next Handler) Handler {
		return func(ctx context.Context, c *Call, t Target) error {
			seen = append(seen, t.String())
			return next(ctx, c, t)
		}
	})
	s := &script{errs: map[string][]error{"ollama/m": {types.Errorf(types.CodeEngineUnavailable, "down")}}}
	if err := d.Dispatch(context.Background(), testSource(), &Call{Service: "chat", Model: "m"}, s.handler); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(seen, []string{"ollama/m", "openai:a/m"}) {
		t.Errorf("extra step saw %v", seen)
	}
}
