package route

// priority keeps the candidates in the order the resolver gave: a group's
// listed order, else local plugins first (they cost nothing and keep data
// on the machine), then remote ones in name order.
type priority struct{}

func (priority) Name() string                { return StrategyPriority }
func (priority) Order(c []Candidate, _ *Env) {}
