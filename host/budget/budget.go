// Package budget caps tokens and cost per calendar window, globally, per
// app and per model (group). A request is checked with its estimate
// before it runs and charged with its real usage after; over budget it
// fails with types.CodeBudgetExceeded (HTTP 429 in every surface) naming
// the budget, its limit, the usage and when it resets.
package budget

import (
	"context"
	"fmt"
	"math"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/roundhouse-ai/roundhouse/host/config"
	"github.com/roundhouse-ai/roundhouse/host/route"
	"github.com/roundhouse-ai/roundhouse/host/usage"
	"github.com/roundhouse-ai/roundhouse/types"
)

// Pricer prices a target (pricing.Table).
type Pricer interface {
	Price(t route.Target) (inPerM, outPerM float64, ok bool)
}

// Manager holds the budgets' counters. Safe for concurrent use.
type Manager struct {
	mu         sync.Mutex
	budgets    []*budget
	prices     Pricer
	thresholds []float64
	notify     *Notifier
	now        func() time.Time
	// count is len(budgets), read without the lock on every request
	// (most configs have none).
	count atomic.Int32

	// OnRefused, when set, sees each call the step refuses (the usage
	// recorder: a refused request is a record too, at no cost).
	OnRefused func(c *route.Call, t route.Target, err error)
}

type budget struct {
	cfg config.Budget
	// counters by app for per-app ("*") budgets; under "" otherwise.
	counters map[string]*counter
}

type counter struct {
	start  time.Time
	tokens int64
	cost   float64
	fired  map[float64]bool
}

// Options tune a Manager.
type Options struct {
	Thresholds []float64
	Notifier   *Notifier
	// Now is the clock (tests use a fake one).
	Now func() time.Time
}

// New builds the budgets of cfg.
func New(budgets []config.Budget, prices Pricer, opt Options) *Manager {
	if opt.Now == nil {
		opt.Now = time.Now
	}
	th := append([]float64(nil), opt.Thresholds...)
	sort.Float64s(th)
	m := &Manager{prices: prices, thresholds: th, notify: opt.Notifier, now: opt.Now}
	for _, b := range budgets {
		m.budgets = append(m.budgets, &budget{cfg: b, counters: map[string]*counter{}})
	}
	m.count.Store(int32(len(m.budgets)))
	return m
}

// Len is the number of budgets.
func (m *Manager) Len() int { return int(m.count.Load()) }

func (b *budget) matches(app, requested, model string) bool {
	if b.cfg.App != "" && b.cfg.App != "*" && b.cfg.App != app {
		return false
	}
	return b.cfg.Model == "" || b.cfg.Model == requested || b.cfg.Model == model
}

// counter is the counter of app in the window holding now, rolled over
// when the window has passed. Callers hold m.mu.
func (b *budget) counter(app string, now time.Time) *counter {
	key := ""
	if b.cfg.App == "*" {
		key = app
	}
	start := windowStart(now, b.cfg.Window)
	c := b.counters[key]
	if c == nil || !c.start.Equal(start) {
		c = &counter{start: start, fired: map[float64]bool{}}
		b.counters[key] = c
	}
	return c
}

func (b *budget) ratio(c *counter) float64 {
	r := 0.0
	if b.cfg.Tokens > 0 {
		r = float64(c.tokens) / float64(b.cfg.Tokens)
	}
	if b.cfg.Cost > 0 {
		r = math.Max(r, c.cost/b.cfg.Cost)
	}
	return r
}

// Check refuses a call that its budgets cannot take: one already used up,
// or one the request's estimate (input plus an explicit max_tokens) would
// overrun.
func (m *Manager) Check(c *route.Call, t route.Target) error {
	if m.count.Load() == 0 {
		return nil
	}
	in, out := types.EstimateRequest(c.Req, 0)
	estTokens := int64(in + out)
	estCost := 0.0
	if m.prices != nil {
		if pi, po, ok := m.prices.Price(t); ok {
			estCost = (float64(in)*pi + float64(out)*po) / 1e6
		}
	}
	now := m.now()
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, b := range m.budgets {
		if !b.matches(c.Caller.App, c.Model, t.Model) {
			continue
		}
		ctr := b.counter(c.Caller.App, now)
		reset := windowEnd(ctr.start, b.cfg.Window)
		var msg string
		switch {
		case b.cfg.Tokens > 0 && (ctr.tokens >= b.cfg.Tokens || ctr.tokens+estTokens > b.cfg.Tokens):
			msg = fmt.Sprintf("budget %q exceeded: %d of %d tokens used this %s, and this request needs about %d",
				b.cfg.Name, ctr.tokens, b.cfg.Tokens, b.cfg.Window, estTokens)
		case b.cfg.Cost > 0 && (ctr.cost >= b.cfg.Cost || ctr.cost+estCost > b.cfg.Cost):
			msg = fmt.Sprintf("budget %q exceeded: $%.4f of $%.4f used this %s, and this request costs about $%.4f",
				b.cfg.Name, ctr.cost, b.cfg.Cost, b.cfg.Window, estCost)
		default:
			continue
		}
		if app := b.cfg.App; app == "*" && c.Caller.App != "" {
			msg += fmt.Sprintf(" by app %q", c.Caller.App)
		}
		wait := reset.Sub(now)
		msg += fmt.Sprintf("; it resets at %s (in %s). Wait, ask for fewer tokens, or raise budgets[].%s in the config",
			reset.Format(time.RFC3339), wait.Round(time.Second), limitKey(b.cfg))
		return &types.Error{Code: types.CodeBudgetExceeded, Message: msg, Retryable: true, RetryAfter: wait}
	}
	return nil
}

