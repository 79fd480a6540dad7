package route

// leastLatency tries the target with the lowest smoothed latency (EWMA;
// time to first token for streams) first. A target never measured comes
// first, so that it gets measured.
type leastLatency struct{}

func (leastLatency) Name() string { return StrategyLeastLatency }

func (leastLatency) Order(c []Candidate, env *Env) {
	if len(c) < 2 || env.Stats == nil {
		return
	}
	sortByKey(c, func(x *Candidate) float64 { return float64(latencyOf(env, x.Target)) })
}

func latencyOf(env *Env, t Target) int64 {
	if s := env.Stats.Lookup(t); s != nil {
		return int64(s.Latency())
	}
	return 0
}
