package meter

import (
	"context"
	"io"
	"log/slog"
	"sync/atomic"
	"testing"
	"time"

	"github.com/roundhouse-ai/roundhouse/host/config"
	"github.com/roundhouse-ai/roundhouse/host/metrics"
	"github.com/roundhouse-ai/roundhouse/host/route"
	"github.com/roundhouse-ai/roundhouse/types"
)

// A reload turns the cache on, re-prices, and turns the cache off again,
// on a chain built once (as the host builds it).
func TestReconfigureCacheAndPrices(t *testing.T) {
	cfg, err := config.Load("")
	if err != nil {
		t.Fatal(err)
	}
	cfg.DataDir = t.TempDir()
	cfg.Usage.Disabled = true
	m, err := New(context.Background(), cfg, slog.New(slog.NewTextHandler(io.Discard, nil)), metrics.Sources{})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	var reached atomic.Int32
	h := route.Chain(func(_ context.Context, c *route.Call, _ route.Target) error {
		reached.Add(1)
		c.Resp = &types.ChatResponse{Message: types.Message{Content: "a"}, Usage: &types.Usage{PromptTokens: 3, CompletionTokens: 2, TotalTokens: 5}}
		return nil
	}, m.Steps()...)
	tg := route.Target{Plugin: "openai", Provider: "p", Model: "m"}
	ask := func() {
		z := 0.0
		req := &types.ChatRequest{Model: "m", Messages: []types.Message{{Role: "user", Content: "q"}}, Options: &types.Options{Temperature: &z}}
		if err := h(context.Background(), &route.Call{Service: "chat", Model: "m", Req: req}, tg); err != nil {
			t.Fatal(err)
		}
	}
	ask()
	ask()
	if reached.Load() != 2 || m.Cache() != nil {
		t.Fatalf("no cache configured: reached %d", reached.Load())
	}
	if _, _, ok := m.Prices.Price(tg); ok {
		t.Fatal("a price before any was configured")
	}

	next := *cfg
	next.Cache = config.Cache{Services: []string{"chat"}, Size: 10, TTL: time.Hour}
	next.Pricing = []config.Price{{Model: "m", Input: 1, Output: 2}}
	if err := m.Reconfigure(context.Background(), &next); err != nil {
		t.Fatal(err)
	}
	ask()
	ask()
	if reached.Load() != 3 {
		t.Fatalf("with the cache reloaded on, the second ask reached the plugin: %d", reached.Load())
	}
	if in, out, ok := m.Prices.Price(tg); !ok || in != 1 || out != 2 {
		t.Fatalf("price after the reload: %v %v %v", in, out, ok)
	}
	before := m.Cache()
	if err := m.Reconfigure(context.Background(), &next); err != nil || m.Cache() != before {
		t.Fatalf("an unchanged cache config replaced the cache: %v", err)
	}

	off := next
	off.Cache = config.Cache{}
	if err := m.Reconfigure(context.Background(), &off); err != nil {
		t.Fatal(err)
	}
	ask()
	if reached.Load() != 4 || m.Cache() != nil {
		t.Fatalf("with the cache reloaded off: reached %d", reached.Load())
	}
}
