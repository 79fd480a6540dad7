package route

import (
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/roundhouse-ai/roundhouse/host/backend"
	"github.com/roundhouse-ai/roundhouse/host/config"
	"github.com/roundhouse-ai/roundhouse/types"
)

// Options are what the host gives a Dispatcher besides its config.
type Options struct {
	Log *slog.Logger
	// Now and Rand default to time.Now and math/rand; tests fix them.
	Now  Clock
	Rand func() float64
	// Timeout is the deadline of one call to t (the plugin's manifest
	// timeouts; 0 = none).
	Timeout func(c *Call, t Target) time.Duration
}

// compiled is the routing config in the shape the request path reads.
type compiled struct {
	strategy  string
	services  map[string]string
	groups    map[string]*GroupSpec
	fallbacks map[string][]string
	retry     RetrySettings
	breaker   BreakerSettings
}

// Dispatcher runs every request: resolve → order → for each candidate the
// chain of steps → the call.
type Dispatcher struct {
	opts  Options
	cfg   atomic.Pointer[compiled]
	stats *Stats
	idem  *idempotency
	turns turns

	mu    sync.Mutex
	steps []Middleware // extra steps (usage, budget, cache, metrics)
	price PriceSource
	quota QuotaSource
	// chain is rebuilt when steps or settings change: extra steps,
	// retry, breaker, timeout, observe, then the call's own last handler
	// (Call.last). Built once, not per request: building it took about
	// ten allocations per request.
	chain atomic.Pointer[Handler]
}

