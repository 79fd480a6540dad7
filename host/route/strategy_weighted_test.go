package route

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/roundhouse-ai/roundhouse/host/config"
	"github.com/roundhouse-ai/roundhouse/types"
)

// weightedCands are five targets a..e with the weights given.
func weightedCands(w ...float64) []Candidate {
	c := make([]Candidate, len(w))
	for i := range w {
		c[i] = Candidate{Target: Target{Plugin: "openai", Provider: string(rune('a' + i)), Model: "m"}, Weight: w[i]}
	}
	return c
}

// lazyOrderOf places every candidate one after another, as Dispatch does
// when each one fails.
func lazyOrderOf(c []Candidate, env *Env) {
	for i := 0; i < len(c)-1; i++ {
		weighted{}.First(c[i:], env)
	}
}

// chi2 is Pearson's statistic of counts against the expected
// probabilities over n draws.
func chi2(counts map[string]int, want map[string]float64, n int) float64 {
	x := 0.0
	for k, p := range want {
		e := p * float64(n)
		d := float64(counts[k]) - e
		x += d * d / e
	}
	return x
}

// TestWeightedLazyMatchesOrder checks that placing candidates one at a
// time (Dispatch) gives the distribution Order's sort gives, and both the
// one the weights say: P(i first) = wᵢ/W, P(j second | i first) =
// wⱼ/(W−wᵢ); weight 0 last, in listed order. A fixed seed keeps the test
// deterministic; the bounds are the χ² quantiles at p = 0.001.
func TestWeightedLazyMatchesOrder(t *testing.T) {
	w := []float64{1, 2, 0, 3, 4, 0}
	W := 10.0
	wantFirst, wantPair := map[string]float64{}, map[string]float64{}
	for i, wi := range w {
		if wi == 0 {
			continue
		}
		wantFirst[fmt.Sprint(i)] = wi / W
		for j, wj := range w {
			if j != i && wj > 0 {
				wantPair[fmt.Sprint(i, j)] = wi / W * wj / (W - wi)
			}
		}
	}
	const n = 40000
	for _, mode := range []string{"order", "lazy"} {
		rng := rand.New(rand.NewPCG(1, 2))
		env := &Env{Rand: rng.Float64}
		first, pair := map[string]int{}, map[string]int{}
		for range n {
			c := weightedCands(w...)
			if mode == "order" {
				weighted{}.Order(c, env)
			} else {
				lazyOrderOf(c, env)
			}
			idx := func(k int) int { return int(c[k].Provider[0] - 'a') }
			first[fmt.Sprint(idx(0))]++
			pair[fmt.Sprint(idx(0), idx(1))]++
			// Weight 0 last, in listed order (c before f).
			if c[4].Provider != "c" || c[5].Provider != "f" {
				t.Fatalf("%s: the targets of weight 0 must come last in listed order: %v", mode, names(c))
			}
		}
		t.Logf("%s: χ² %.1f, %.1f", mode, chi2(first, wantFirst, n), chi2(pair, wantPair, n))
		if x := chi2(first, wantFirst, n); x > 16.27 { // 3 degrees of freedom
			t.Errorf("%s: first places %v: χ² %.1f against the weights", mode, first, x)
		}
		if x := chi2(pair, wantPair, n); x > 31.26 { // 11 degrees of freedom
			t.Errorf("%s: first two places %v: χ² %.1f against the weights", mode, pair, x)
		}
	}
}

func TestWeightedFirstEdgeCases(t *testing.T) {
	// No positive weight: nothing moves.
	c := weightedCands(0, 0, 0)
	weighted{}.First(c, &Env{Rand: seq(0.9)})
	if got := names(c); !slices.Equal(got, []string{"openai:a/m", "openai:b/m", "openai:c/m"}) {
		t.Errorf("order %v", got)
	}
	// A draw at the very top picks the last positive weight, never a 0.
	c = weightedCands(1, 1, 0)
	weighted{}.First(c, &Env{Rand: seq(1)})
	if c[0].Provider != "b" || c[1].Provider != "a" || c[2].Provider != "c" {
		t.Errorf("order %v", names(c))
	}
}

// TestDispatchWeightedTriesEachCandidateOnce: Dispatch places the weighted
// candidates one at a time; when all fail, each was tried exactly once.
func TestDispatchWeightedTriesEachCandidateOnce(t *testing.T) {
	src := &fakeSource{plugins: map[string]bool{"openai": true}, models: map[string][]Target{}}
	for i := range 12 {
		src.models["m"] = append(src.models["m"], Target{Plugin: "openai", Provider: fmt.Sprintf("p%02d", i), Model: "m"})
	}
	rng := rand.New(rand.NewPCG(3, 4))
	d := New(config.Routing{Strategy: StrategyWeighted, Retry: config.Retry{MaxAttempts: 1}}, Options{Log: quiet, Rand: rng.Float64})
	for range 20 {
		s := &script{errs: map[string][]error{}}
		for _, tt := range src.models["m"] {
			s.errs[tt.String()] = []error{types.Errorf(types.CodeModelNotFound, "not here")}
		}
		c := &Call{Service: "chat", Model: "m"}
		if err := d.Dispatch(context.Background(), src, c, s.handler); types.ErrorCode(err) != types.CodeModelNotFound {
			t.Fatalf("err %v", err)
		}
		got := slices.Clone(s.calls)
		slices.Sort(got)
		if len(got) != 12 || len(slices.Compact(got)) != 12 {
			t.Fatalf("calls %v: want each of the 12 targets once", s.calls)
		}
	}
}

// TestOrderCallsEveryStrategy: order (which calls the package's strategies
// directly, so that Env does not escape) gives what each strategy's Order
// gives: a strategy added to the map but not to order's switch fails here.
func TestOrderCallsEveryStrategy(t *testing.T) {
	clk := newFakeClock()
	stats := NewStats(clk.Now, BreakerSettings{Failures: 1}, nil)
	for i, spec := range []string{"openai:a/m", "openai:b/m", "openai:c/m"} {
		tt, _ := ParseTarget(spec)
		stats.Get(tt).Observe(clk.Now(), i != 1, time.Duration(300-100*i)*time.Millisecond)
	}
	mk := func() []Candidate {
		c := cands("openai:a/m", "openai:b/m", "openai:c/m", "ollama/m")
		c[0].Weight, c[1].Weight, c[2].Weight, c[3].Weight = 1, 2, 3, 4
		return c
	}
	for name, st := range strategies {
		env := func() *Env {
			return &Env{Now: clk.Now(), Stats: stats, Rand: seq(0.9, 0.1, 0.5, 0.3), Turn: func() uint64 { return 2 },
				Price: prices{"openai:a/m": {3, 3}, "openai:b/m": {1, 1}, "openai:c/m": {2, 2}},
				Quota: quotas{"openai:a/m": 0.9, "openai:b/m": 0.1, "openai:c/m": 0.5}}
		}
		direct, via := mk(), mk()
		st.Order(direct, env())
		order(st, via, env())
		if !slices.Equal(names(direct), names(via)) {
			t.Errorf("%s: order gave %v, Order gives %v", name, names(via), names(direct))
		}
		if name != StrategyPriority && slices.Equal(names(direct), names(mk())) {
			t.Errorf("%s: the fixture does not make it reorder, so the test cannot tell", name)
		}
	}
}
