package route

// health tries the healthiest target first (TargetStats.Health: probes,
// success rate, latency); an unhealthy one (score 0: not serving, breaker
// open) goes last.
type health struct{}

func (health) Name() string { return StrategyHealth }

func (health) Order(c []Candidate, env *Env) {
	if len(c) < 2 || env.Stats == nil {
		return
	}
	// Highest score first: sort by the negated score.
	sortByKey(c, func(x *Candidate) float64 { return -healthOf(env, x) })
}

func healthOf(env *Env, x *Candidate) float64 {
	if s := env.statsOf(x); s != nil {
		return s.Score()
	}
	return 1
}
