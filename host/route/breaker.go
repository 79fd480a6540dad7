package route

import (
	"sync"
	"sync/atomic"
	"time"
)

// BreakerState is a circuit breaker's state.
type BreakerState string

// Breaker states.
const (
	BreakerClosed   BreakerState = "closed"
	BreakerOpen     BreakerState = "open"
	BreakerHalfOpen BreakerState = "half_open"
)

// BreakerSettings tune a breaker; zero values take the defaults.
type BreakerSettings struct {
	// Failures in a row that open the breaker (default 5).
	Failures int
	// ErrorRate over Window opens it once Window holds MinRequests
	// (0 = off).
	ErrorRate   float64
	Window      time.Duration
	MinRequests int
	// OpenFor is how long it stays open before letting one probe through
	// (default 30s).
	OpenFor time.Duration
}

func (s BreakerSettings) withDefaults() BreakerSettings {
	if s.Failures <= 0 {
		s.Failures = 5
	}
	if s.OpenFor <= 0 {
		s.OpenFor = 30 * time.Second
	}
	if s.Window <= 0 {
		s.Window = time.Minute
	}
	if s.MinRequests <= 0 {
		s.MinRequests = 10
	}
	return s
}

// Breaker is a circuit breaker for one target: closed → open after
// Failures failures in a row or ErrorRate over the window → after OpenFor,
// half-open: one probe → closed on success, open again on failure. Its
// states and counts follow sony/gobreaker's, with a clock that tests can
// drive (gobreaker reads time.Now itself).
type Breaker struct {
	s   BreakerSettings
	now Clock

	// open mirrors state == BreakerOpen && now < openUntil for lock-free
	// reads on the request path (health scores).
	open atomic.Bool

	mu        sync.Mutex
	state     BreakerState
	openUntil time.Time
	probing   bool
	consec    int
	total     BreakerCounts
	win       window
	// onChange is told of every state change (logging).
	onChange func(from, to BreakerState)
}

// NewBreaker makes a closed breaker.
func NewBreaker(s BreakerSettings, now Clock, onChange func(from, to BreakerState)) *Breaker {
	if now == nil {
		now = time.Now
	}
	s = s.withDefaults()
	return &Breaker{s: s, now: now, state: BreakerClosed, win: newWindow(s.Window), onChange: onChange}
}

// Allow reports whether a call may go through now. In half-open state
// one probe at a time is let through; its Done decides.
func (b *Breaker) Allow() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	now := b.now()
	switch b.state {
	case BreakerOpen:
		if now.Before(b.openUntil) {
			return false
		}
		b.setLocked(BreakerHalfOpen)
		fallthrough
	case BreakerHalfOpen:
		if b.probing {
			return false
		}
		b.probing = true
	}
	return true
}

// Done records the outcome of a call Allow let through.
func (b *Breaker) Done(ok bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	now := b.now()
	b.total.Requests++
	if ok {
		b.total.Successes++
		b.consec = 0
		if b.state == BreakerHalfOpen {
			// Closed again: the failures that opened it are history.
			b.probing = false
			b.win.reset()
			b.setLocked(BreakerClosed)
		}
		b.win.add(now, true)
		return
	}
	b.win.add(now, false)
	b.total.Failures++
	b.consec++
	switch b.state {
	case BreakerHalfOpen:
		b.probing = false
		b.openLocked(now)
	case BreakerClosed:
		n, f := b.win.counts(now)
		rate := b.s.ErrorRate > 0 && n >= b.s.MinRequests && float64(f)/float64(n) >= b.s.ErrorRate
		if b.consec >= b.s.Failures || rate {
			b.openLocked(now)
		}
	}
}

// Cancel ends a call Allow let through without an outcome (the client
// left): a half-open probe slot is freed, nothing is counted.
func (b *Breaker) Cancel() {
	b.mu.Lock()
	b.probing = false
	b.mu.Unlock()
}

func (b *Breaker) openLocked(now time.Time) {
	b.openUntil = now.Add(b.s.OpenFor)
	b.setLocked(BreakerOpen)
}

func (b *Breaker) isOpen() bool {
	if !b.open.Load() {
		return false
	}
	return b.State() == BreakerOpen
}

func (b *Breaker) setLocked(to BreakerState) {
	from := b.state
	b.state = to
	b.open.Store(to == BreakerOpen)
	if from != to && b.onChange != nil {
		b.onChange(from, to)
	}
}

// State is the breaker's state now (an open breaker whose time is up
// reads half-open).
func (b *Breaker) State() BreakerState {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.state == BreakerOpen && !b.now().Before(b.openUntil) {
		return BreakerHalfOpen
	}
	return b.state
}

// OpenFor is how long an open breaker stays closed to calls from now.
func (b *Breaker) OpenFor() time.Duration {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.state != BreakerOpen {
		return 0
	}
	return max(b.openUntil.Sub(b.now()), 0)
}

// Counts returns the breaker's state and counts.
func (b *Breaker) Counts() BreakerCounts {
	b.mu.Lock()
	defer b.mu.Unlock()
	c := b.total
	c.State = string(b.state)
	if b.state == BreakerOpen && !b.now().Before(b.openUntil) {
		c.State = string(BreakerHalfOpen)
	}
	c.ConsecutiveFailures = b.consec
	c.WindowRequests, c.WindowFailures = b.win.counts(b.now())
	if c.State == string(BreakerOpen) {
		t := b.openUntil
		c.OpenUntil = &t
	}
	return c
}
