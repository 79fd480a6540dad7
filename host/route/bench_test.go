package route

import (
	"context"
	"fmt"
	"testing"

	"github.com/roundhouse-ai/roundhouse/host/config"
)

// BenchmarkDispatchDecision measures what the chain adds before a call:
// parse the wishes, resolve 100 targets, order them and take the chain,
// for the strategies that read per-target state. Target: ≤ 5 µs and ≤ 20
// allocations per request. It runs what Dispatch runs: weighted places
// only the first candidate (the next is drawn when one fails).
func BenchmarkDispatchDecision(b *testing.B) {
	src := &fakeSource{plugins: map[string]bool{"openai": true}, models: map[string][]Target{}}
	for i := range 100 {
		src.models["m"] = append(src.models["m"], Target{Plugin: "openai", Provider: fmt.Sprintf("p%02d", i), Model: "m"})
	}
	for _, strategy := range []string{StrategyPriority, StrategyRoundRobin, StrategyLeastLatency, StrategyHealth, StrategyWeighted} {
		b.Run(strategy, func(b *testing.B) {
			d := New(config.Routing{Strategy: strategy}, Options{Log: quiet})
			for _, t := range src.models["m"] {
				d.Stats().Get(t) // every target has been seen
			}
			dst := make([]Candidate, 0, 128)
			last := func(context.Context, *Call, Target) error { return nil }
			ctx := context.Background()
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				c := Call{Service: "chat", Model: "m"}
				cands, _, err := d.decide(ctx, src, &c, dst[:0], true)
				if err != nil || len(cands) != 100 {
					b.Fatal(err, len(cands))
				}
				c.last = last
				_ = *d.chain.Load()
			}
		})
	}
}