func limitKey(b config.Budget) string {
	if b.Tokens > 0 {
		return "tokens"
	}
	return "cost"
}

// Charge adds a finished call's usage to its budgets and raises the
// alerts it crosses. Cache hits cost nothing and are not charged.
func (m *Manager) Charge(c *route.Call, t route.Target) {
	if m.count.Load() == 0 || c.CacheHit || c.Usage == nil {
		return
	}
	tokens := int64(c.Usage.PromptTokens + c.Usage.CompletionTokens)
	cost := 0.0
	if m.prices != nil {
		if pi, po, ok := m.prices.Price(t); ok {
			cost = (float64(c.Usage.PromptTokens)*pi + float64(c.Usage.CompletionTokens)*po) / 1e6
		}
	}
	m.add(c.Caller.App, c.Model, t.Model, tokens, cost, true)
}

func (m *Manager) add(app, requested, model string, tokens int64, cost float64, alert bool) {
	now := m.now()
	var alerts []Alert
	m.mu.Lock()
	for _, b := range m.budgets {
		if !b.matches(app, requested, model) {
			continue
		}
		ctr := b.counter(app, now)
		ctr.tokens += tokens
		ctr.cost += cost
		r := b.ratio(ctr)
		for _, th := range m.thresholds {
			if r < th || ctr.fired[th] {
				continue
			}
			ctr.fired[th] = true
			if !alert {
				continue // rebuilt after a restart: alerted before
			}
			a := Alert{Event: "budget.threshold", Budget: b.cfg.Name, Model: b.cfg.Model, Window: b.cfg.Window,
				Threshold: th, Ratio: r, TokensUsed: ctr.tokens, TokensLimit: b.cfg.Tokens, CostUsed: ctr.cost,
				CostLimit: b.cfg.Cost, ResetsAt: windowEnd(ctr.start, b.cfg.Window), Time: now}
			if b.cfg.App == "*" {
				a.App = app
			} else {
				a.App = b.cfg.App
			}
			alerts = append(alerts, a)
		}
	}
	m.mu.Unlock()
	if m.notify != nil {
		for _, a := range alerts {
			m.notify.notify(a)
		}
	}
}

// Step is the route.Middleware: check before, charge after. It settles
// the call's usage itself when no usage recorder runs inside it.
func (m *Manager) Step() route.Middleware {
	return func(next route.Handler) route.Handler {
		return func(ctx context.Context, c *route.Call, t route.Target) error {
			if !usage.IsService(c.Service) {
				return next(ctx, c, t) // model management is never budgeted
			}
			if err := m.Check(c, t); err != nil {
				if m.OnRefused != nil {
					m.OnRefused(c, t, err)
				}
				return err
			}
			w := usage.Watch(c)
			err := next(ctx, c, t)
			w.Settle(c, err)
			m.Charge(c, t)
			return err
		}
	}
}

// QuotaUsed is the highest usage ratio of the budgets that apply to t
// whoever calls (0..1+). It implements route.QuotaSource.
func (m *Manager) QuotaUsed(t route.Target) float64 {
	now := m.now()
	m.mu.Lock()
	defer m.mu.Unlock()
	r := 0.0
	for _, b := range m.budgets {
		if b.cfg.App != "" || (b.cfg.Model != "" && b.cfg.Model != t.Model) {
			continue
		}
		r = math.Max(r, b.ratio(b.counter("", now)))
	}
	return r
}

// Totals is what a usage store can tell about the past (usage.Store).
type Totals interface {
	TotalsSince(ctx context.Context, from time.Time) ([]usage.Total, error)
}

// Rebuild refills the current windows from the usage store, so a restart
// does not hand out a fresh budget. Thresholds already crossed are not
// alerted again.
func (m *Manager) Rebuild(ctx context.Context, store Totals) error {
	return m.rebuild(ctx, store, nil)
}

