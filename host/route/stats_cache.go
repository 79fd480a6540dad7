package route

import (
	"hash/maphash"
	"sync/atomic"
)

// Strategies that order by per-target stats (least_latency, health) read
// every candidate's TargetStats on every request. A lookup in the stats
// map hashes the target's three strings: with 100 candidates that was
// most of the decision (12–16 µs of it). The candidate lists a source
// gives are the same from one request to the next (the same plugins,
// providers and model, in the same order), so the stats pointers of a
// list are looked up once and kept, per generation of the stats map:
// comparing a list with the kept one is a few string comparisons per
// target, with no hashing.
//
// A generation is named by the map's length: Stats.Get only ever stores a
// copy with one more target (targets are never removed or replaced), so
// the same length is the same map. Keeping the length, not the map,
// keeps old generations from being held in memory.

// listSlots is how many candidate lists are kept (a list goes to the slot
// of its first target and length; two lists sharing a slot only cost
// lookups, never a wrong answer).
const listSlots = 64

var listSeed = maphash.MakeSeed()

// statsList is the stats of one candidate list as of one generation of
// the stats map (nil for a target without stats then). It is immutable
// once stored.
type statsList struct {
	gen     int      // len of the stats map
	targets []Target // keys (Local cleared)
	stats   []*TargetStats
}

// matches reports whether l holds the stats of c's targets in c's order,
// as of generation gen.
func (l *statsList) matches(gen int, c []Candidate) bool {
	if l == nil || l.gen != gen || len(l.targets) != len(c) {
		return false
	}
	for i := range c {
		t := &c[i].Target
		k := &l.targets[i]
		if t.Model != k.Model || t.Provider != k.Provider || t.Plugin != k.Plugin {
			return false
		}
	}
	return true
}

// attach sets each candidate's stats (nil for a target never seen), as
// Lookup would return them now. A target that gets its stats later makes
// a new generation of the map, so the kept list is not used past it.
func (s *Stats) attach(c []Candidate) {
	if len(c) == 0 {
		return
	}
	m := *s.by.Load()
	gen := len(m)
	slot := &s.lists[listSlot(c)]
	l := slot.Load()
	if !l.matches(gen, c) {
		l = &statsList{gen: gen, targets: make([]Target, len(c)), stats: make([]*TargetStats, len(c))}
		for i := range c {
			k := c[i].Target.Key()
			l.targets[i], l.stats[i] = k, m[k]
		}
		slot.Store(l)
	}
	for i := range c {
		c[i].stats, c[i].hasStats = l.stats[i], true
	}
}

func listSlot(c []Candidate) int {
	t := &c[0].Target
	h := maphash.String(listSeed, t.Provider) ^ maphash.String(listSeed, t.Model) ^ maphash.String(listSeed, t.Plugin)<<1
	return int((h + uint64(len(c))) % listSlots)
}

// listCache is the kept lists of a Stats.
type listCache [listSlots]atomic.Pointer[statsList]

// statsOf returns x's stats: those Decide attached, else a lookup (a
// candidate list ordered outside Decide).
func (env *Env) statsOf(x *Candidate) *TargetStats {
	if x.hasStats {
		return x.stats
	}
	return env.Stats.Lookup(x.Target)
}
