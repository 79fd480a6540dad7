package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func loadYAML(t *testing.T, y string) (*Config, error) {
	t.Helper()
	p := filepath.Join(t.TempDir(), "c.yaml")
	if err := os.WriteFile(p, []byte(y), 0o600); err != nil {
		t.Fatal(err)
	}
	return Load(p)
}

func TestRoutingConfig(t *testing.T) {
	c, err := loadYAML(t, `
routing:
  strategy: least_latency
  services: {embed: round_robin}
  groups:
    smart:
      strategy: weighted
      targets:
        - {target: ollama/qwen3:8b, weight: 3}
        - {target: openai:main/gpt-4o-mini}
      canary: {target: openai:main/gpt-4o-mini, percent: 10, window: 2m, margin: 0.1}
  fallbacks:
    gpt-4o: [gpt-4o-mini, ollama/llama3.2]
  breaker: {failures: 3, error_rate: 0.5, window: 30s, open_for: 10s}
  retry: {max_attempts: 2, initial: 100ms, max: 2s, max_elapsed: 10s}
`)
	if err != nil {
		t.Fatal(err)
	}
	r := c.Routing
	if r.Strategy != "least_latency" || r.Services["embed"] != "round_robin" || r.Groups["smart"].Targets[0].Weight != 3 ||
		r.Groups["smart"].Canary.Window != 2*time.Minute || r.Breaker.OpenFor != 10*time.Second || r.Retry.Initial != 100*time.Millisecond ||
		len(r.Fallbacks["gpt-4o"]) != 2 {
		t.Errorf("routing = %+v", r)
	}
	bad := []struct{ yaml, key string }{
		{`routing: {strategy: cheapest}`, "routing.strategy"},
		{`routing: {services: {chat: fastest}}`, "routing.services.chat"},
		{`routing: {groups: {g: {targets: []}}}`, "routing.groups.g.targets"},
		{`routing: {groups: {g: {targets: [{target: nomodel}]}}}`, "routing.groups.g.targets[0].target"},
		{`routing: {groups: {g: {targets: [{target: a/m, weight: -1}]}}}`, "routing.groups.g.targets[0].weight"},
		{`routing: {groups: {g: {targets: [{target: a/m, weight: .inf}]}}}`, "routing.groups.g.targets[0].weight"},
		{`routing: {groups: {g: {targets: [{target: a/m}], canary: {target: b/m, percent: 5}}}}`, "routing.groups.g.canary.target"},
		{`routing: {groups: {g: {targets: [{target: a/m}], canary: {target: a/m, percent: 150}}}}`, "routing.groups.g.canary.percent"},
		{`routing: {groups: {g: {targets: [{target: a/m}], canary: {target: a/m, percent: 5, margin: 2}}}}`, "routing.groups.g.canary.margin"},
		{`routing: {fallbacks: {m: [m]}}`, "routing.fallbacks.m[0]"},
		{`routing: {breaker: {error_rate: 1.5}}`, "routing.breaker.error_rate"},
		{`routing: {breaker: {failures: -1}}`, "routing.breaker.failures"},
		{`routing: {retry: {initial: 5s, max: 1s}}`, "routing.retry.initial"},
		{`routing: {retry: {max_attempts: -1}}`, "routing.retry.max_attempts"},
		{`routing: {idempotency_ttl: -1s}`, "routing.idempotency_ttl"},
	}
	for _, b := range bad {
		_, err := loadYAML(t, b.yaml)
		if err == nil || !strings.HasPrefix(err.Error(), b.key+":") {
			t.Errorf("%s: error %v, want one naming %s", b.yaml, err, b.key)
		}
	}
}
