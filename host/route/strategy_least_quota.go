package route

// leastQuota tries the target whose budget is least used first (the
// QuotaSource's share, 0..1+); without a source the order stays.
type leastQuota struct{}

func (leastQuota) Name() string { return StrategyLeastQuotaUsed }

func (leastQuota) Order(c []Candidate, env *Env) {
	if env.Quota == nil {
		return
	}
	sortByKey(c, func(x *Candidate) float64 { return env.Quota.QuotaUsed(x.Target) })
}
