package main

import "time"

// window is an exact sliding-window limit: it remembers the start times of
// the last limit requests in a ring, so "limit requests per span" holds
// for every span-long interval, not only for aligned buckets.
type window struct {
	span  time.Duration
	limit int
	ring  []time.Time
	next  int // where the next time goes; when full, also the oldest
	n     int
}

func newWindow(span time.Duration, limit int) *window {
	w := &window{span: span}
	w.setLimit(limit)
	return w
}

// setLimit changes the limit, keeping the most recent times.
func (w *window) setLimit(limit int) {
	if limit < 0 {
		limit = 0
	}
	if limit == w.limit {
		return
	}
	recent := w.times()
	if len(recent) > limit {
		recent = recent[len(recent)-limit:]
	}
	w.limit = limit
	w.ring = make([]time.Time, limit)
	w.next, w.n = 0, 0
	for _, t := range recent {
		w.add(t)
	}
}

// times lists the remembered times, oldest first.
func (w *window) times() []time.Time {
	out := make([]time.Time, 0, w.n)
	start := (w.next - w.n + len(w.ring)) % max(len(w.ring), 1)
	for i := 0; i < w.n; i++ {
		out = append(out, w.ring[(start+i)%len(w.ring)])
	}
	return out
}

// blockedUntil is when the next request may start; the zero time when it
// may start now (or there is no limit).
func (w *window) blockedUntil(now time.Time) time.Time {
	if w.limit == 0 || w.n < w.limit {
		return time.Time{}
	}
	if free := w.ring[w.next].Add(w.span); free.After(now) {
		return free
	}
	return time.Time{}
}

// add records a request started at now.
func (w *window) add(now time.Time) {
	if w.limit == 0 {
		return
	}
	w.ring[w.next] = now
	w.next = (w.next + 1) % w.limit
	if w.n < w.limit {
		w.n++
	}
}

// recentCounter counts events of the last minute in one-second buckets,
// for the "current RPM" statistic of keys without a limit.
type recentCounter struct {
	counts [60]int32
	stamps [60]int64 // the Unix second each bucket counts
}

func (c *recentCounter) add(now time.Time) {
	s := now.Unix()
	i := int(((s % 60) + 60) % 60)
	if c.stamps[i] != s {
		c.stamps[i], c.counts[i] = s, 0
	}
	c.counts[i]++
}

// sum is the number of events in the 60 seconds up to now.
func (c *recentCounter) sum(now time.Time) int {
	s := now.Unix()
	total := 0
	for i := range c.counts {
		if age := s - c.stamps[i]; age >= 0 && age < 60 {
			total += int(c.counts[i])
		}
	}
	return total
}
