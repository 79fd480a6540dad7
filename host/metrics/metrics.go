// Package metrics exposes the host's Prometheus metrics on a registry of
// its own (never the global one, so tests and embedders get clean
// state). Labels are bounded: models only from the configured set (others
// count as "other"), plugins and providers from configuration, codes
// from the fixed code names.
package metrics

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/roundhouse-ai/roundhouse/host/route"
	"github.com/roundhouse-ai/roundhouse/types"
)

// Sources are read at scrape time, so the supervisor and the pull
// tracker need no hooks for plugin state, restarts and pulls.
type Sources struct {
	Plugins func() []PluginState
	Pulls   func() []PullState
	// Budgets are (name, app, ratio) triples.
	Budgets func() []BudgetRatio
	// Targets are the dispatch chain's targets with their breakers
	// (GET /v1/routes).
	Targets func() []TargetState
}

// PluginState is what the metrics show of a plugin.
type PluginState struct {
	Name, State string
	Restarts    int
}

// PullState is what the metrics show of a pull, push or create.
type PullState struct {
	State     string
	Completed int64
}

// TargetState is a dispatch target and its breaker's state.
type TargetState struct {
	Target, BreakerState string
}

// BudgetRatio is one budget's usage ratio now.
type BudgetRatio struct {
	Name, App string
	Ratio     float64
}

// Metrics is the registry and its families.
type Metrics struct {
	reg   *prometheus.Registry
	known map[string]bool

	requests  *prometheus.CounterVec
	errors    *prometheus.CounterVec
	latency   *prometheus.HistogramVec
	ttft      *prometheus.HistogramVec
	tokens    *prometheus.CounterVec
	cost      *prometheus.CounterVec
	retries   *prometheus.CounterVec
	fallbacks *prometheus.CounterVec
	cache     *prometheus.CounterVec
	alerts    *prometheus.CounterVec
	streams   prometheus.Gauge
}

// Names of the families, for tests and docs.
const (
	Requests      = "roundhouse_requests_total"
	Errors        = "roundhouse_request_errors_total"
	Latency       = "roundhouse_request_duration_seconds"
	TTFT          = "roundhouse_time_to_first_token_seconds"
	Tokens        = "roundhouse_tokens_total"
	Cost          = "roundhouse_cost_usd_total"
	Retries       = "roundhouse_retries_total"
	Fallbacks     = "roundhouse_fallbacks_total"
	Breaker       = "roundhouse_breaker_state"
	CacheResults  = "roundhouse_cache_requests_total"
	BudgetUsage   = "roundhouse_budget_usage_ratio"
	BudgetAlerts  = "roundhouse_budget_alerts_total"
	PluginUp      = "roundhouse_plugin_state"
	PluginRestart = "roundhouse_plugin_restarts_total"
	PullBytes     = "roundhouse_pull_bytes"
	PullsActive   = "roundhouse_pulls_active"
	StreamsActive = "roundhouse_streams_active"
)

