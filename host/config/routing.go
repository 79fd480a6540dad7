package config

import (
	"fmt"
	"math"
	"strings"
	"time"
)

// Routing configures the dispatch chain (host/route): how the candidates
// for a request are ordered, model groups and fallbacks, the circuit
// breaker per target and retries. Every key is optional.
type Routing struct {
	// Strategy orders the candidates of every service: priority (local
	// first, then the listed order; the default), round_robin, weighted,
	// least_latency, lowest_price, least_quota_used, health.
	Strategy string `yaml:"strategy"`
	// Services sets the strategy per service ("chat: least_latency").
	Services map[string]string `yaml:"services"`
	// Groups are virtual model names mapping to targets
	// ("smart: {targets: [{target: ollama/qwen3:8b}, {target: openai:main/gpt-4o-mini}]}").
	Groups map[string]RouteGroup `yaml:"groups"`
	// Fallbacks lists, per model, what to try when every target of the
	// model failed: other models ("gpt-4o-mini") or targets
	// ("openai:backup/gpt-4o-mini"), in order.
	Fallbacks map[string][]string `yaml:"fallbacks"`
	Breaker   Breaker             `yaml:"breaker"`
	Retry     Retry               `yaml:"retry"`
	// IdempotencyTTL is how long the answer to a request with an
	// Idempotency-Key header is kept for a repeat (default 5m).
	IdempotencyTTL time.Duration `yaml:"idempotency_ttl"`
}

// RouteGroup is one model group.
type RouteGroup struct {
	// Strategy orders the group's targets (default: the routing strategy
	// of the service; priority keeps the listed order).
	Strategy string        `yaml:"strategy"`
	Targets  []GroupTarget `yaml:"targets"`
	// Canary sends Percent of the group's requests to one of its
	// targets and rolls it back (weight 0) when it fails more than the
	// others.
	Canary *Canary `yaml:"canary"`
}

// GroupTarget is one target of a group: "plugin/model" or
// "plugin:provider/model", with a weight for the weighted strategy.
type GroupTarget struct {
	Target string  `yaml:"target"`
	Weight float64 `yaml:"weight"`
}

// Canary is a percentage split towards one target of a group.
type Canary struct {
	// Target is one of the group's targets.
	Target string `yaml:"target"`
	// Percent of the group's requests go to the canary first (0-100).
	Percent float64 `yaml:"percent"`
	// Window over which error rates are compared (default 1m).
	Window time.Duration `yaml:"window"`
	// Margin: rolled back when the canary's error rate exceeds the stable
	// targets' by more than this (0-1; default 0.2).
	Margin float64 `yaml:"margin"`
	// MinRequests the canary must have had in the window before it can be
	// judged (default 5).
	MinRequests int `yaml:"min_requests"`
}

// Breaker is the circuit breaker per target.
type Breaker struct {
	// Failures in a row that open it (default 5; 0 = default).
	Failures int `yaml:"failures"`
	// ErrorRate over Window that opens it (0-1; 0 = off), counted once
	// the window has MinRequests.
	ErrorRate   float64       `yaml:"error_rate"`
	Window      time.Duration `yaml:"window"`
	MinRequests int           `yaml:"min_requests"`
	// OpenFor is how long it stays open before one probe (default 30s).
	OpenFor time.Duration `yaml:"open_for"`
}

// Retry bounds retries of retryable failures on one target.
type Retry struct {
	// MaxAttempts per target, the first included (default 3; 1 = none).
	MaxAttempts int `yaml:"max_attempts"`
	// Initial and Max bound the exponential backoff (full jitter);
	// defaults 200ms and 5s.
	Initial time.Duration `yaml:"initial"`
	Max     time.Duration `yaml:"max"`
	// MaxElapsed bounds the retries on one target (default 30s).
	MaxElapsed time.Duration `yaml:"max_elapsed"`
}

// Strategies are the names routing.strategy accepts.
var Strategies = []string{"priority", "round_robin", "weighted", "least_latency", "lowest_price", "least_quota_used", "health"}

func validStrategy(s string) bool {
	for _, n := range Strategies {
		if s == n {
			return true
		}
	}
	return false
}

