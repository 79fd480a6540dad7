package route

import (
	"context"
	"io"
	"log/slog"
	"sync"
	"time"

	"github.com/roundhouse-ai/roundhouse/host/backend"
	"github.com/roundhouse-ai/roundhouse/types"
)

// fakeClock is a Clock tests move by hand.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newFakeClock() *fakeClock { return &fakeClock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)} }

func (c *fakeClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }

func (c *fakeClock) Advance(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

// fakeSource serves fixed targets per model.
type fakeSource struct {
	plugins map[string]bool
	// by model: its targets, local ones first.
	models map[string][]Target
}

func (s *fakeSource) IsPlugin(name string) bool { return s.plugins[name] }

func (s *fakeSource) Targets(_ context.Context, dst []Candidate, q Query) ([]Candidate, error) {
	n := len(dst)
	for _, t := range s.models[q.Model] {
		if (q.Plugin != "" && t.Plugin != q.Plugin) || (q.Provider != "" && t.Provider != q.Provider) {
			continue
		}
		if (q.Policy == backend.PolicyLocal && !t.Local) || (q.Policy == backend.PolicyRemote && t.Local) {
			continue
		}
		dst = append(dst, Candidate{Target: t, Weight: 1})
	}
	if len(dst) == n {
		return dst, types.Errorf(types.CodeModelNotFound, "model %q not found", q.Model)
	}
	return dst, nil
}

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

func names(c []Candidate) []string {
	out := make([]string, len(c))
	for i := range c {
		out[i] = c[i].Target.String()
	}
	return out
}

// seq returns the numbers given, in turn, as a Rand.
func seq(vals ...float64) func() float64 {
	var mu sync.Mutex
	i := 0
	return func() float64 {
		mu.Lock()
		defer mu.Unlock()
		v := vals[i%len(vals)]
		i++
		return v
	}
}