// New makes a dispatcher for the routing config.
func New(rc config.Routing, o Options) *Dispatcher {
	if o.Log == nil {
		o.Log = slog.Default()
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Rand == nil {
		o.Rand = rand.Float64
	}
	d := &Dispatcher{opts: o, idem: newIdempotency(rc.IdempotencyTTL)}
	c := compile(rc)
	d.cfg.Store(c)
	d.stats = NewStats(o.Now, c.breaker, func(t Target, from, to BreakerState) {
		d.opts.Log.Warn("circuit breaker", "target", t.String(), "from", string(from), "to", string(to))
	})
	d.rebuild()
	return d
}

func compile(rc config.Routing) *compiled {
	c := &compiled{strategy: rc.Strategy, services: rc.Services, groups: map[string]*GroupSpec{}, fallbacks: rc.Fallbacks,
		retry:   RetrySettings{MaxAttempts: rc.Retry.MaxAttempts, Initial: rc.Retry.Initial, Max: rc.Retry.Max, MaxElapsed: rc.Retry.MaxElapsed},
		breaker: BreakerSettings{Failures: rc.Breaker.Failures, ErrorRate: rc.Breaker.ErrorRate, Window: rc.Breaker.Window, MinRequests: rc.Breaker.MinRequests, OpenFor: rc.Breaker.OpenFor}}
	if c.strategy == "" {
		c.strategy = StrategyPriority
	}
	for name, g := range rc.Groups {
		gs := &GroupSpec{Strategy: g.Strategy}
		for _, gt := range g.Targets {
			t, _ := ParseTarget(gt.Target)
			w := gt.Weight
			if w == 0 {
				w = 1
			}
			gs.Targets = append(gs.Targets, Candidate{Target: t, Weight: w})
		}
		if cn := g.Canary; cn != nil {
			t, _ := ParseTarget(cn.Target)
			gs.canary = newCanary(name, t, cn.Percent, cn.Margin, cn.MinRequests, cn.Window)
		}
		c.groups[name] = gs
	}
	return c
}

// Stats are the per-target stats (breakers, latency, health).
func (d *Dispatcher) Stats() *Stats { return d.stats }

// Use adds steps to the chain, after the request id and idempotency and
// before retry, breaker and timeout: they run once per target attempt.
func (d *Dispatcher) Use(steps ...Middleware) {
	d.mu.Lock()
	d.steps = append(d.steps, steps...)
	d.mu.Unlock()
	d.rebuild()
}

// SetPriceSource sets what lowest_price orders by.
func (d *Dispatcher) SetPriceSource(p PriceSource) { d.mu.Lock(); d.price = p; d.mu.Unlock() }

// SetQuotaSource sets what least_quota_used orders by.
func (d *Dispatcher) SetQuotaSource(q QuotaSource) { d.mu.Lock(); d.quota = q; d.mu.Unlock() }

// SetConfig puts new routing settings in force (a config reload): the
// strategies, groups, fallbacks, retry and breaker settings of the next
// requests. Observed latency, breaker states and counts are kept.
func (d *Dispatcher) SetConfig(rc config.Routing) {
	d.cfg.Store(compile(rc))
	d.rebuild()
}

func (d *Dispatcher) rebuild() {
	d.mu.Lock()
	extra := append([]Middleware(nil), d.steps...)
	d.mu.Unlock()
	cfg := d.cfg.Load()
	steps := append(extra, Retry(cfg.retry, d.opts.Rand), d.breakerStep, d.timeoutStep, d.observeStep)
	h := Chain(callLast, steps...)
	d.chain.Store(&h)
}

// callLast ends the chain: the call to the target, as the surface gave it
// to Dispatch. Steps pass on the Call they were given.
func callLast(ctx context.Context, c *Call, t Target) error {
	if c.last == nil {
		return &types.Error{Code: types.CodeInternal, Message: "a dispatch step passed on a call it did not get from Dispatch; this is a bug in the step"}
	}
	return c.last(ctx, c, t)
}

// strategyFor picks the strategy: the group's, else the service's, else
// the default.
func (d *Dispatcher) strategyFor(cfg *compiled, service string, g *GroupSpec) Strategy {
	if g != nil && g.Strategy != "" {
		return StrategyByName(g.Strategy)
	}
	if s := cfg.services[service]; s != "" {
		return StrategyByName(s)
	}
	return StrategyByName(cfg.strategy)
}

// Decide resolves and orders the candidates of c (no call is made): what
// the benchmark measures, and what Dispatch runs first.
func (d *Dispatcher) Decide(ctx context.Context, src Source, c *Call, dst []Candidate) ([]Candidate, error) {
	cands, _, err := d.decide(ctx, src, c, dst, false)
	return cands, err
}

// lazyOrder is what Dispatch needs to place the next candidate of a
// strategy that places one at a time: cands[i:n] are not ordered yet
// once the candidates before i failed.
type lazyOrder struct {
	st  lazyStrategy
	env Env
	n   int
}

// place puts the candidate to try at i in place (a no-op for a list
// ordered in full).
func (l *lazyOrder) place(cands []Candidate, i int) {
	if l.st != nil && i < l.n-1 {
		first(l.st, cands[i:l.n], &l.env)
	}
}

// decide is Decide; with lazy set, a strategy that can place one
// candidate at a time (weighted) places only the first, and the returned
// lazyOrder places the others when asked (Dispatch asks when a candidate
// failed). A group with a canary is always ordered in full: the canary
// moves after the strategy.
func (d *Dispatcher) decide(ctx context.Context, src Source, c *Call, dst []Candidate, lazy bool) ([]Candidate, lazyOrder, error) {
	w := ParseWishes(c.Route, c.Model, src.IsPlugin)
	cands, g, err := d.resolve(ctx, src, c.Service, &w, dst)
	if err != nil {
		return cands, lazyOrder{}, err
	}
	c.Group = w.Group
	cfg := d.cfg.Load()
	st := d.strategyFor(cfg, c.Service, g)
	c.Strategy = st.Name()
	d.mu.Lock()
	env := Env{Now: d.opts.Now(), Stats: d.stats, Price: d.price, Quota: d.quota, Rand: d.opts.Rand}
	d.mu.Unlock()
	// Only the primaries are ordered; fallbacks keep their listed order.
	n := 0
	for n < len(cands) && !cands[n].Fallback {
		n++
	}
	if st.Name() == StrategyRoundRobin && n > 1 {
		// The turn as a value, not a Turn closure: that escaped (with
		// the Call it held), an allocation per request.
		env.turn, env.hasTurn = d.turns.next(c.Service, c.Model), true
	}
	if _, ok := st.(statsReader); ok && n > 1 {
		d.stats.attach(cands[:n])
	}
	if ls, ok := st.(lazyStrategy); ok && lazy && (g == nil || g.canary == nil) {
		first(ls, cands[:n], &env)
		// Not env itself: its Turn closure would escape with it.
		later := Env{Now: env.Now, Stats: env.Stats, Price: env.Price, Quota: env.Quota, Rand: env.Rand}
		return cands, lazyOrder{st: ls, env: later, n: n}, nil
	}
	order(st, cands[:n], &env)
	if g != nil && g.canary != nil {
		cands = g.canary.order(cands, d.opts.Rand())
	}
	return cands, lazyOrder{}, nil
}

// Dispatch runs c: resolve, order, then each candidate through the chain
// until one answers, a failure is not worth another candidate, or a stream
// has started. last makes the call to one target.
func (d *Dispatcher) Dispatch(ctx context.Context, src Source, c *Call, last Handler) error {
	inCtx := types.RequestIDFrom(ctx)
	if c.RequestID == "" {
		c.RequestID = inCtx
	}
	if c.RequestID == "" {
		c.RequestID = NewRequestID()
	}
	if c.RequestID != inCtx {
		// Only when ctx does not carry it already (the HTTP surfaces put
		// it there): a second layer would hold the same id, at the cost
		// of two allocations per request.
		ctx = types.WithRequestID(ctx, c.RequestID)
	}
	if c.Begin.IsZero() {
		c.Begin = d.opts.Now()
	}
	if c.Route.IdempotencyKey != "" && !c.Stream && c.Req != nil {
		err := d.idem.do(ctx, c, func() error { return d.dispatch(ctx, src, c, last) })
		d.served(ctx, c)
		return err
	}
	err := d.dispatch(ctx, src, c, last)
	d.served(ctx, c)
	return err
}

func (d *Dispatcher) dispatch(ctx context.Context, src Source, c *Call, last Handler) error {
	// The candidate buffer escapes through the Source interface: pooled,
	// it is not a 640 B allocation per request.
	buf := candBufs.Get().(*[8]Candidate)
	defer func() { clear(buf[:]); candBufs.Put(buf) }()
	cands, lz, err := d.decide(ctx, src, c, buf[:0], true)
	if err != nil {
		return err
	}
	if c.Send != nil {
		send := c.Send
		c.Send = func(chunk any) error {
			if !c.Started.Load() {
				c.FirstByte = d.opts.Now()
				c.Started.Store(true)
				d.served(ctx, c) // headers before the first byte
			}
			return send(chunk)
		}
	}
	c.last = last
	h := *d.chain.Load()
	var lastErr error
	for i := range cands {
		if i > 0 && (c.Started.Load() || ctx.Err() != nil) {
			break
		}
		cand := &cands[i]
		c.Served = cand.Target
		err := h(ctx, c, cand.Target)
		if err == nil {
			return nil
		}
		lastErr = err
		if !Failover(err) || c.Started.Load() || ctx.Err() != nil {
			break
		}
		if i+1 < len(cands) {
			lz.place(cands, i+1)
			d.opts.Log.Info("trying the next candidate", "request_id", c.RequestID, "failed", cand.Target.String(),
				"next", cands[i+1].Target.String(), "error", err)
		}
	}
	if lastErr != nil && len(cands) > 1 && !c.Started.Load() {
		d.opts.Log.Warn("every candidate failed", "request_id", c.RequestID, "service", c.Service, "model", c.Model,
			"candidates", len(cands), "error", lastErr)
	}
	return lastErr
}

// candBufs are Dispatch's candidate buffers (room for 8 before append
// grows one).
var candBufs = sync.Pool{New: func() any { return new([8]Candidate) }}

// served tells the surface who answers (once per call is enough for
// headers; calling again overwrites them with the same or final values).
func (d *Dispatcher) served(ctx context.Context, c *Call) {
	if !backend.HasServedHook(ctx) {
		return
	}
	s := backend.Served{Plugin: c.Served.Plugin, Provider: c.Served.Provider, Model: c.Served.Model,
		RequestID: c.RequestID, Attempts: c.Attempts, Strategy: c.Strategy}
	switch {
	case c.CacheHit:
		s.Cache = "hit"
	case c.CacheChecked:
		s.Cache = "miss"
	}
	backend.NotifyServed(ctx, s)
}

// Failover reports whether a failure on one target is worth trying the
// next candidate: the target failed or cannot serve (down, overloaded,
// rate limited, out of quota, model missing there, breaker open), not the
// request itself (bad input, too long, filtered, cancelled).
func Failover(err error) bool {
	if Retryable(err) || isBreakerOpen(err) {
		return true
	}
	switch types.ErrorCode(err) {
	case types.CodePluginCrashed, types.CodeUnknown, types.CodeInternal, types.CodeQuotaExceeded, types.CodeUpstreamQuota, types.CodeUpstreamAuth,
		types.CodeNoUsableKey, types.CodeModelNotFound, types.CodeModelUnsupported, types.CodeModelLoadFailed,
		types.CodePluginNotConfigured, types.CodePluginStartFailed, types.CodeEngineUnavailable, types.CodeEngineStartFailed,
		types.CodeEngineNotInstalled, types.CodeNotFound, types.CodeUnimplemented:
		return true
	}
	return false
}

// targetFailure reports whether err counts against the target (breaker,
// health, canary): the target's fault, not the client's.
func targetFailure(err error) bool {
	if err == nil {
		return false
	}
	switch types.ErrorCode(err) {
	case types.CodeRateLimited, types.CodeUpstreamRateLimited, types.CodeUpstreamError, types.CodeUpstreamTimeout,
		types.CodeTimeout, types.CodeUnavailable, types.CodeServiceUnavailable, types.CodePluginCrashed,
		types.CodePluginUnavailable, types.CodeUnknown, types.CodeInternal, types.CodeEngineUnavailable,
		types.CodePluginStartFailed, types.CodeEngineStartFailed, types.CodeNoUsableKey, types.CodeUpstreamAuth:
		return true
	}
	return false
}

// isService reports whether name is a service (not a management
// operation).
func isService(name string) bool { return slices.Contains(types.ServiceNames, name) }

// errBreakerOpen is the answer of a target whose breaker is open.
func errBreakerOpen(t Target, wait time.Duration) error {
	return &types.Error{Code: types.CodeServiceUnavailable, Retryable: true, RetryAfter: max(wait.Round(time.Second), time.Second),
		Message: fmt.Sprintf("%s is failing and its circuit breaker is open; retry in %s or pick another target (GET /v1/routes)", t, max(wait.Round(time.Second), time.Second))}
}

// breakerStep lets a call through only when the target's breaker allows
// it, and records the outcome.
func (d *Dispatcher) breakerStep(next Handler) Handler {
	return func(ctx context.Context, c *Call, t Target) error {
		if !isService(c.Service) {
			// Model management and engine calls name a plugin and a
			// model or digest of the caller's choosing: no breaker,
			// no stats (the request id, retry and timeout still apply).
			return next(ctx, c, t)
		}
		b := d.stats.Get(t).Breaker
		if !b.Allow() {
			return breakerOpenError{errBreakerOpen(t, b.OpenFor())}
		}
		err := next(ctx, c, t)
		if ctx.Err() != nil && err != nil && !targetFailure(err) {
			b.Cancel() // the client left: says nothing about the target
		} else {
			b.Done(!targetFailure(err))
		}
		return err
	}
}

// breakerOpenError is not retried on the same target (Retryable says no
// for it) but moves on to the next candidate.
type breakerOpenError struct{ error }

func (e breakerOpenError) Unwrap() error { return e.error }

// timeoutStep bounds one call to a target by its deadline.
func (d *Dispatcher) timeoutStep(next Handler) Handler {
	return func(ctx context.Context, c *Call, t Target) error {
		if d.opts.Timeout != nil {
			if to := d.opts.Timeout(c, t); to > 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, to)
				defer cancel()
			}
		}
		return next(ctx, c, t)
	}
}

// observeStep counts the attempt and records its outcome and latency
// (time to first byte for a stream) for least_latency, health and canary.
func (d *Dispatcher) observeStep(next Handler) Handler {
	return func(ctx context.Context, c *Call, t Target) error {
		c.Attempts++
		if !isService(c.Service) {
			return next(ctx, c, t)
		}
		start := d.opts.Now()
		err := next(ctx, c, t)
		now := d.opts.Now()
		if err != nil && ctx.Err() != nil && !targetFailure(err) {
			return err
		}
		lat := now.Sub(start)
		if c.Stream && !c.FirstByte.IsZero() && c.FirstByte.After(start) {
			lat = c.FirstByte.Sub(start)
		}
		ok := !targetFailure(err)
		d.stats.Get(t).Observe(now, ok, lat)
		if c.Group != "" {
			if g := d.cfg.Load().groups[c.Group]; g != nil && g.canary != nil {
				if why := g.canary.observe(now, t, ok); why != "" {
					d.opts.Log.Warn("canary rolled back", "group", c.Group, "target", g.canary.target.String(), "reason", why)
				}
			}
		}
		return err
	}
}