// ValidTargetSpec checks "plugin/model" or "plugin:provider/model".
func ValidTargetSpec(s string) error {
	head, model, ok := strings.Cut(s, "/")
	if !ok || head == "" || model == "" {
		return fmt.Errorf("%q must be plugin/model or plugin:provider/model", s)
	}
	if p, prov, has := strings.Cut(head, ":"); p == "" || (has && prov == "") {
		return fmt.Errorf("%q must be plugin/model or plugin:provider/model", s)
	}
	return nil
}

// Validate checks the routing keys, naming the key at fault.
func (r *Routing) Validate() error {
	strat := func(key, s string) error {
		if s != "" && !validStrategy(s) {
			return fmt.Errorf("%s: unknown strategy %q (want one of %s)", key, s, strings.Join(Strategies, ", "))
		}
		return nil
	}
	if err := strat("routing.strategy", r.Strategy); err != nil {
		return err
	}
	for svc, s := range r.Services {
		if err := strat("routing.services."+svc, s); err != nil {
			return err
		}
	}
	for name, g := range r.Groups {
		key := "routing.groups." + name
		if name == "" || strings.ContainsAny(name, "/ ") {
			return fmt.Errorf("routing.groups: %q is not a valid group name (no '/' or spaces)", name)
		}
		if err := strat(key+".strategy", g.Strategy); err != nil {
			return err
		}
		if len(g.Targets) == 0 {
			return fmt.Errorf("%s.targets: required: at least one target", key)
		}
		has := map[string]bool{}
		for i, t := range g.Targets {
			if err := ValidTargetSpec(t.Target); err != nil {
				return fmt.Errorf("%s.targets[%d].target: %v", key, i, err)
			}
			if !(t.Weight >= 0) || math.IsInf(t.Weight, 1) {
				return fmt.Errorf("%s.targets[%d].weight: must be a finite number, 0 or more", key, i)
			}
			has[t.Target] = true
		}
		if c := g.Canary; c != nil {
			if !has[c.Target] {
				return fmt.Errorf("%s.canary.target: %q is not one of the group's targets", key, c.Target)
			}
			if !(c.Percent > 0 && c.Percent <= 100) {
				return fmt.Errorf("%s.canary.percent: must be in (0, 100], got %g", key, c.Percent)
			}
			if c.Window < 0 {
				return fmt.Errorf("%s.canary.window: must not be negative", key)
			}
			if !(c.Margin >= 0 && c.Margin <= 1) {
				return fmt.Errorf("%s.canary.margin: must be between 0 and 1, got %g", key, c.Margin)
			}
			if c.MinRequests < 0 {
				return fmt.Errorf("%s.canary.min_requests: must not be negative", key)
			}
		}
	}
	for model, list := range r.Fallbacks {
		if model == "" {
			return fmt.Errorf("routing.fallbacks: a model name is required as the key")
		}
		for i, f := range list {
			if f == "" || f == model {
				return fmt.Errorf("routing.fallbacks.%s[%d]: %q must name another model or a target", model, i, f)
			}
		}
	}
	b := r.Breaker
	switch {
	case b.Failures < 0:
		return fmt.Errorf("routing.breaker.failures: must not be negative")
	case !(b.ErrorRate >= 0 && b.ErrorRate <= 1):
		return fmt.Errorf("routing.breaker.error_rate: must be between 0 and 1, got %g", b.ErrorRate)
	case b.Window < 0:
		return fmt.Errorf("routing.breaker.window: must not be negative")
	case b.OpenFor < 0:
		return fmt.Errorf("routing.breaker.open_for: must not be negative")
	case b.MinRequests < 0:
		return fmt.Errorf("routing.breaker.min_requests: must not be negative")
	}
	rt := r.Retry
	switch {
	case rt.MaxAttempts < 0:
		return fmt.Errorf("routing.retry.max_attempts: must not be negative (1 = no retry)")
	case rt.Initial < 0, rt.Max < 0, rt.MaxElapsed < 0:
		return fmt.Errorf("routing.retry: initial, max and max_elapsed must not be negative")
	case rt.Max > 0 && rt.Initial > rt.Max:
		return fmt.Errorf("routing.retry.initial: %s is above routing.retry.max %s", rt.Initial, rt.Max)
	}
	if r.IdempotencyTTL < 0 {
		return fmt.Errorf("routing.idempotency_ttl: must not be negative")
	}
	return nil
}
