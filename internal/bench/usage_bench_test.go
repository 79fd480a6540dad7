package bench_test

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/roundhouse-ai/roundhouse/host/config"
	"github.com/roundhouse-ai/roundhouse/host/meter"
	"github.com/roundhouse-ai/roundhouse/host/metrics"
	"github.com/roundhouse-ai/roundhouse/host/route"
	"github.com/roundhouse-ai/roundhouse/host/usage"
	"github.com/roundhouse-ai/roundhouse/types"
)

func benchMeter(b *testing.B) *meter.Meter {
	b.Helper()
	cfg, err := config.Load("")
	if err != nil {
		b.Fatal(err)
	}
	cfg.DataDir = b.TempDir()
	cfg.Pricing = []config.Price{{Model: "gpt-4o-mini", Input: 0.15, Output: 0.6}}
	cfg.Budgets = []config.Budget{{Name: "day", Window: config.WindowDay, Tokens: 1 << 60},
		{Name: "per-app", Window: config.WindowHour, App: "*", Cost: 1e9}}
	cfg.Cache = config.Cache{Models: []string{"cached-only"}, Size: 1000, TTL: time.Minute}
	m, err := meter.New(context.Background(), cfg, slog.New(slog.NewTextHandler(io.Discard, nil)), metrics.Sources{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { m.Close() })
	return m
}

func usageAnswer(_ context.Context, c *route.Call, _ route.Target) error {
	c.Resp = &types.ChatResponse{Message: types.Message{Content: "Hello there, how can I help?"},
		Usage: &types.Usage{PromptTokens: 20, CompletionTokens: 8, TotalTokens: 28}}
	return nil
}

func benchUsageChain(b *testing.B, h route.Handler) {
	tg := route.Target{Plugin: "openai", Provider: "main", Model: "gpt-4o-mini"}
	req := &types.ChatRequest{Messages: []types.Message{{Role: "system", Content: "You are helpful."},
		{Role: "user", Content: "Say hello in one short sentence, please."}}}
	b.ReportAllocs()
	b.SetParallelism(16) // with GOMAXPROCS 2: 32 goroutines, as make bench's c=32
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			c := &route.Call{Service: "chat", Model: "gpt-4o-mini", Req: req}
			if err := h(context.Background(), c, tg); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// BenchmarkUsageSteps is the cost per request of the metrics, budget,
// usage (record queued to SQLite) and cache (lookup skipped: not opted
// in) steps, compared with BenchmarkUsageNoSteps.
func BenchmarkUsageSteps(b *testing.B) {
	m := benchMeter(b)
	benchUsageChain(b, route.Chain(usageAnswer, m.Steps()...))
	b.StopTimer()
	_ = m.Store.Flush(context.Background())
	if d := m.Store.Dropped(); d > 0 {
		b.ReportMetric(float64(d), "dropped")
	}
}

func BenchmarkUsageNoSteps(b *testing.B) {
	benchUsageChain(b, route.Chain(usageAnswer))
}

// BenchmarkUsageStepsNoStore is BenchmarkUsageSteps with recording off:
// the steps' own cost, without the SQLite writer competing for CPU.
func BenchmarkUsageStepsNoStore(b *testing.B) {
	m := benchMeter(b)
	m.Store.Close()
	m.Store = nil
	m.Recorder = usage.NewRecorder(discardSink{}, m.Prices)
	benchUsageChain(b, route.Chain(usageAnswer, m.Steps()...))
}

type discardSink struct{}

func (discardSink) Add(usage.Record) {}
