package main

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/roundhouse-ai/roundhouse/sdk"
	"github.com/roundhouse-ai/roundhouse/sdk/wire/openaiwire"
)

// clock is a settable time source.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)} }

func (c *clock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// testKey makes a key value long enough to be masked to its last 4.
func testKey(i int) string { return fmt.Sprintf("sk-test-%016d%04d", i, i) }

func newTestPool(t *testing.T, strategy string, c *clock, keys ...sdk.APIKey) *keyPool {
	t.Helper()
	states := make([]*keyState, len(keys))
	for i, k := range keys {
		states[i] = newKeyState(k)
		states[i].apply(k, i, false)
	}
	return newKeyPool("main", strategy, states, c.now)
}

func keys(n int) []sdk.APIKey {
	out := make([]sdk.APIKey, n)
	for i := range out {
		out[i] = sdk.APIKey{Value: testKey(i)}
	}
	return out
}

// take acquires and immediately releases, returning the key index.
func take(t *testing.T, p *keyPool) int {
	t.Helper()
	l, err := p.acquire("", nil)
	if err != nil {
		t.Fatalf("acquire: %v", err)
	}
	l.release()
	return l.key.index
}

func TestRoundRobin(t *testing.T) {
	p := newTestPool(t, strategyRoundRobin, newClock(), keys(3)...)
	var got []int
	for i := 0; i < 7; i++ {
		got = append(got, take(t, p))
	}
	if fmt.Sprint(got) != "[0 1 2 0 1 2 0]" {
		t.Fatalf("order %v", got)
	}
}

func TestPriority(t *testing.T) {
	c := newClock()
	ks := keys(3)
	ks[0].Priority, ks[1].Priority, ks[2].Priority = 5, 1, 1
	p := newTestPool(t, strategyPriority, c, ks...)
	for i := 0; i < 5; i++ {
		if k := take(t, p); k != 1 {
			t.Fatalf("want key 1 (lowest priority value, first configured), got %d", k)
		}
	}
	// When the preferred key rests, the next one in priority order serves.
	l, _ := p.acquire("", nil)
	l.failed(&sdk.Error{Code: sdk.CodeUpstreamRateLimited, RetryAfter: time.Minute})
	l.release()
	if k := take(t, p); k != 2 {
		t.Fatalf("want key 2 while key 1 cools down, got %d", k)
	}
	c.advance(time.Minute)
	if k := take(t, p); k != 1 {
		t.Fatalf("want key 1 back after its cooldown, got %d", k)
	}
}

func TestWeightedRandom(t *testing.T) {
	ks := keys(3)
	ks[0].Weight, ks[1].Weight, ks[2].Weight = 1, 3, 0 // 0 counts as 1
	p := newTestPool(t, strategyWeightedRandom, newClock(), ks...)
	counts := make([]int, 3)
	const n = 20000
	for i := 0; i < n; i++ {
		counts[take(t, p)]++
	}
	want := []float64{0.2, 0.6, 0.2}
	for i, c := range counts {
		if got := float64(c) / n; math.Abs(got-want[i]) > 0.03 {
			t.Fatalf("key %d picked %.3f of the time, want ~%.2f (counts %v)", i, got, want[i], counts)
		}
	}
}

func TestLeastUsed(t *testing.T) {
	p := newTestPool(t, strategyLeastUsed, newClock(), keys(3)...)
	// Hold two leases: the third key is least used.
	l1, _ := p.acquire("", nil)
	l2, _ := p.acquire("", nil)
	if l1.key == l2.key {
		t.Fatal("least_used picked a key with a request in flight over an idle one")
	}
	l3, _ := p.acquire("", nil)
	if l3.key == l1.key || l3.key == l2.key {
		t.Fatal("least_used did not pick the idle key")
	}
	l1.release()
	l2.release()
	l3.release()
	// All idle with one request each in the last minute: next is the one
	// with fewest recent requests, all equal → configured order.
	if k := take(t, p); k != 0 {
		t.Fatalf("tie should go to the first key, got %d", k)
	}
	if k := take(t, p); k == 0 {
		t.Fatal("key 0 now has more recent requests and must not be picked")
	}
}

func TestRPMLimitSlidingWindow(t *testing.T) {
	c := newClock()
	p := newTestPool(t, strategyRoundRobin, c, sdk.APIKey{Value: testKey(0), RPM: 3})
	for i := 0; i < 3; i++ {
		take(t, p)
		c.advance(10 * time.Second)
	}
	// 3 requests at t=0,10,20 s; at t=30 s the fourth must wait until t=60 s.
	_, err := p.acquire("", nil)
	var e *sdk.Error
	if !errors.As(err, &e) || e.Code != sdk.CodeUpstreamRateLimited || !e.Retryable {
		t.Fatalf("err = %v, want retryable CodeUpstreamRateLimited", err)
	}
	if e.RetryAfter != 30*time.Second {
		t.Fatalf("RetryAfter = %v, want 30s", e.RetryAfter)
	}
	st := p.keys[0].status(c.now())
	if st.State != stateRateLimited || st.CurrentRPM != 3 {
		t.Fatalf("status %+v", st)
	}
	c.advance(30 * time.Second) // t=60: the t=0 request left the window
	take(t, p)
	if _, err := p.acquire("", nil); err == nil {
		t.Fatal("the window must be full again (requests at 10, 20, 60)")
	}
	c.advance(10 * time.Second)
	take(t, p)
}

func TestRPDLimitAndRotation(t *testing.T) {
	c := newClock()
	p := newTestPool(t, strategyPriority, c, sdk.APIKey{Value: testKey(0), RPD: 2}, sdk.APIKey{Value: testKey(1), Priority: 1})
	if take(t, p) != 0 || take(t, p) != 0 {
		t.Fatal("key 0 first")
	}
	if k := take(t, p); k != 1 {
		t.Fatalf("key 0 spent its daily budget, want key 1, got %d", k)
	}
	st := p.keys[0].status(c.now())
	if st.State != stateRateLimited || st.Reason == "" {
		t.Fatalf("status %+v", st)
	}
}

func TestRateLimitCooldownAndBackoff(t *testing.T) {
	c := newClock()
	p := newTestPool(t, strategyRoundRobin, c, keys(1)...)
	// Without Retry-After: 1 s, 2 s, 4 s... after consecutive 429s.
	for i, want := range []time.Duration{time.Second, 2 * time.Second, 4 * time.Second} {
		l, err := p.acquire("", nil)
		if err != nil {
			t.Fatalf("round %d: %v", i, err)
		}
		l.failed(&sdk.Error{Code: sdk.CodeUpstreamRateLimited, Message: "429"})
		l.release()
		_, err = p.acquire("", nil)
		var e *sdk.Error
		if !errors.As(err, &e) || e.Code != sdk.CodeUpstreamRateLimited || e.RetryAfter != want {
			t.Fatalf("round %d: err %v (retry after %v), want rate limited for %v", i, err, e.RetryAfter, want)
		}
		if st := p.keys[0].status(c.now()); st.State != stateCooling || st.CooldownUntil != c.now().Add(want).Unix() {
			t.Fatalf("round %d: status %+v", i, st)
		}
		c.advance(want)
	}
	// A success resets the backoff.
	l, _ := p.acquire("", nil)
	l.succeeded()
	l.release()
	l, _ = p.acquire("", nil)
	l.failed(&sdk.Error{Code: sdk.CodeUpstreamRateLimited})
	l.release()
	if _, err := p.acquire("", nil); sdk.AsError(err).RetryAfter != time.Second {
		t.Fatalf("backoff not reset: %v", err)
	}
}

// refuse fails one request on the pool's next key with a 401 (model "")
// or a 403 for model.
func refuse(t *testing.T, p *keyPool, model string) *lease {
	t.Helper()
	l, err := p.acquire(model, nil)
	if err != nil {
		t.Fatalf("acquire: %v", err)
	}
	refuseLease(l)
	return l
}

func refuseLease(l *lease) {
	e := &sdk.Error{Code: sdk.CodeUpstreamAuth, Message: "provider \"main\" (HTTP 401): Incorrect API key provided: sk-…0001",
		Err: &openaiwire.KeyRefused{State: stateUnauthorized}}
	if l.model != "" {
		e = &sdk.Error{Code: sdk.CodeUpstreamAuth, Err: &openaiwire.KeyRefused{State: stateForbidden, Model: l.model},
			Message: "provider \"main\" (HTTP 403): Project `proj_x` does not have access to model `" + l.model + "`"}
	}
	l.failed(e)
	l.release()
}

// A refused key rests 30 s, then one request probes it: a success brings
// it back, another refusal rests it twice as long, up to 30 min.
func TestRefusedKeyRestsThenRecovers(t *testing.T) {
	c := newClock()
	p := newTestPool(t, strategyRoundRobin, c, keys(2)...)
	p.refusal.jitter = 0 // exact rests; the jitter has its own test
	refuse(t, p, "")
	refuse(t, p, "")
	_, err := p.acquire("", nil)
	e := sdk.AsError(err)
	if e.Code != sdk.CodeNoUsableKey || e.RetryAfter != 30*time.Second {
		t.Fatalf("err %+v, want CodeNoUsableKey retrying after 30s", e)
	}
	for _, k := range p.keys {
		if strings.Contains(e.Message, k.value) {
			t.Fatalf("error leaks a key: %q", e.Message)
		}
		if !strings.Contains(e.Message, k.masked+" is unauthorized: tried again in 30s") {
			t.Fatalf("error should say each key's state and next try: %q", e.Message)
		}
		st := k.status(c.now())
		if st.State != stateUnauthorized || st.Failures != 1 || !strings.Contains(st.Reason, "HTTP 401") ||
			st.CooldownUntil != c.now().Add(30*time.Second).Unix() {
			t.Fatalf("status %+v", st)
		}
	}
	if !strings.Contains(e.Message, "POST /v1/providers") || !strings.Contains(e.Message, "the next in 30s") {
		t.Fatalf("error should say what to do and when: %q", e.Message)
	}

	// The rest is over: each key may serve one probe, no more.
	c.advance(30 * time.Second)
	if st := p.keys[0].status(c.now()); st.State != stateUnauthorized || st.CooldownUntil != 0 ||
		!strings.Contains(st.Reason, "the next request tests it") {
		t.Fatalf("half-open status %+v", st)
	}
	l0, err := p.acquire("", nil)
	if err != nil {
		t.Fatal(err)
	}
	l1, err := p.acquire("", nil)
	if err != nil || l1.key == l0.key {
		t.Fatalf("second probe: %v", err)
	}
	_, err = p.acquire("", nil)
	if e := sdk.AsError(err); e == nil || e.Code != sdk.CodeNoUsableKey || !strings.Contains(e.Message, "a request is testing it now") {
		t.Fatalf("a third request while both keys are probed: %v", err)
	}
	// Key 0 is refused again: twice the rest. Key 1 is accepted: ok.
	refuseLease(l0)
	l1.succeeded()
	l1.release()
	if st := l1.key.status(c.now()); st.State != stateOK || st.Reason != "" || st.CooldownUntil != 0 {
		t.Fatalf("accepted key %+v", st)
	}
	if st := l0.key.status(c.now()); st.State != stateUnauthorized || st.CooldownUntil != c.now().Add(time.Minute).Unix() {
		t.Fatalf("refused twice: %+v", st)
	}
	for i := 0; i < 3; i++ {
		if k := take(t, p); k != l1.key.index {
			t.Fatalf("request %d went to the resting key", i)
		}
	}
	// The rest doubles up to the cap: 2, 4, 8, 16, then 30 min.
	for _, want := range []time.Duration{2 * time.Minute, 4 * time.Minute, 8 * time.Minute, 16 * time.Minute, 30 * time.Minute, 30 * time.Minute} {
		c.advance(time.Unix(l0.key.status(c.now()).CooldownUntil, 0).Sub(c.now()))
		var l *lease
		for l == nil || l.key != l0.key {
			if l != nil {
				l.release()
			}
			var err error
			if l, err = p.acquire("", nil); err != nil {
				t.Fatal(err)
			}
		}
		refuseLease(l)
		if got := time.Unix(l0.key.status(c.now()).CooldownUntil, 0).Sub(c.now()); got != want {
			t.Fatalf("rest %v, want %v", got, want)
		}
	}
	// A reconfiguration that changes the key's endpoint revives it at once.
	l0.key.apply(sdk.APIKey{Value: l0.key.value}, 0, true)
	if st := l0.key.status(c.now()); st.State != stateOK {
		t.Fatalf("revived key %+v", st)
	}
}

// Once its rest is over, a refused key serves one request at a time:
// concurrent callers do not all pile onto a key that is probably still
// bad. A probe without a verdict (a 5xx) lets the next request probe.
func TestProbeLetsOneRequestThrough(t *testing.T) {
	c := newClock()
	p := newTestPool(t, strategyRoundRobin, c, keys(1)...)
	refuse(t, p, "")
	c.advance(defaultRefusal.max)
	var (
		wg     sync.WaitGroup
		mu     sync.Mutex
		leases []*lease
	)
	for i := 0; i < 20; i++ {
		wg.Go(func() {
			if l, err := p.acquire("", nil); err == nil {
				mu.Lock()
				leases = append(leases, l)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if len(leases) != 1 {
		t.Fatalf("%d requests got the half-open key, want 1", len(leases))
	}
	leases[0].failed(&sdk.Error{Code: sdk.CodeUpstreamError, Message: "HTTP 500"})
	leases[0].release()
	l, err := p.acquire("", nil)
	if err != nil {
		t.Fatalf("a probe that ended in a 5xx must let the next request probe: %v", err)
	}
	if _, err := p.acquire("", nil); err == nil {
		t.Fatal("two probes at once")
	}
	l.succeeded()
	l.release()
	for i := 0; i < 3; i++ {
		take(t, p)
	}
}

// Requests already in flight when a key is refused come back refused
// too; they must not stack up strikes (the rest stays 30 s), and a
// success among them (sent before the refusal) does not clear it.
func TestInFlightAnswersDoNotDecideRefusal(t *testing.T) {
	c := newClock()
	p := newTestPool(t, strategyRoundRobin, c, keys(1)...)
	p.refusal.jitter = 0
	var ls []*lease
	for i := 0; i < 4; i++ {
		l, err := p.acquire("", nil)
		if err != nil {
			t.Fatal(err)
		}
		ls = append(ls, l)
	}
	refuseLease(ls[0])
	refuseLease(ls[1])
	refuseLease(ls[2])
	ls[3].succeeded()
	ls[3].release()
	st := p.keys[0].status(c.now())
	if st.State != stateUnauthorized || st.CooldownUntil != c.now().Add(30*time.Second).Unix() {
		t.Fatalf("status %+v, want unauthorized for 30s", st)
	}
}

// The rests are jittered (+-20%), so keys refused together are not probed
// together.
func TestRefusalRestsAreJittered(t *testing.T) {
	c := newClock()
	p := newTestPool(t, strategyRoundRobin, c, keys(40)...)
	seen := map[int64]bool{}
	for range p.keys {
		refuse(t, p, "")
	}
	for _, k := range p.keys {
		d := time.Unix(k.status(c.now()).CooldownUntil, 0).Sub(c.now())
		if d < 24*time.Second || d > 37*time.Second {
			t.Fatalf("first rest %v, want 30s +- 20%%", d)
		}
		seen[int64(d/time.Second)] = true
	}
	if len(seen) < 3 {
		t.Fatalf("40 rests took only %d distinct values: no jitter", len(seen))
	}
}

// A 403 about one model rests the key for that model only.
func TestForbiddenForOneModelOnly(t *testing.T) {
	c := newClock()
	p := newTestPool(t, strategyRoundRobin, c, keys(2)...)
	p.refusal.jitter = 0
	l := refuse(t, p, "model-a")
	bad := l.key
	for i := 0; i < 4; i++ {
		l, err := p.acquire("model-a", nil)
		if err != nil || l.key == bad {
			t.Fatalf("model-a went to the key forbidden for it (err %v)", err)
		}
		l.release()
	}
	used := map[*keyState]bool{}
	for i := 0; i < 4; i++ {
		l, err := p.acquire("model-b", nil)
		if err != nil {
			t.Fatal(err)
		}
		used[l.key] = true
		l.release()
	}
	if !used[bad] {
		t.Fatal("model-b must still use the key forbidden for model-a")
	}
	st := bad.status(c.now())
	if st.State != stateOK || !strings.Contains(st.Reason, "forbidden for model model-a: tried again in 30s") || st.CooldownUntil != 0 {
		t.Fatalf("status %+v", st)
	}
	// The other key is forbidden for model-a too: no key for model-a, and
	// the error says so; model-b is unaffected.
	var other *lease
	for other == nil || other.key == bad {
		var err error
		if other, err = p.acquire("model-a", nil); err != nil {
			t.Fatal(err)
		}
		if other.key == bad {
			t.Fatal("forbidden key served model-a")
		}
	}
	refuseLease(other)
	_, err := p.acquire("model-a", nil)
	e := sdk.AsError(err)
	if e == nil || e.Code != sdk.CodeNoUsableKey || !strings.Contains(e.Message, `for model "model-a"`) ||
		!strings.Contains(e.Message, "is forbidden: for model model-a") || e.RetryAfter != 30*time.Second {
		t.Fatalf("err %+v", e)
	}
	take(t, p)
	// After the rest one request probes the key for model-a; its success
	// gives the model back.
	c.advance(30 * time.Second)
	l, err = p.acquire("model-a", nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.acquire("model-a", nil); err != nil {
		t.Fatalf("the other key may probe model-a as well: %v", err)
	}
	l.succeeded()
	l.release()
	if st := l.key.status(c.now()); st.State != stateOK || st.Reason != "" {
		t.Fatalf("status %+v", st)
	}
}

func TestQuotaAndMixedUnusable(t *testing.T) {
	c := newClock()
	p := newTestPool(t, strategyRoundRobin, c, keys(3)...)
	fail := func(code sdk.Code, after time.Duration) {
		l, err := p.acquire("", nil)
		if err != nil {
			t.Fatal(err)
		}
		l.failed(&sdk.Error{Code: code, RetryAfter: after, Message: code.String()})
		l.release()
	}
	fail(sdk.CodeUpstreamQuota, 0)
	fail(sdk.CodeUpstreamAuth, 0)
	fail(sdk.CodeUpstreamQuota, 0)
	e := sdk.AsError(func() error { _, err := p.acquire("", nil); return err }())
	if e.Code != sdk.CodeUpstreamQuota || e.RetryAfter != quotaCooldown {
		t.Fatalf("two out of quota, one dead: %+v", e)
	}
	c.advance(quotaCooldown)
	if _, err := p.acquire("", nil); err != nil {
		t.Fatalf("quota rest is over: %v", err)
	}
}

func TestRateLimitedBeatsQuotaInError(t *testing.T) {
	c := newClock()
	p := newTestPool(t, strategyRoundRobin, c, keys(2)...)
	l, _ := p.acquire("", nil)
	l.failed(&sdk.Error{Code: sdk.CodeUpstreamQuota})
	l.release()
	l, _ = p.acquire("", nil)
	l.failed(&sdk.Error{Code: sdk.CodeUpstreamRateLimited, RetryAfter: 3 * time.Second})
	l.release()
	e := sdk.AsError(func() error { _, err := p.acquire("", nil); return err }())
	if e.Code != sdk.CodeUpstreamRateLimited || !e.Retryable || e.RetryAfter != 3*time.Second {
		t.Fatalf("%+v", e)
	}
}

func TestClientErrorsDoNotHurtKeys(t *testing.T) {
	c := newClock()
	p := newTestPool(t, strategyRoundRobin, c, keys(1)...)
	for _, code := range []sdk.Code{sdk.CodeInvalidArgument, sdk.CodeModelNotFound, sdk.CodeContextTooLong, sdk.CodeCanceled} {
		l, err := p.acquire("", nil)
		if err != nil {
			t.Fatal(err)
		}
		l.failed(&sdk.Error{Code: code})
		l.release()
	}
	st := p.keys[0].status(c.now())
	if st.State != stateOK || st.Failures != 0 || st.Requests != 4 {
		t.Fatalf("status %+v", st)
	}
}

func TestSkipAndErrKeysTried(t *testing.T) {
	p := newTestPool(t, strategyRoundRobin, newClock(), keys(2)...)
	skip := map[string]bool{p.keys[0].value: true, p.keys[1].value: true}
	if _, err := p.acquire("", skip); !errors.Is(err, openaiwire.ErrKeysTried) {
		t.Fatalf("err = %v, want errKeysTried", err)
	}
}

func TestConcurrentReserveRespectsRPM(t *testing.T) {
	c := newClock()
	p := newTestPool(t, strategyRoundRobin, c, sdk.APIKey{Value: testKey(0), RPM: 50}, sdk.APIKey{Value: testKey(1), RPM: 50})
	var wg sync.WaitGroup
	var mu sync.Mutex
	ok := 0
	for i := 0; i < 400; i++ {
		wg.Go(func() {
			if l, err := p.acquire("", nil); err == nil {
				mu.Lock()
				ok++
				mu.Unlock()
				l.release()
			}
		})
	}
	wg.Wait()
	if ok != 100 {
		t.Fatalf("%d requests got a key, want exactly 100 (2 keys x 50 rpm)", ok)
	}
}

func TestWindowResizeKeepsRecent(t *testing.T) {
	c := newClock()
	w := newWindow(time.Minute, 5)
	for i := 0; i < 5; i++ {
		w.add(c.now())
		c.advance(time.Second)
	}
	if w.blockedUntil(c.now()).IsZero() {
		t.Fatal("5 of 5 used")
	}
	w.setLimit(10)
	if !w.blockedUntil(c.now()).IsZero() {
		t.Fatal("raised limit must allow more")
	}
	w.setLimit(2)
	if got := w.blockedUntil(c.now()); !got.Equal(time.Date(2026, 3, 1, 12, 1, 3, 0, time.UTC)) {
		t.Fatalf("lowered limit keeps the 2 newest (t=3s,4s): blocked until %v", got)
	}
	w.setLimit(0)
	if !w.blockedUntil(c.now()).IsZero() {
		t.Fatal("no limit")
	}
}
