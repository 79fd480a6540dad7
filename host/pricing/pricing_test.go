package pricing

import (
	"math"
	"testing"

	"github.com/roundhouse-ai/roundhouse/host/config"
	"github.com/roundhouse-ai/roundhouse/host/route"
)

func table() *Table {
	return New([]config.Price{
		{Model: "gpt-4o-mini", Input: 0.15, Output: 0.60},
		{Model: "gpt-4o-mini", Plugin: "openai", Provider: "azure", Input: 0.165, Output: 0.66},
		{Model: "gpt-4o-mini", Plugin: "other", Input: 1, Output: 2},
		{Model: "llama3.2", Plugin: "ollama", Input: 0.01, Output: 0.02},
	})
}

func TestCost(t *testing.T) {
	cases := []struct {
		name    string
		t       route.Target
		in, out int
		want    *float64
	}{
		// 1000×0.15/1e6 + 500×0.60/1e6 = 0.00015 + 0.0003
		{"model entry", route.Target{Plugin: "openai", Provider: "main", Model: "gpt-4o-mini"}, 1000, 500, ptr(0.00045)},
		// the provider entry wins: 1e6×0.165/1e6 + 1e6×0.66/1e6
		{"provider entry wins", route.Target{Plugin: "openai", Provider: "azure", Model: "gpt-4o-mini"}, 1e6, 1e6, ptr(0.825)},
		{"plugin entry wins", route.Target{Plugin: "other", Model: "gpt-4o-mini"}, 2e6, 1e6, ptr(4)},
		{"unknown remote is nil", route.Target{Plugin: "openai", Model: "gpt-5"}, 10, 10, nil},
		{"local is free", route.Target{Plugin: "ollama", Model: "qwen3", Local: true}, 1e6, 1e6, ptr(0)},
		// a local model with a price (electricity, say) uses it
		{"priced local", route.Target{Plugin: "ollama", Model: "llama3.2", Local: true}, 1e6, 5e5, ptr(0.02)},
		{"zero tokens", route.Target{Plugin: "openai", Model: "gpt-4o-mini"}, 0, 0, ptr(0)},
	}
	p := table()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := p.Cost(c.t, c.in, c.out)
			switch {
			case c.want == nil && got != nil:
				t.Fatalf("cost = %v, want nil (unknown)", *got)
			case c.want != nil && got == nil:
				t.Fatalf("cost = nil, want %v", *c.want)
			case c.want != nil && math.Abs(*got-*c.want) > 1e-12:
				t.Fatalf("cost = %.12f, want %.12f", *got, *c.want)
			}
		})
	}
}

func TestPriceSource(t *testing.T) {
	in, out, ok := table().Price(route.Target{Plugin: "openai", Provider: "azure", Model: "gpt-4o-mini"})
	if !ok || in != 0.165 || out != 0.66 {
		t.Fatalf("Price = %v %v %v", in, out, ok)
	}
	if _, _, ok := table().Price(route.Target{Plugin: "x", Model: "unknown"}); ok {
		t.Fatal("unknown model has a price")
	}
}

func ptr(f float64) *float64 { return &f }
