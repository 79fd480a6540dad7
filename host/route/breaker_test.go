package route

import (
	"testing"
	"time"
)

func TestBreakerStateMachine(t *testing.T) {
	clk := newFakeClock()
	var changes []string
	b := NewBreaker(BreakerSettings{Failures: 3, OpenFor: 10 * time.Second}, clk.Now, func(from, to BreakerState) {
		changes = append(changes, string(from)+"→"+string(to))
	})
	steps := []struct {
		name    string
		advance time.Duration
		allow   bool
		outcome *bool // nil: no call
		want    BreakerState
	}{
		{"closed lets calls through", 0, true, ptr(false), BreakerClosed},
		{"second failure", 0, true, ptr(false), BreakerClosed},
		{"a success resets the run", 0, true, ptr(true), BreakerClosed},
		{"failure 1", 0, true, ptr(false), BreakerClosed},
		{"failure 2", 0, true, ptr(false), BreakerClosed},
		{"failure 3 opens", 0, true, ptr(false), BreakerOpen},
		{"open refuses", time.Second, false, nil, BreakerOpen},
		{"still open just before open_for", 8 * time.Second, false, nil, BreakerOpen},
		{"half-open after open_for: one probe fails", 2 * time.Second, true, ptr(false), BreakerOpen},
		{"open again for open_for", 9 * time.Second, false, nil, BreakerOpen},
		{"probe succeeds: closed", 2 * time.Second, true, ptr(true), BreakerClosed},
		{"closed again", 0, true, ptr(true), BreakerClosed},
	}
	for _, s := range steps {
		clk.Advance(s.advance)
		if got := b.Allow(); got != s.allow {
			t.Fatalf("%s: Allow = %v, want %v", s.name, got, s.allow)
		}
		if s.outcome != nil {
			b.Done(*s.outcome)
		}
		if got := BreakerState(b.Counts().State); got != s.want {
			t.Fatalf("%s: state %s, want %s", s.name, got, s.want)
		}
	}
	want := []string{"closed→open", "open→half_open", "half_open→open", "open→half_open", "half_open→closed"}
	if len(changes) != len(want) {
		t.Fatalf("changes %v, want %v", changes, want)
	}
	for i := range want {
		if changes[i] != want[i] {
			t.Fatalf("changes %v, want %v", changes, want)
		}
	}
	c := b.Counts()
	if c.Requests != 9 || c.Failures != 6 || c.Successes != 3 {
		t.Errorf("counts %+v, want 9 requests, 6 failures, 3 successes", c)
	}
}

func TestBreakerHalfOpenOneProbe(t *testing.T) {
	clk := newFakeClock()
	b := NewBreaker(BreakerSettings{Failures: 1, OpenFor: time.Second}, clk.Now, nil)
	b.Allow()
	b.Done(false)
	clk.Advance(time.Second)
	if !b.Allow() {
		t.Fatal("no probe after open_for")
	}
	if b.Allow() {
		t.Fatal("a second call went through while the probe runs")
	}
	b.Cancel() // the probe's client left
	if !b.Allow() {
		t.Fatal("a cancelled probe must free the slot")
	}
}

func TestBreakerErrorRate(t *testing.T) {
	clk := newFakeClock()
	b := NewBreaker(BreakerSettings{Failures: 100, ErrorRate: 0.5, MinRequests: 4, Window: time.Minute}, clk.Now, nil)
	for _, ok := range []bool{true, false, true} {
		b.Allow()
		b.Done(ok)
	}
	if b.State() != BreakerClosed {
		t.Fatal("opened below min_requests")
	}
	b.Allow()
	b.Done(false) // 2 of 4 failed: 50%
	if b.State() != BreakerOpen {
		t.Fatalf("state %s after a 50%% error rate over 4 requests, want open", b.State())
	}
	// Outcomes older than the window no longer count.
	clk.Advance(time.Hour)
	b.Allow() // the half-open probe
	b.Done(true)
	if n, _ := b.win.counts(clk.Now()); n != 1 {
		t.Errorf("window holds %d requests an hour later, want 1", n)
	}
}

func ptr[T any](v T) *T { return &v }
