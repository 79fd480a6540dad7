package route

import "math"

// lowestPrice tries the cheapest target first (input plus output price per
// million tokens, from the PriceSource). A local target costs nothing; a
// target without a known price comes after every priced one.
type lowestPrice struct{}

func (lowestPrice) Name() string { return StrategyLowestPrice }

func (lowestPrice) Order(c []Candidate, env *Env) {
	sortByKey(c, func(x *Candidate) float64 { return priceOf(env, x.Target) })
}

func priceOf(env *Env, t Target) float64 {
	if env.Price != nil {
		if in, out, ok := env.Price.Price(t); ok {
			return in + out
		}
	}
	if t.Local {
		return 0
	}
	return math.Inf(1)
}
