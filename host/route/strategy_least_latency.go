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
	sortByKey(c, func(x *Candidate) float64 { return float64(latencyOf(env, x)) })
}

func latencyOf(env *Env, x *Candidate) int64 {
	if s := env.statsOf(x); s != nil {
		return int64(s.Latency())
	}
	return 0
}
