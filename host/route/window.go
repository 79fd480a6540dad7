package route

import "time"

// window counts outcomes over a sliding time window in ten buckets: cheap
// to update on every call, precise enough for error rates.
type window struct {
	size    time.Duration
	buckets [10]bucket
}

type bucket struct {
	start    time.Time
	n, fails int
}

func newWindow(size time.Duration) window {
	if size <= 0 {
		size = time.Minute
	}
	return window{size: size}
}

func (w *window) slot(now time.Time) *bucket {
	width := w.size / time.Duration(len(w.buckets))
	if width <= 0 {
		width = 1
	}
	start := now.Truncate(width)
	b := &w.buckets[(start.UnixNano()/int64(width))%int64(len(w.buckets))]
	if !b.start.Equal(start) {
		*b = bucket{start: start}
	}
	return b
}

func (w *window) add(now time.Time, ok bool) {
	b := w.slot(now)
	b.n++
	if !ok {
		b.fails++
	}
}

// counts returns the requests and failures within the window ending now.
func (w *window) counts(now time.Time) (n, fails int) {
	from := now.Add(-w.size)
	for _, b := range w.buckets {
		if b.start.After(from) && !b.start.After(now) {
			n += b.n
			fails += b.fails
		}
	}
	return n, fails
}

func (w *window) reset() { w.buckets = [10]bucket{} }
