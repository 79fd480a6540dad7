package route

import (
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
	// turn is the turn Decide took already (hasTurn): used before Turn.
	turn    uint64
	hasTurn bool
}

// Strategy orders a request's primary candidates in place; the first is
// tried first. Strategies must not allocate on the request path.
type Strategy interface {
	Name() string
	Order(c []Candidate, env *Env)
}

// lazyStrategy is a strategy that can place the candidate to try first
// without ordering the rest: Dispatch asks it again for the next place only
// when the candidate before failed (most requests need one). Placing one
// after another must give the same distribution of orders as Order.
type lazyStrategy interface {
	// First moves the candidate to try first to c[0], keeping the
	// others in their order.
	First(c []Candidate, env *Env)
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

// turns hands out round-robin turns per service and model. A map keyed
// by the pair under a read lock: a sync.Map needed the key concatenated
// and boxed, two allocations per request.
type turns struct {
	mu sync.RWMutex
	m  map[turnKey]*atomic.Uint64
}

type turnKey struct{ service, model string }

func (t *turns) next(service, model string) uint64 {
	k := turnKey{service, model}
	t.mu.RLock()
	n := t.m[k]
	t.mu.RUnlock()
	if n == nil {
		t.mu.Lock()
		if n = t.m[k]; n == nil {
			if t.m == nil {
				t.m = map[turnKey]*atomic.Uint64{}
			}
			n = new(atomic.Uint64)
			t.m[k] = n
		}
		t.mu.Unlock()
	}
	return n.Add(1) - 1
}

// keyed is one candidate's sort key and place.
type keyed struct {
	k float64
	i int
}

// sortByKey orders c by key ascending, stable, computing each key once
// (a key may take locks: not once per comparison). The keys are sorted by
// a merge sort written for them (comparisons inlined, where a generic
// sort calls a comparison function each time: most of the decision with
// 100 candidates), on the stack for lists of up to 128 candidates; the
// candidates are then permuted in place, each moved once.
func sortByKey(c []Candidate, key func(*Candidate) float64) {
	if len(c) < 2 {
		return
	}
	var kb, bb [128]keyed
	keys, buf := kb[:0], bb[:]
	if len(c) > len(kb) {
		keys, buf = make([]keyed, 0, len(c)), make([]keyed, len(c))
	}
	sorted := true
	for i := range c {
		keys = append(keys, keyed{key(&c[i]), i})
		if i > 0 && keys[i].k < keys[i-1].k {
			sorted = false
		}
	}
	if sorted {
		return // already in order (e.g. every target equally healthy)
	}
	sortKeyed(keys, buf[:len(keys)])
	// c[j] becomes the old c[keys[j].i]: follow each cycle of the
	// permutation once, marking a place done by setting its i to -1.
	for j0 := range keys {
		if keys[j0].i < 0 {
			continue
		}
		first := c[j0]
		j := j0
		for {
			from := keys[j].i
			keys[j].i = -1
			if from == j0 {
				c[j] = first
				break
			}
			c[j] = c[from]
			j = from
		}
	}
}

// sortKeyed sorts a by k, stable: insertion sort of runs of 16, then
// bottom-up merges through buf (len(buf) == len(a)).
func sortKeyed(a, buf []keyed) {
	const run = 16
	n := len(a)
	for lo := 0; lo < n; lo += run {
		hi := min(lo+run, n)
		for i := lo + 1; i < hi; i++ {
			x := a[i]
			j := i
			for ; j > lo && x.k < a[j-1].k; j-- {
				a[j] = a[j-1]
			}
			a[j] = x
		}
	}
	src, dst := a, buf
	for width := run; width < n; width *= 2 {
		for lo := 0; lo < n; lo += 2 * width {
			mid, hi := min(lo+width, n), min(lo+2*width, n)
			i, j, k := lo, mid, lo
			for i < mid && j < hi {
				// Take the right one only when strictly smaller: stable.
				if src[j].k < src[i].k {
					dst[k] = src[j]
					j++
				} else {
					dst[k] = src[i]
					i++
				}
				k++
			}
			k += copy(dst[k:], src[i:mid])
			copy(dst[k:], src[j:hi])
		}
		src, dst = dst, src
	}
	if &src[0] != &a[0] {
		copy(a, src)
	}
}

// order runs st.Order, and first runs st.First, with the strategies of
// this package called directly: through the interface env (and the
// request's Call, which its Turn closure holds) would escape, allocations
// per request. StrategyByName only returns these, so there is no other.
func order(st Strategy, c []Candidate, env *Env) {
	switch s := st.(type) {
	case priority:
		s.Order(c, env)
	case roundRobin:
		s.Order(c, env)
	case weighted:
		s.Order(c, env)
	case leastLatency:
		s.Order(c, env)
	case lowestPrice:
		s.Order(c, env)
	case leastQuota:
		s.Order(c, env)
	case health:
		s.Order(c, env)
	default:
		// Unreachable (see above); the listed order stands, as priority.
	}
}

func first(st lazyStrategy, c []Candidate, env *Env) {
	if s, ok := st.(weighted); ok {
		s.First(c, env)
	}
}