// New builds the registry. knownModels bounds the model label.
func New(knownModels []string, src Sources) *Metrics {
	m := &Metrics{reg: prometheus.NewRegistry(), known: map[string]bool{}}
	for _, k := range knownModels {
		m.known[k] = true
	}
	svc := []string{"service", "plugin", "provider"}
	m.requests = prometheus.NewCounterVec(prometheus.CounterOpts{Name: Requests,
		Help: "Service call attempts by service, plugin, provider, model and outcome code."}, append(svc, "model", "code"))
	m.errors = prometheus.NewCounterVec(prometheus.CounterOpts{Name: Errors,
		Help: "Failed service call attempts by service, plugin, provider and code."}, append(svc, "code"))
	buckets := []float64{.01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60, 120}
	m.latency = prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: Latency,
		Help: "Service call attempt latency.", Buckets: buckets}, svc)
	m.ttft = prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: TTFT,
		Help: "Time to the first streamed chunk (or the whole answer).", Buckets: buckets}, svc)
	m.tokens = prometheus.NewCounterVec(prometheus.CounterOpts{Name: Tokens,
		Help: "Tokens by direction (in, out), plugin, provider and model; estimated ones included."}, []string{"direction", "plugin", "provider", "model"})
	m.cost = prometheus.NewCounterVec(prometheus.CounterOpts{Name: Cost,
		Help: "Cost in USD of priced calls."}, []string{"plugin", "provider", "model"})
	m.retries = prometheus.NewCounterVec(prometheus.CounterOpts{Name: Retries,
		Help: "Retries of a call on the same target."}, []string{"service"})
	m.fallbacks = prometheus.NewCounterVec(prometheus.CounterOpts{Name: Fallbacks,
		Help: "Calls that moved on to another target."}, []string{"service"})
	m.cache = prometheus.NewCounterVec(prometheus.CounterOpts{Name: CacheResults,
		Help: "Response cache lookups by result (hit, miss)."}, []string{"result"})
	m.alerts = prometheus.NewCounterVec(prometheus.CounterOpts{Name: BudgetAlerts,
		Help: "Budget threshold alerts raised."}, []string{"budget", "threshold"})
	m.streams = prometheus.NewGauge(prometheus.GaugeOpts{Name: StreamsActive, Help: "Streams being served now."})
	for _, c := range []prometheus.Collector{m.requests, m.errors, m.latency, m.ttft, m.tokens, m.cost, m.retries,
		m.fallbacks, m.cache, m.alerts, m.streams, &sourceCollector{src: src},
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{})} {
		m.reg.MustRegister(c)
	}
	// Counters exist from the start, so a scrape shows 0, not nothing.
	m.cache.WithLabelValues("hit")
	m.cache.WithLabelValues("miss")
	for _, s := range types.ServiceNames {
		m.retries.WithLabelValues(s)
		m.fallbacks.WithLabelValues(s)
	}
	return m
}

// Registry is the registry (tests, embedders).
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// Handler serves the metrics in the Prometheus exposition formats.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg, Timeout: 10 * time.Second})
}

// model is the model label: the name when configured, else "other".
func (m *Metrics) model(name string) string {
	if m.known[name] {
		return name
	}
	return "other"
}

// CacheResult counts a cache lookup (cache.Cache.OnResult).
func (m *Metrics) CacheResult(hit bool) {
	if hit {
		m.cache.WithLabelValues("hit").Inc()
	} else {
		m.cache.WithLabelValues("miss").Inc()
	}
}

// BudgetAlert counts an alert (budget.Notifier.OnAlert).
func (m *Metrics) BudgetAlert(budget string, threshold float64) {
	m.alerts.WithLabelValues(budget, strconv.FormatFloat(threshold, 'f', -1, 64)).Inc()
}

// Retry and Fallback are for a caller that counts them itself; Step
// derives them from Call.Attempts.
func (m *Metrics) Retry(service string)    { m.retries.WithLabelValues(service).Inc() }
func (m *Metrics) Fallback(service string) { m.fallbacks.WithLabelValues(service).Inc() }

