package route

// roundRobin rotates the candidates by one for each request, so that every
// target takes its turn first.
type roundRobin struct{}

func (roundRobin) Name() string { return StrategyRoundRobin }

func (roundRobin) Order(c []Candidate, env *Env) {
	if len(c) < 2 {
		return
	}
	switch {
	case env.hasTurn:
		rotate(c, int(env.turn%uint64(len(c))))
	case env.Turn != nil:
		rotate(c, int(env.Turn()%uint64(len(c))))
	}
}

// rotate moves c[k:] before c[:k] in place (three reversals, no
// allocation).
func rotate(c []Candidate, k int) {
	if k == 0 {
		return
	}
	reverse(c[:k])
	reverse(c[k:])
	reverse(c)
}

func reverse(c []Candidate) {
	for i, j := 0, len(c)-1; i < j; i, j = i+1, j-1 {
		c[i], c[j] = c[j], c[i]
	}
}
