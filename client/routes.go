package client

import (
	"context"
	"net/http"
	"time"
)

// RouteTable is GET /v1/routes: how the host routes requests — the
// default and per-service strategies, model groups (with canaries),
// fallbacks, and every known target with its circuit breaker, health
// score and latency.
type RouteTable struct {
	Strategy  string              `json:"strategy"`
	Services  map[string]string   `json:"services,omitempty"`
	Groups    []RouteGroup        `json:"groups"`
	Fallbacks map[string][]string `json:"fallbacks,omitempty"`
	Targets   []RouteTarget       `json:"targets"`
}

// RouteGroup is one model group: a virtual model name over targets.
type RouteGroup struct {
	Name     string             `json:"name"`
	Strategy string             `json:"strategy,omitempty"`
	Targets  []RouteGroupTarget `json:"targets"`
	Canary   *RouteCanary       `json:"canary,omitempty"`
}

// RouteGroupTarget is one target of a group ("plugin:provider/model")
// and its weight now (a rolled-back canary shows 0).
type RouteGroupTarget struct {
	Target string  `json:"target"`
	Weight float64 `json:"weight"`
}

// RouteCanary is a group's canary split.
type RouteCanary struct {
	Target string `json:"target"`
	// Percent is the configured share; Weight the share in force (0 once
	// rolled back).
	Percent    float64    `json:"percent"`
	Weight     float64    `json:"weight"`
	RolledBack bool       `json:"rolled_back"`
	RolledAt   *time.Time `json:"rolled_back_at,omitempty"`
	Reason     string     `json:"reason,omitempty"`
	// Error rates over the canary window, and the canary's requests.
	CanaryErrorRate float64 `json:"canary_error_rate"`
	StableErrorRate float64 `json:"stable_error_rate"`
	CanaryRequests  int     `json:"canary_requests"`
}

// RouteTarget is one target (plugin, provider instance, model) and what
// the host has seen of it.
type RouteTarget struct {
	Target   string       `json:"target"`
	Plugin   string       `json:"plugin"`
	Provider string       `json:"provider,omitempty"`
	Model    string       `json:"model"`
	Breaker  RouteBreaker `json:"breaker"`
	// Health is the score in [0, 1] the health strategy orders by.
	Health float64 `json:"health"`
	// LatencyMS is the smoothed latency (time to first token for
	// streams); 0 before the first call.
	LatencyMS float64 `json:"latency_ms"`
	// ErrorRate and Requests are over the stats window.
	ErrorRate float64 `json:"error_rate"`
	Requests  int     `json:"requests"`
}

// RouteBreaker is a target's circuit breaker: closed, open or half_open,
// with its counts.
type RouteBreaker struct {
	State               string     `json:"state"`
	Requests            uint64     `json:"requests"`
	Successes           uint64     `json:"successes"`
	Failures            uint64     `json:"failures"`
	ConsecutiveFailures int        `json:"consecutive_failures"`
	WindowRequests      int        `json:"window_requests"`
	WindowFailures      int        `json:"window_failures"`
	OpenUntil           *time.Time `json:"open_until,omitempty"`
}

// Routes returns the host's routing table (GET /v1/routes).
func (c *Client) Routes(ctx context.Context) (*RouteTable, error) {
	var out RouteTable
	return &out, c.call(ctx, http.MethodGet, "/v1/routes", nil, &out)
}
