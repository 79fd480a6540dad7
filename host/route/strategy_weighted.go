package route

import "math"

// weighted draws the order at random, each target's chance to come first
// proportional to its weight (Efraimidis–Spirakis: sort by u^(1/w)). A
// weight of 0 puts a target last; no weight set means 1.
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
