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
	l, err := p.acquire(nil)
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
	l, _ := p.acquire(nil)
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
	l1, _ := p.acquire(nil)
	l2, _ := p.acquire(nil)
	if l1.key == l2.key {
		t.Fatal("least_used picked a key with a request in flight over an idle one")
	}
	l3, _ := p.acquire(nil)
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
	_, err := p.acquire(nil)
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
	if _, err := p.acquire(nil); err == nil {
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
		l, err := p.acquire(nil)
		if err != nil {
			t.Fatalf("round %d: %v", i, err)
		}
		l.failed(&sdk.Error{Code: sdk.CodeUpstreamRateLimited, Message: "429"})
		l.release()
		_, err = p.acquire(nil)
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
	l, _ := p.acquire(nil)
	l.succeeded()
	l.release()
	l, _ = p.acquire(nil)
	l.failed(&sdk.Error{Code: sdk.CodeUpstreamRateLimited})
	l.release()
	if _, err := p.acquire(nil); sdk.AsError(err).RetryAfter != time.Second {
		t.Fatalf("backoff not reset: %v", err)
	}
}

func TestDeadKeysAndNoUsableKey(t *testing.T) {
	c := newClock()
	p := newTestPool(t, strategyRoundRobin, c, keys(2)...)
	for i := 0; i < 2; i++ {
		l, err := p.acquire(nil)
		if err != nil {
			t.Fatal(err)
		}
		l.failed(&sdk.Error{Code: sdk.CodeUpstreamAuth, Message: "provider \"main\" (HTTP 401): Incorrect API key provided: sk-…0001"})
		l.release()
	}
	_, err := p.acquire(nil)
	e := sdk.AsError(err)
	if e.Code != sdk.CodeNoUsableKey || e.Retryable {
		t.Fatalf("err %+v, want CodeNoUsableKey", e)
	}
	for _, k := range p.keys {
		if st := k.status(c.now()); st.State != stateDead || st.Failures != 1 || st.Reason == "" {
			t.Fatalf("status %+v", st)
		}
		if strings.Contains(e.Message, k.value) {
			t.Fatalf("error leaks a key: %q", e.Message)
		}
		if !strings.Contains(e.Message, k.masked) {
			t.Fatalf("error should name the masked keys: %q", e.Message)
		}
	}
	c.advance(24 * time.Hour)
	if _, err := p.acquire(nil); sdk.ErrorCode(err) != sdk.CodeNoUsableKey {
		t.Fatal("dead keys must stay dead")
	}
}

func TestQuotaAndMixedUnusable(t *testing.T) {
	c := newClock()
	p := newTestPool(t, strategyRoundRobin, c, keys(3)...)
	fail := func(code sdk.Code, after time.Duration) {
		l, err := p.acquire(nil)
		if err != nil {
			t.Fatal(err)
		}
		l.failed(&sdk.Error{Code: code, RetryAfter: after, Message: code.String()})
		l.release()
	}
	fail(sdk.CodeUpstreamQuota, 0)
	fail(sdk.CodeUpstreamAuth, 0)
	fail(sdk.CodeUpstreamQuota, 0)
	e := sdk.AsError(func() error { _, err := p.acquire(nil); return err }())
	if e.Code != sdk.CodeUpstreamQuota || e.RetryAfter != quotaCooldown {
		t.Fatalf("two out of quota, one dead: %+v", e)
	}
	c.advance(quotaCooldown)
	if _, err := p.acquire(nil); err != nil {
		t.Fatalf("quota rest is over: %v", err)
	}
}

func TestRateLimitedBeatsQuotaInError(t *testing.T) {
	c := newClock()
	p := newTestPool(t, strategyRoundRobin, c, keys(2)...)
	l, _ := p.acquire(nil)
	l.failed(&sdk.Error{Code: sdk.CodeUpstreamQuota})
	l.release()
	l, _ = p.acquire(nil)
	l.failed(&sdk.Error{Code: sdk.CodeUpstreamRateLimited, RetryAfter: 3 * time.Second})
	l.release()
	e := sdk.AsError(func() error { _, err := p.acquire(nil); return err }())
	if e.Code != sdk.CodeUpstreamRateLimited || !e.Retryable || e.RetryAfter != 3*time.Second {
		t.Fatalf("%+v", e)
	}
}

func TestClientErrorsDoNotHurtKeys(t *testing.T) {
	c := newClock()
	p := newTestPool(t, strategyRoundRobin, c, keys(1)...)
	for _, code := range []sdk.Code{sdk.CodeInvalidArgument, sdk.CodeModelNotFound, sdk.CodeContextTooLong, sdk.CodeCanceled} {
		l, err := p.acquire(nil)
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
	skip := map[*keyState]bool{p.keys[0]: true, p.keys[1]: true}
	if _, err := p.acquire(skip); !errors.Is(err, errKeysTried) {
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
			if l, err := p.acquire(nil); err == nil {
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
