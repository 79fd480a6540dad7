package route

import (
	"slices"
	"strings"
)

// Routes is GET /v1/routes: the strategies, groups (with canaries), and
// every target with its breaker, health score and latency.
type Routes struct {
	Strategy  string              `json:"strategy"`
	Services  map[string]string   `json:"services,omitempty"`
	Groups    []GroupView         `json:"groups"`
	Fallbacks map[string][]string `json:"fallbacks,omitempty"`
	Targets   []TargetView        `json:"targets"`
}

// GroupView is one model group.
type GroupView struct {
	Name     string            `json:"name"`
	Strategy string            `json:"strategy,omitempty"`
	Targets  []GroupTargetView `json:"targets"`
	Canary   *CanaryView       `json:"canary,omitempty"`
}

// GroupTargetView is one target of a group.
type GroupTargetView struct {
	Target string  `json:"target"`
	Weight float64 `json:"weight"`
}

// TargetView is one target's state.
type TargetView struct {
	Target   string        `json:"target"`
	Plugin   string        `json:"plugin"`
	Provider string        `json:"provider,omitempty"`
	Model    string        `json:"model"`
	Breaker  BreakerCounts `json:"breaker"`
	// Health is the score in [0, 1] the health strategy orders by.
	Health float64 `json:"health"`
	// LatencyMS is the EWMA latency (time to first token for streams); 0
	// before the first call.
	LatencyMS float64 `json:"latency_ms"`
	// ErrorRate and Requests are over the stats window.
	ErrorRate float64 `json:"error_rate"`
	Requests  int     `json:"requests"`
}

// Routes returns the view; known are the targets the host can serve now
// (those never called show a closed breaker and full health).
func (d *Dispatcher) Routes(known []Target) Routes {
	cfg := d.cfg.Load()
	now := d.opts.Now()
	out := Routes{Strategy: cfg.strategy, Services: cfg.services, Fallbacks: cfg.fallbacks, Groups: []GroupView{}, Targets: []TargetView{}}
	for name, g := range cfg.groups {
		gv := GroupView{Name: name, Strategy: g.Strategy}
		for _, t := range g.Targets {
			gv.Targets = append(gv.Targets, GroupTargetView{Target: t.Target.String(), Weight: t.Weight})
		}
		if g.canary != nil {
			gv.Canary = g.canary.view(now)
			for i := range gv.Targets {
				if gv.Targets[i].Target == gv.Canary.Target {
					gv.Targets[i].Weight = gv.Canary.Weight
				}
			}
		}
		out.Groups = append(out.Groups, gv)
	}
	slices.SortFunc(out.Groups, func(a, b GroupView) int { return strings.Compare(a.Name, b.Name) })
	seen := map[Target]bool{}
	add := func(t Target, s *TargetStats) {
		k := t.Key()
		if seen[k] {
			return
		}
		seen[k] = true
		tv := TargetView{Target: k.String(), Plugin: k.Plugin, Provider: k.Provider, Model: k.Model, Health: 1,
			Breaker: BreakerCounts{State: BreakerClosed}}
		if s != nil {
			tv.Breaker = s.Breaker.Counts()
			tv.Health = s.Health(now)
			tv.LatencyMS = float64(s.Latency().Microseconds()) / 1000
			tv.ErrorRate, tv.Requests = s.ErrorRate(now)
		}
		out.Targets = append(out.Targets, tv)
	}
	d.stats.Each(add)
	for _, t := range known {
		add(t, d.stats.Lookup(t))
	}
	slices.SortFunc(out.Targets, func(a, b TargetView) int { return strings.Compare(a.Target, b.Target) })
	return out
}
