package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestUsageKeysValidate(t *testing.T) {
	cases := []struct{ yaml, want string }{
		{"usage: {batch: 0}", "usage.batch"},
		{"usage: {retention: -1h}", "usage.retention"},
		{"pricing: [{input: 1}]", "pricing[0].model"},
		{"pricing: [{model: m, input: -1}]", "pricing[0]"},
		{"budgets: [{name: a, window: week, tokens: 1}]", "budgets[0].window"},
		{"budgets: [{name: a, window: month, tokens: 1}]", "budgets[0].tokens"},
		{"budgets: [{name: a, window: day}]", "set tokens or cost"},
		{"budgets: [{name: a, window: day, cost: 1}, {name: a, window: hour, cost: 1}]", "budgets[1].name"},
		{"alerts: {thresholds: [0]}", "alerts.thresholds[0]"},
		{"alerts: {webhook: {url: 'ftp://x'}}", "alerts.webhook.url"},
		{"cache: {services: [chatty]}", "cache.services[0]"},
		{"cache: {services: [chat], size: 0}", "cache.size"},
		{"metrics: {listen: '0.0.0.0:9090'}", "metrics.listen"},
	}
	for _, c := range cases {
		t.Run(c.want, func(t *testing.T) {
			p := filepath.Join(t.TempDir(), "c.yaml")
			if err := os.WriteFile(p, []byte(c.yaml), 0o600); err != nil {
				t.Fatal(err)
			}
			_, err := Load(p)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("Load(%q) = %v, want an error naming %s", c.yaml, err, c.want)
			}
		})
	}
}

func TestUsageKeysDefaults(t *testing.T) {
	p := filepath.Join(t.TempDir(), "c.yaml")
	yaml := "data_dir: " + filepath.Dir(p) + "\npricing: [{model: gpt-4o-mini, input: 0.15, output: 0.6}]\n" +
		"budgets: [{name: daily, window: day, cost: 5, model: big}]\ncache: {models: [small]}\n"
	if err := os.WriteFile(p, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := Load(p)
	if err != nil {
		t.Fatal(err)
	}
	if got := c.UsagePath(); got != filepath.Join(filepath.Dir(p), "usage.db") {
		t.Errorf("UsagePath = %s", got)
	}
	if c.Usage.Batch != 64 || c.Cache.Size != 1000 || len(c.Alerts.Thresholds) != 2 {
		t.Errorf("defaults not applied: %+v %+v %+v", c.Usage, c.Cache, c.Alerts)
	}
	if got := strings.Join(c.KnownModels(), ","); got != "gpt-4o-mini,big,small" {
		t.Errorf("KnownModels = %s", got)
	}
}
