package route

import (
	"math"
	"sync"
	"sync/atomic"
	"time"
)

// ewmaAlpha weighs the newest latency sample: about the last ten calls
// count.
const ewmaAlpha = 0.2

// TargetStats is what the host learns about one target from its calls and
// probes: the circuit breaker, latency, success rate and health.
type TargetStats struct {
	Breaker *Breaker

	// latency (EWMA, ns) and score (Health's last value, float64 bits)
	// are read by strategies on every request without a lock.
	latency atomic.Int64
	score   atomic.Uint64

	mu sync.Mutex
	// ewma is the smoothed latency (time to first byte for streams).
	ewma time.Duration
	win  window
	// notServing is set from the plugin's health probe.
	notServing bool
	lastUsed   time.Time
}

// Observe records one call's outcome and latency (0 = unknown).
func (s *TargetStats) Observe(now time.Time, ok bool, latency time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.win.add(now, ok)
	s.lastUsed = now
	if ok && latency > 0 {
		if s.ewma == 0 {
			s.ewma = latency
		} else {
			s.ewma = time.Duration(ewmaAlpha*float64(latency) + (1-ewmaAlpha)*float64(s.ewma))
		}
		s.latency.Store(int64(s.ewma))
	}
	s.score.Store(math.Float64bits(s.healthLocked(now)))
}

// Score is the health score as of the last outcome or probe (lock-free,
// for strategies); an open breaker reads 0.
func (s *TargetStats) Score() float64 {
	if s.Breaker != nil && s.Breaker.isOpen() {
		return 0
	}
	return 1 - math.Float64frombits(s.score.Load())
}

// Latency is the smoothed latency, 0 when never measured.
func (s *TargetStats) Latency() time.Duration { return time.Duration(s.latency.Load()) }

// SetServing records the plugin's last health answer.
func (s *TargetStats) SetServing(serving bool) {
	s.mu.Lock()
	s.notServing = !serving
	s.score.Store(math.Float64bits(s.healthLocked(time.Now())))
	s.mu.Unlock()
}

// ErrorRate is the failure share over the stats window and its request
// count.
func (s *TargetStats) ErrorRate(now time.Time) (rate float64, n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	n, f := s.win.counts(now)
	if n == 0 {
		return 0, 0
	}
	return float64(f) / float64(n), n
}

// Health is a score in [0, 1]: 0 for a target whose plugin reports not
// serving or whose breaker is open; otherwise the success rate over the
// window, lowered for latency above a second (a slow target is a worse
// choice than an equally reliable fast one).
func (s *TargetStats) Health(now time.Time) float64 {
	if s.Breaker != nil && s.Breaker.State() == BreakerOpen {
		return 0
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return 1 - s.healthLocked(now)
}

// healthLocked is 1 - Health without the breaker (stored so that the zero
// value means healthy).
func (s *TargetStats) healthLocked(now time.Time) float64 {
	if s.notServing {
		return 1
	}
	score := 1.0
	if n, f := s.win.counts(now); n > 0 {
		score = 1 - float64(f)/float64(n)
	}
	if s.ewma > time.Second {
		score *= 1 / (1 + math.Log2(s.ewma.Seconds()))
	}
	return 1 - score
}

// maxTargets bounds the targets whose stats are kept: model names come
// from clients, and a client naming endless models must not grow the map
// (nor make each insert, which copies it, slower) without end.
const maxTargets = 1024

// Stats holds the TargetStats of every target seen, created on first use.
// Reads are lock-free (a copy-on-write map): the request path reads the
// stats of every candidate (through the lists kept in stats_cache.go),
// while new targets appear rarely. The map only ever grows by one target
// per copy; the kept lists rely on it.
type Stats struct {
	now     Clock
	breaker BreakerSettings
	window  time.Duration
	onTrip  func(t Target, from, to BreakerState)

	mu sync.Mutex // serialises writers
	by atomic.Pointer[map[Target]*TargetStats]
	// lists keeps the stats of recent candidate lists (stats_cache.go).
	lists listCache
}

// NewStats makes the registry; onTrip is told of breaker state changes.
func NewStats(now Clock, b BreakerSettings, onTrip func(t Target, from, to BreakerState)) *Stats {
	if now == nil {
		now = time.Now
	}
	s := &Stats{now: now, breaker: b, window: b.withDefaults().Window, onTrip: onTrip}
	m := map[Target]*TargetStats{}
	s.by.Store(&m)
	return s
}

// Get returns t's stats, creating them.
func (s *Stats) Get(t Target) *TargetStats {
	k := t.Key()
	if ts := (*s.by.Load())[k]; ts != nil {
		return ts
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	old := *s.by.Load()
	if ts := old[k]; ts != nil {
		return ts
	}
	var onChange func(from, to BreakerState)
	if s.onTrip != nil {
		onChange = func(from, to BreakerState) { s.onTrip(k, from, to) }
	}
	ts := &TargetStats{Breaker: NewBreaker(s.breaker, s.now, onChange), win: newWindow(s.window)}
	if len(old) >= maxTargets {
		return ts // tracked for this call only
	}
	m := make(map[Target]*TargetStats, len(old)+1)
	for key, v := range old {
		m[key] = v
	}
	m[k] = ts
	s.by.Store(&m)
	return ts
}

// Lookup returns t's stats or nil, without creating them.
func (s *Stats) Lookup(t Target) *TargetStats {
	if t.Local {
		t.Local = false
	}
	return (*s.by.Load())[t]
}

// Each calls fn for every known target.
func (s *Stats) Each(fn func(Target, *TargetStats)) {
	for t, ts := range *s.by.Load() {
		fn(t, ts)
	}
}

// SetPluginServing marks every known target of plugin as serving or not.
func (s *Stats) SetPluginServing(plugin string, serving bool) {
	for t, ts := range *s.by.Load() {
		if t.Plugin == plugin {
			ts.SetServing(serving)
		}
	}
}
