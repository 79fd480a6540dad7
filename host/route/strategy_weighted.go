package route

import "math"

// weighted draws the order at random, each target's chance to come first
// proportional to its weight (Efraimidis–Spirakis: sort by u^(1/w)). A
// weight of 0 puts a target last; no weight set means 1.
//
// Dispatch does not sort: it places one candidate at a time (First), the
// next only when the one before failed — the same distribution of orders
// (drawing the first by weight, then the next among the rest by weight, is
// what sorting by u^(1/w) amounts to), but one draw per attempt instead of
// one per candidate and a sort (TestWeightedLazyMatchesOrder).
type weighted struct{}

func (weighted) Name() string { return StrategyWeighted }

func (weighted) Order(c []Candidate, env *Env) {
	if len(c) < 2 || env.Rand == nil {
		return
	}
	// Largest key first: sort by the negated key.
	sortByKey(c, func(x *Candidate) float64 {
		if x.Weight <= 0 {
			return 1 // after every positive weight (keys are in [-1, 0])
		}
		return -math.Pow(env.Rand(), 1/x.Weight)
	})
}

// First moves one candidate to c[0], drawn with a chance proportional to
// its weight, and keeps the others in their order (so targets of weight 0,
// which come last, stay in their listed order, as Order's stable sort
// leaves them). With no positive weight left nothing moves.
func (weighted) First(c []Candidate, env *Env) {
	if len(c) < 2 || env.Rand == nil {
		return
	}
	total := 0.0
	for i := range c {
		if c[i].Weight > 0 {
			total += c[i].Weight
		}
	}
	if total <= 0 {
		return
	}
	x := env.Rand() * total
	pick := -1
	for i := range c {
		if c[i].Weight <= 0 {
			continue
		}
		pick = i // the last positive one when rounding leaves x ≥ the sum
		if x < c[i].Weight {
			break
		}
		x -= c[i].Weight
	}
	if pick <= 0 {
		return
	}
	first := c[pick]
	copy(c[1:pick+1], c[:pick])
	c[0] = first
}
