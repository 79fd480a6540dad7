package route

import (
	"slices"
	"strings"

	"github.com/roundhouse-ai/roundhouse/client"
)

// The view types are the client's (one definition of the JSON).
type (
	// Routes is GET /v1/routes.
	Routes = client.RouteTable
	// GroupView is one model group.
	GroupView = client.RouteGroup
	// GroupTargetView is one target of a group.
	GroupTargetView = client.RouteGroupTarget
	// TargetView is one target's state.
	TargetView = client.RouteTarget
	// CanaryView is a canary.
	CanaryView = client.RouteCanary
)

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
			Breaker: BreakerCounts{State: string(BreakerClosed)}}
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
