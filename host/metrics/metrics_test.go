package metrics

import (
	"context"
	"net/http/httptest"
	"testing"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/roundhouse-ai/roundhouse/host/route"
	"github.com/roundhouse-ai/roundhouse/types"
)

func scrape(t *testing.T, m *Metrics) map[string]*dto.MetricFamily {
	t.Helper()
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(rec.Body)
	if err != nil {
		t.Fatal(err)
	}
	return fams
}

func sum(f *dto.MetricFamily, match map[string]string) float64 {
	total := 0.0
	if f == nil {
		return 0
	}
next:
	for _, m := range f.Metric {
		for k, v := range match {
			found := false
			for _, l := range m.Label {
				if l.GetName() == k && l.GetValue() == v {
					found = true
				}
			}
			if !found {
				continue next
			}
		}
		switch {
		case m.Counter != nil:
			total += m.Counter.GetValue()
		case m.Gauge != nil:
			total += m.Gauge.GetValue()
		case m.Histogram != nil:
			total += float64(m.Histogram.GetSampleCount())
		}
	}
	return total
}

func TestStepAndSources(t *testing.T) {
	m := New([]string{"llama3.2"}, Sources{
		Plugins: func() []PluginState {
			return []PluginState{{Name: "ollama", State: "running", Restarts: 2}}
		},
		Pulls: func() []PullState {
			return []PullState{{State: "running", Completed: 100}, {State: "success", Completed: 50}}
		},
		Budgets: func() []BudgetRatio { return []BudgetRatio{{Name: "daily", Ratio: 0.5}} },
		Targets: func() []TargetState {
			return []TargetState{{Target: "openai:p/bad", BreakerState: "open"}, {Target: "ollama/llama3.2", BreakerState: "closed"}}
		},
	})
	h := route.Chain(func(_ context.Context, c *route.Call, t route.Target) error {
		c.Attempts++
		if t.Model == "bad" {
			return types.Errorf(types.CodeUpstreamError, "boom")
		}
		c.Usage = &types.Usage{PromptTokens: 10, CompletionTokens: 5}
		return c.Send(&types.ChatChunk{Content: "x"})
	}, m.Step())
	call := &route.Call{Service: "chat", Stream: true, Send: func(any) error { return nil }}
	_ = h(context.Background(), call, route.Target{Plugin: "openai", Provider: "p", Model: "bad"})
	_ = h(context.Background(), call, route.Target{Plugin: "ollama", Model: "llama3.2"}) // a fallback
	_ = h(context.Background(), &route.Call{Service: "chat", Send: func(any) error { return nil }},
		route.Target{Plugin: "ollama", Model: "secret-model"})
	m.CacheResult(true)
	m.BudgetAlert("daily", 0.8)
	m.AddCost("openai", "p", "gpt-x", 0.25)

	f := scrape(t, m)
	checks := []struct {
		name  string
		match map[string]string
		want  float64
	}{
		{Requests, nil, 3},
		{Requests, map[string]string{"code": "upstream_error", "provider": "p"}, 1},
		{Requests, map[string]string{"model": "other"}, 2}, // "bad" and "secret-model" are not configured
		{Errors, map[string]string{"code": "upstream_error"}, 1},
		{Latency, nil, 3},
		{TTFT, nil, 2}, // the failure produced no first token
		{Tokens, map[string]string{"direction": "in", "model": "llama3.2"}, 10},
		{Tokens, map[string]string{"direction": "out"}, 10},
		{Fallbacks, nil, 1},
		{CacheResults, map[string]string{"result": "hit"}, 1},
		{BudgetAlerts, map[string]string{"budget": "daily", "threshold": "0.8"}, 1},
		{Cost, map[string]string{"model": "other"}, 0.25},
		{Breaker, nil, 2},
		{PluginUp, map[string]string{"plugin": "ollama", "state": "running"}, 1},
		{PluginRestart, nil, 2},
		{PullBytes, nil, 150},
		{PullsActive, nil, 1},
		{BudgetUsage, map[string]string{"budget": "daily"}, 0.5},
		{StreamsActive, nil, 0},
	}
	for _, c := range checks {
		if got := sum(f[c.name], c.match); got != c.want {
			t.Errorf("%s%v = %v, want %v", c.name, c.match, got, c.want)
		}
	}
}
