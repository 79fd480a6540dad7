package route

import (
	"fmt"
	"sync"
	"time"
)

// canary splits a group's requests towards one target by percentage and
// rolls it back (weight 0, logged, shown in GET /v1/routes) when its error
// rate over the window exceeds the stable targets' by more than the
// margin.
type canary struct {
	group   string
	target  Target
	percent float64
	margin  float64
	minReq  int

	mu         sync.Mutex
	canaryWin  window
	stableWin  window
	rolledBack bool
	rolledAt   time.Time
	reason     string
}

func newCanary(group string, t Target, percent, margin float64, minReq int, win time.Duration) *canary {
	if win <= 0 {
		win = time.Minute
	}
	if margin <= 0 {
		margin = 0.2
	}
	if minReq <= 0 {
		minReq = 5
	}
	return &canary{group: group, target: t.Key(), percent: percent, margin: margin, minReq: minReq,
		canaryWin: newWindow(win), stableWin: newWindow(win)}
}

// weight is the share of requests the canary gets first now.
func (c *canary) weight() float64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.rolledBack {
		return 0
	}
	return c.percent
}

// observe records one outcome of the group and reports a rollback that
// this outcome caused (its reason), "" otherwise.
func (c *canary) observe(now time.Time, t Target, ok bool) string {
	c.mu.Lock()
	defer c.mu.Unlock()
	if t.Key() == c.target {
		c.canaryWin.add(now, ok)
	} else {
		c.stableWin.add(now, ok)
	}
	if c.rolledBack {
		return ""
	}
	cr, cn := rate(c.canaryWin.counts(now))
	sr, _ := rate(c.stableWin.counts(now))
	if cn >= c.minReq && cr-sr > c.margin {
		c.rolledBack, c.rolledAt = true, now
		c.reason = fmt.Sprintf("canary error rate %.0f%% over %d requests exceeds stable %.0f%% by more than %.0f%%",
			cr*100, cn, sr*100, c.margin*100)
		return c.reason
	}
	return ""
}

func rate(n, fails int) (float64, int) {
	if n == 0 {
		return 0, 0
	}
	return float64(fails) / float64(n), n
}

func (c *canary) view(now time.Time) *CanaryView {
	c.mu.Lock()
	defer c.mu.Unlock()
	v := &CanaryView{Target: c.target.String(), Percent: c.percent, Weight: c.percent, RolledBack: c.rolledBack, Reason: c.reason}
	if c.rolledBack {
		v.Weight = 0
		t := c.rolledAt
		v.RolledAt = &t
	}
	v.CanaryErrorRate, v.CanaryRequests = rate(c.canaryWin.counts(now))
	v.StableErrorRate, _ = rate(c.stableWin.counts(now))
	return v
}

// order puts the canary first for percent of the requests, after the
// stable targets otherwise, and drops it once rolled back.
func (c *canary) order(cands []Candidate, r float64) []Candidate {
	idx := -1
	for i := range cands {
		if cands[i].Target.Key() == c.target && !cands[i].Fallback {
			idx = i
			break
		}
	}
	if idx < 0 {
		return cands
	}
	w := c.weight()
	cand := cands[idx]
	cand.Canary = true
	copy(cands[idx:], cands[idx+1:])
	cands = cands[:len(cands)-1]
	if w == 0 {
		return cands
	}
	pos := 0
	if r*100 >= w {
		// After the stable primaries, before any fallback.
		for pos < len(cands) && !cands[pos].Fallback {
			pos++
		}
	}
	cands = append(cands, Candidate{})
	copy(cands[pos+1:], cands[pos:])
	cands[pos] = cand
	return cands
}