// Step is the route.Middleware; it runs outermost of the usage steps so
// it sees the usage, cache hit and outcome of each attempt.
func (m *Metrics) Step() route.Middleware {
	return func(next route.Handler) route.Handler {
		return func(ctx context.Context, c *route.Call, t route.Target) error {
			begin := time.Now()
			before := c.Attempts
			if before > 0 {
				// An earlier attempt of this call went to another target.
				m.fallbacks.WithLabelValues(c.Service).Inc()
			}
			var first time.Time
			if c.Stream {
				m.streams.Inc()
				defer m.streams.Dec()
				if c.Send != nil {
					orig := c.Send
					c.Send = func(ch any) error {
						if first.IsZero() {
							first = time.Now()
						}
						return orig(ch)
					}
					defer func() { c.Send = orig }()
				}
			}
			err := next(ctx, c, t)
			end := time.Now()
			if n := c.Attempts - before; n > 1 {
				m.retries.WithLabelValues(c.Service).Add(float64(n - 1))
			}
			code := types.ErrorCode(err).String()
			model := m.model(t.Model)
			m.requests.WithLabelValues(c.Service, t.Plugin, t.Provider, model, code).Inc()
			if err != nil {
				m.errors.WithLabelValues(c.Service, t.Plugin, t.Provider, code).Inc()
			}
			m.latency.WithLabelValues(c.Service, t.Plugin, t.Provider).Observe(end.Sub(begin).Seconds())
			switch {
			case !first.IsZero():
				m.ttft.WithLabelValues(c.Service, t.Plugin, t.Provider).Observe(first.Sub(begin).Seconds())
			case err == nil:
				m.ttft.WithLabelValues(c.Service, t.Plugin, t.Provider).Observe(end.Sub(begin).Seconds())
			}
			if u := c.Usage; u != nil && !c.CacheHit {
				m.tokens.WithLabelValues("in", t.Plugin, t.Provider, model).Add(float64(u.PromptTokens))
				m.tokens.WithLabelValues("out", t.Plugin, t.Provider, model).Add(float64(u.CompletionTokens))
			}
			return err
		}
	}
}

// AddCost counts a priced call's cost (the usage recorder's hook).
func (m *Metrics) AddCost(plugin, provider, model string, usd float64) {
	if usd > 0 {
		m.cost.WithLabelValues(plugin, provider, m.model(model)).Add(usd)
	}
}

// sourceCollector reads plugin, pull and budget state at scrape time.
type sourceCollector struct{ src Sources }

var (
	descPlugin   = prometheus.NewDesc(PluginUp, "Plugin state: 1 for the state the plugin is in.", []string{"plugin", "state"}, nil)
	descRestarts = prometheus.NewDesc(PluginRestart, "Restarts of a plugin by the supervisor.", []string{"plugin"}, nil)
	descPullB    = prometheus.NewDesc(PullBytes, "Bytes downloaded by the pulls the host tracks.", nil, nil)
	descPulls    = prometheus.NewDesc(PullsActive, "Model pulls, pushes and creates running now.", nil, nil)
	descBudget   = prometheus.NewDesc(BudgetUsage, "Budget usage in its current window (1 = used up).", []string{"budget", "app"}, nil)
	descBreaker  = prometheus.NewDesc(Breaker, "Circuit breaker state per target: 0 closed, 1 half-open, 2 open.", []string{"target"}, nil)
)

// breakerValue maps a breaker state name to the gauge's value.
func breakerValue(state string) float64 {
	switch state {
	case "open":
		return 2
	case "half_open":
		return 1
	}
	return 0
}

func (s *sourceCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- descPlugin
	ch <- descRestarts
	ch <- descPullB
	ch <- descPulls
	ch <- descBudget
	ch <- descBreaker
}

func (s *sourceCollector) Collect(ch chan<- prometheus.Metric) {
	if s.src.Plugins != nil {
		for _, p := range s.src.Plugins() {
			ch <- prometheus.MustNewConstMetric(descPlugin, prometheus.GaugeValue, 1, p.Name, p.State)
			ch <- prometheus.MustNewConstMetric(descRestarts, prometheus.CounterValue, float64(p.Restarts), p.Name)
		}
	}
	if s.src.Pulls != nil {
		var bytes, active float64
		for _, p := range s.src.Pulls() {
			bytes += float64(p.Completed)
			if p.State == "running" {
				active++
			}
		}
		ch <- prometheus.MustNewConstMetric(descPullB, prometheus.GaugeValue, bytes)
		ch <- prometheus.MustNewConstMetric(descPulls, prometheus.GaugeValue, active)
	}
	if s.src.Budgets != nil {
		for _, b := range s.src.Budgets() {
			ch <- prometheus.MustNewConstMetric(descBudget, prometheus.GaugeValue, b.Ratio, b.Name, b.App)
		}
	}
	if s.src.Targets != nil {
		for _, t := range s.src.Targets() {
			ch <- prometheus.MustNewConstMetric(descBreaker, prometheus.GaugeValue, breakerValue(t.BreakerState), t.Target)
		}
	}
}