// rebuild is Rebuild for the budgets only selects (nil: all).
func (m *Manager) rebuild(ctx context.Context, store Totals, only map[*budget]bool) error {
	now := m.now()
	starts := map[string]bool{}
	m.mu.Lock()
	for _, b := range m.budgets {
		if only == nil || only[b] {
			starts[b.cfg.Window] = true
		}
	}
	m.mu.Unlock()
	for w := range starts {
		from := windowStart(now, w)
		tots, err := store.TotalsSince(ctx, from)
		if err != nil {
			return fmt.Errorf("budgets: rebuild from usage records: %w", err)
		}
		for _, t := range tots {
			m.addWindow(w, t, only)
		}
	}
	return nil
}

// Reconfigure puts a new budget list and alert thresholds in force (a
// config reload). A budget with the same name, window, app and model as
// before keeps what its window has used (an edited limit applies to the
// usage so far; a reload never hands out a fresh window); a new one is
// filled from store (nil: it starts empty), as at start.
func (m *Manager) Reconfigure(ctx context.Context, budgets []config.Budget, thresholds []float64, store Totals) error {
	th := append([]float64(nil), thresholds...)
	sort.Float64s(th)
	type key struct{ name, window, app, model string }
	m.mu.Lock()
	old := map[key]*budget{}
	for _, b := range m.budgets {
		old[key{b.cfg.Name, b.cfg.Window, b.cfg.App, b.cfg.Model}] = b
	}
	next := make([]*budget, 0, len(budgets))
	fresh := map[*budget]bool{}
	for _, c := range budgets {
		if b := old[key{c.Name, c.Window, c.App, c.Model}]; b != nil {
			b.cfg = c
			next = append(next, b)
			continue
		}
		b := &budget{cfg: c, counters: map[string]*counter{}}
		next = append(next, b)
		fresh[b] = true
	}
	m.budgets, m.thresholds = next, th
	m.count.Store(int32(len(next)))
	m.mu.Unlock()
	if store == nil || len(fresh) == 0 {
		return nil
	}
	return m.rebuild(ctx, store, fresh)
}

// addWindow charges a past total to the budgets of window w only (and of
// only, when set).
func (m *Manager) addWindow(w string, t usage.Total, only map[*budget]bool) {
	now := m.now()
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, b := range m.budgets {
		if b.cfg.Window != w || !b.matches(t.App, t.Requested, t.Model) || (only != nil && !only[b]) {
			continue
		}
		ctr := b.counter(t.App, now)
		ctr.tokens += t.Tokens
		ctr.cost += t.Cost
		r := b.ratio(ctr)
		for _, th := range m.thresholds {
			if r >= th {
				ctr.fired[th] = true
			}
		}
	}
}

// Status is one budget's state, as GET /v1/budgets shows it.
type Status struct {
	Name        string    `json:"name"`
	Window      string    `json:"window"`
	App         string    `json:"app,omitempty"`
	Model       string    `json:"model,omitempty"`
	TokensUsed  int64     `json:"tokens_used"`
	TokensLimit int64     `json:"tokens_limit,omitempty"`
	CostUsed    float64   `json:"cost_used"`
	CostLimit   float64   `json:"cost_limit,omitempty"`
	Ratio       float64   `json:"ratio"`
	WindowStart time.Time `json:"window_start"`
	ResetsAt    time.Time `json:"resets_at"`
}

// Statuses lists every budget in config order; a per-app budget shows
// one entry per app seen in its window ("*" when none yet).
func (m *Manager) Statuses() []Status {
	now := m.now()
	m.mu.Lock()
	defer m.mu.Unlock()
	out := []Status{}
	for _, b := range m.budgets {
		keys := []string{}
		if b.cfg.App == "*" {
			start := windowStart(now, b.cfg.Window)
			for k, c := range b.counters {
				if c.start.Equal(start) {
					keys = append(keys, k)
				}
			}
			sort.Strings(keys)
			if len(keys) == 0 {
				keys = []string{"*"}
			}
		} else {
			keys = []string{""}
		}
		for _, k := range keys {
			var ctr *counter
			if b.cfg.App == "*" && k == "*" {
				ctr = &counter{start: windowStart(now, b.cfg.Window)} // no app yet: show an empty window
			} else {
				ctr = b.counter(k, now)
			}
			app := b.cfg.App
			if app == "*" {
				app = k
			}
			out = append(out, Status{Name: b.cfg.Name, Window: b.cfg.Window, App: app, Model: b.cfg.Model,
				TokensUsed: ctr.tokens, TokensLimit: b.cfg.Tokens, CostUsed: ctr.cost, CostLimit: b.cfg.Cost,
				Ratio: b.ratio(ctr), WindowStart: ctr.start, ResetsAt: windowEnd(ctr.start, b.cfg.Window)})
		}
	}
	return out
}
