// Package meter assembles the host's accounting steps from the config:
// the usage recorder and its store, pricing, budgets with alerts, the
// response cache and metrics. Steps returns them in the order they must
// run on the dispatch chain.
package meter

import (
	"context"
	"errors"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/roundhouse-ai/roundhouse/host/budget"
	"github.com/roundhouse-ai/roundhouse/host/cache"
	"github.com/roundhouse-ai/roundhouse/host/config"
	"github.com/roundhouse-ai/roundhouse/host/metrics"
	"github.com/roundhouse-ai/roundhouse/host/pricing"
	"github.com/roundhouse-ai/roundhouse/host/route"
	"github.com/roundhouse-ai/roundhouse/host/usage"
)

// Meter holds the accounting parts. Store is nil when recording is off.
type Meter struct {
	Store    *usage.Store
	Recorder *usage.Recorder
	Prices   *pricing.Table
	Budgets  *budget.Manager
	Metrics  *metrics.Metrics
	notifier *budget.Notifier
	// cache is the response cache in force (nil when off); a reload
	// replaces it whole (Reconfigure), emptied.
	cache    atomic.Pointer[cache.Cache]
	cacheCfg config.Cache // the config the cache was built from (reloads only)
}

// Cache is the response cache in force, nil when off.
func (m *Meter) Cache() *cache.Cache { return m.cache.Load() }

// setCache builds the cache of cfg (nil when off) and puts it in force.
func (m *Meter) setCache(cfg config.Cache) {
	m.cacheCfg = cfg
	if !cfg.Enabled() {
		m.cache.Store(nil)
		return
	}
	c := cache.New(cfg)
	c.OnResult = m.Metrics.CacheResult
	m.cache.Store(c)
}

// discard is the sink when recording is off.
type discard struct{}

func (discard) Add(usage.Record) {}

// New builds the parts of cfg. src feeds the scrape-time metrics (plugin
// states, pulls); budget ratios are added here. It opens the usage store
// and rebuilds the budgets' windows from it.
func New(ctx context.Context, cfg *config.Config, log *slog.Logger, src metrics.Sources) (*Meter, error) {
	if log == nil {
		log = slog.Default()
	}
	m := &Meter{Prices: pricing.New(cfg.Pricing)}
	m.notifier = budget.NewNotifier(log, cfg.Alerts.Webhook)
	m.Budgets = budget.New(cfg.Budgets, m.Prices, budget.Options{Thresholds: cfg.Alerts.Thresholds, Notifier: m.notifier})
	src.Budgets = func() []metrics.BudgetRatio {
		var out []metrics.BudgetRatio
		for _, s := range m.Budgets.Statuses() {
			out = append(out, metrics.BudgetRatio{Name: s.Name, App: s.App, Ratio: s.Ratio})
		}
		return out
	}
	m.Metrics = metrics.New(cfg.KnownModels(), src)
	m.notifier.OnAlert(func(a budget.Alert) { m.Metrics.BudgetAlert(a.Budget, a.Threshold) })

	var sink usage.Sink = discard{}
	if !cfg.Usage.Disabled {
		st, err := usage.Open(cfg.UsagePath(), usage.Options{Batch: cfg.Usage.Batch, FlushInterval: cfg.Usage.FlushInterval,
			Retention: cfg.Usage.Retention, Log: log})
		if err != nil {
			return nil, err
		}
		m.Store, sink = st, st
		rctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		err = m.Budgets.Rebuild(rctx, st)
		cancel()
		if err != nil {
			log.Error("budgets start empty", "error", err)
		}
	}
	m.Recorder = usage.NewRecorder(sink, m.Prices)
	m.Budgets.OnRefused = m.Recorder.Refused
	m.Recorder.OnRecord = func(r usage.Record) {
		if r.Cost != nil {
			m.Metrics.AddCost(r.Plugin, r.Provider, r.Model, *r.Cost)
		}
	}
	m.setCache(cfg.Cache)
	return m, nil
}

// Steps are the chain steps, outermost first: metrics (sees everything),
// budget (refuses before anything runs, charges real usage after), the
// usage recorder (one record per attempt, cache hits included), then the
// cache (answers without reaching the plugin).
func (m *Meter) Steps() []route.Middleware {
	return []route.Middleware{m.Metrics.Step(), m.Budgets.Step(), m.Recorder.Step(), m.cacheStep()}
}

// cacheStep runs the cache in force, or passes the call on when there is
// none. The cache's own step is built once per cache (and per chain), not
// per request.
func (m *Meter) cacheStep() route.Middleware {
	type built struct {
		c *cache.Cache
		h route.Handler
	}
	return func(next route.Handler) route.Handler {
		var cur atomic.Pointer[built]
		return func(ctx context.Context, call *route.Call, t route.Target) error {
			c := m.cache.Load()
			if c == nil {
				return next(ctx, call, t)
			}
			b := cur.Load()
			if b == nil || b.c != c {
				b = &built{c: c, h: c.Step()(next)}
				cur.Store(b)
			}
			return b.h(ctx, call, t)
		}
	}
}

// Close flushes the usage records and stops alert deliveries.
func (m *Meter) Close() error {
	m.notifier.Close()
	if m.Store != nil {
		return m.Store.Close()
	}
	return nil
}

// ErrNoStore is returned by usage queries when recording is off.
var ErrNoStore = errors.New("usage recording is off (usage.disabled in the config)")
