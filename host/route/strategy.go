package route

import (
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// PriceSource gives a target's price per million tokens (lowest_price);
// the usage helper's pricing table implements it.
type PriceSource interface {
	Price(t Target) (inPerM, outPerM float64, ok bool)
}

// QuotaSource gives how much of a target's budget is used, 0..1 and
// beyond (least_quota_used); the budget helper implements it.
type QuotaSource interface {
	QuotaUsed(t Target) float64
}

// Env is what strategies order by.
type Env struct {
	Now   time.Time
	Stats *Stats
	Price PriceSource
	Quota QuotaSource
	// Rand returns a number in [0, 1) (weighted, canary).
	Rand func() float64
	// Turn is the round-robin counter of this request's service and
	// model: each request takes the next turn.
	Turn func() uint64
}

// Strategy orders a request's primary candidates in place; the first is
// tried first. Strategies must not allocate on the request path.
type Strategy interface {
	Name() string
	Order(c []Candidate, env *Env)
}

// statsReader is a strategy that orders by per-target stats: Decide
// attaches each candidate's stats first (Stats.attach), so that ordering
// needs no map lookup per candidate.
type statsReader interface{ readsStats() }

func (leastLatency) readsStats() {}
func (health) readsStats()       {}

// Strategy names.
const (
	StrategyPriority       = "priority"
	StrategyRoundRobin     = "round_robin"
	StrategyWeighted       = "weighted"
	StrategyLeastLatency   = "least_latency"
	StrategyLowestPrice    = "lowest_price"
	StrategyLeastQuotaUsed = "least_quota_used"
	StrategyHealth         = "health"
)

// strategies by name; every one is stateless (state lives in Env).
var strategies = map[string]Strategy{
	StrategyPriority:       priority{},
	StrategyRoundRobin:     roundRobin{},
	StrategyWeighted:       weighted{},
	StrategyLeastLatency:   leastLatency{},
	StrategyLowestPrice:    lowestPrice{},
	StrategyLeastQuotaUsed: leastQuota{},
	StrategyHealth:         health{},
}

// StrategyByName returns the named strategy, or priority for "" or an
// unknown name (config validation refuses unknown names).
func StrategyByName(name string) Strategy {
	if s, ok := strategies[name]; ok {
		return s
	}
	return priority{}
}

// turns hands out round-robin turns per key (service and model).
type turns struct{ m sync.Map }

func (t *turns) next(key string) uint64 {
	v, ok := t.m.Load(key)
	if !ok {
		v, _ = t.m.LoadOrStore(key, new(atomic.Uint64))
	}
	return v.(*atomic.Uint64).Add(1) - 1
}

// keyed is one candidate's sort key and place.
type keyed struct {
	k float64
	i int
}

// sortByKey orders c by key ascending, stable, computing each key once
// (a key may take locks: not once per comparison). Buffers live on the
// stack for lists of up to 128 candidates.
func sortByKey(c []Candidate, key func(*Candidate) float64) {
	if len(c) < 2 {
		return
	}
	var kb [128]keyed
	var cb [128]Candidate
	keys, tmp := kb[:0], cb[:0]
	if len(c) > len(kb) {
		keys, tmp = make([]keyed, 0, len(c)), make([]Candidate, 0, len(c))
	}
	for i := range c {
		keys = append(keys, keyed{key(&c[i]), i})
	}
	slices.SortStableFunc(keys, func(a, b keyed) int {
		switch {
		case a.k < b.k:
			return -1
		case a.k > b.k:
			return 1
		}
		return 0
	})
	tmp = append(tmp, c...)
	for j, k := range keys {
		c[j] = tmp[k.i]
	}
}
