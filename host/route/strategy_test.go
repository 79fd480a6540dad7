package route

import (
	"slices"
	"testing"
	"time"
)

type prices map[string][2]float64

func (p prices) Price(t Target) (float64, float64, bool) {
	v, ok := p[t.String()]
	return v[0], v[1], ok
}

type quotas map[string]float64

func (q quotas) QuotaUsed(t Target) float64 { return q[t.String()] }

func cands(specs ...string) []Candidate {
	var out []Candidate
	for _, s := range specs {
		t, _ := ParseTarget(s)
		t.Local = t.Plugin == "ollama"
		out = append(out, Candidate{Target: t, Weight: 1})
	}
	return out
}

func TestStrategies(t *testing.T) {
	clk := newFakeClock()
	stats := NewStats(clk.Now, BreakerSettings{Failures: 1}, nil)
	observe := func(spec string, lat time.Duration, ok bool) {
		tt, _ := ParseTarget(spec)
		stats.Get(tt).Observe(clk.Now(), ok, lat)
	}
	observe("openai:a/m", 300*time.Millisecond, true)
	observe("openai:b/m", 100*time.Millisecond, true)
	observe("openai:c/m", 200*time.Millisecond, true)
	// c fails half its calls; b is not serving.
	observe("openai:c/m", 0, false)
	tb, _ := ParseTarget("openai:b/m")
	stats.Get(tb).SetServing(false)

	tests := []struct {
		strategy string
		in       []Candidate
		env      Env
		want     []string
	}{
		{StrategyPriority, cands("ollama/m", "openai:a/m", "openai:b/m"), Env{}, []string{"ollama/m", "openai:a/m", "openai:b/m"}},
		{StrategyRoundRobin, cands("openai:a/m", "openai:b/m", "openai:c/m"), Env{Turn: func() uint64 { return 1 }},
			[]string{"openai:b/m", "openai:c/m", "openai:a/m"}},
		{StrategyRoundRobin, cands("openai:a/m", "openai:b/m", "openai:c/m"), Env{Turn: func() uint64 { return 5 }},
			[]string{"openai:c/m", "openai:a/m", "openai:b/m"}},
		{StrategyLeastLatency, cands("openai:a/m", "openai:b/m", "openai:c/m", "ollama/m"), Env{Stats: stats},
			// ollama/m was never measured: it goes first to be measured.
			[]string{"ollama/m", "openai:b/m", "openai:c/m", "openai:a/m"}},
		{StrategyLowestPrice, cands("openai:a/m", "openai:b/m", "openai:c/m", "ollama/m"),
			Env{Price: prices{"openai:a/m": {1, 2}, "openai:b/m": {0.5, 1}}},
			// local costs nothing; c has no price: last.
			[]string{"ollama/m", "openai:b/m", "openai:a/m", "openai:c/m"}},
		{StrategyLeastQuotaUsed, cands("openai:a/m", "openai:b/m", "openai:c/m"),
			Env{Quota: quotas{"openai:a/m": 0.9, "openai:b/m": 0.1, "openai:c/m": 0.5}},
			[]string{"openai:b/m", "openai:c/m", "openai:a/m"}},
		{StrategyLeastQuotaUsed, cands("openai:a/m", "openai:b/m"), Env{}, []string{"openai:a/m", "openai:b/m"}},
		{StrategyHealth, cands("openai:b/m", "openai:c/m", "openai:a/m"), Env{Stats: stats, Now: clk.Now()},
			// a: healthy; c: half its calls failed; b: not serving.
			[]string{"openai:a/m", "openai:c/m", "openai:b/m"}},
	}
	for _, tt := range tests {
		t.Run(tt.strategy, func(t *testing.T) {
			StrategyByName(tt.strategy).Order(tt.in, &tt.env)
			if got := names(tt.in); !slices.Equal(got, tt.want) {
				t.Errorf("order %v, want %v", got, tt.want)
			}
		})
	}
}

func TestWeightedStrategy(t *testing.T) {
	// With u fixed, u^(1/w) is larger for larger w: the heaviest first;
	// weight 0 always last.
	c := cands("openai:a/m", "openai:b/m", "openai:c/m")
	c[0].Weight, c[1].Weight, c[2].Weight = 1, 5, 0
	weighted{}.Order(c, &Env{Rand: seq(0.5)})
	if got := names(c); !slices.Equal(got, []string{"openai:b/m", "openai:a/m", "openai:c/m"}) {
		t.Errorf("order %v", got)
	}
	// Over many draws the first place follows the weights (3:1).
	first := map[string]int{}
	r := seq(0.05, 0.15, 0.25, 0.35, 0.45, 0.55, 0.65, 0.75, 0.85, 0.95, 0.5, 0.1, 0.9, 0.3, 0.7, 0.2, 0.8, 0.4, 0.6, 0.99)
	for range 2000 {
		c := cands("openai:a/m", "openai:b/m")
		c[0].Weight, c[1].Weight = 3, 1
		weighted{}.Order(c, &Env{Rand: r})
		first[c[0].Target.String()]++
	}
	if a := first["openai:a/m"]; a < 1300 || a > 1700 {
		t.Errorf("weight 3 of 4 came first %d times of 2000, want about 1500", a)
	}
}

func TestStrategyByNameKnowsEveryConfigName(t *testing.T) {
	for name := range strategies {
		if StrategyByName(name).Name() != name {
			t.Errorf("strategy %q reports name %q", name, StrategyByName(name).Name())
		}
	}
	if StrategyByName("").Name() != StrategyPriority {
		t.Error("the default strategy must be priority (local first)")
	}
}
