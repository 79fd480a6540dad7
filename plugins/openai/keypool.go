package main

import (
	"fmt"
	"log/slog"
	"maps"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cenkalti/backoff/v5"
	"github.com/roundhouse-ai/roundhouse/sdk"
	"github.com/roundhouse-ai/roundhouse/sdk/wire/openaiwire"
)

// Key selection strategies (ProviderConfig.KeyStrategy).
const (
	strategyRoundRobin     = "round_robin"
	strategyWeightedRandom = "weighted_random"
	strategyPriority       = "priority"
	strategyLeastUsed      = "least_used"
)

var strategies = []string{strategyRoundRobin, strategyWeightedRandom, strategyPriority, strategyLeastUsed}

// Key states as ListProviders shows them.
const (
	stateOK          = "ok"
	stateCooling     = "cooling_down" // the upstream said 429; resting until CooldownUntil
	stateRateLimited = "rate_limited" // the key's own rpm/rpd budget is spent for now
	// The upstream refused the key: 401 (unauthorized) or 403 for every
	// model (forbidden: region, organization, project). The key rests
	// until CooldownUntil, then one request at a time probes it. A 403
	// about one model only forbids the key for that model: the key stays
	// ok and its Reason lists the models.
	stateUnauthorized = openaiwire.StateUnauthorized
	stateForbidden    = openaiwire.StateForbidden
)

const (
	// Backoff after a 429 without a usable Retry-After: 1 s, 2 s, 4 s...
	baseBackoff = time.Second
	maxBackoff  = time.Minute
	// quotaCooldown rests a key whose quota or billing ran out; it is
	// tried again afterwards, as quota may be topped up.
	quotaCooldown = 10 * time.Minute
)

// refusalPolicy is the rest of a key the upstream refused (401/403): an
// exponential backoff with jitter, so a key that was revoked by mistake,
// or whose project was granted a model late, comes back by itself, and a
// key that stays refused costs one request per rest, ever rarer. The
// jitter keeps keys refused together (an organisation-wide problem) from
// being probed in lockstep.
type refusalPolicy struct {
	initial, max time.Duration
	jitter       float64 // +- this fraction of each rest
}

// defaultRefusal rests a refused key 30 s, then 1, 2, 4... up to 30 min.
var defaultRefusal = refusalPolicy{initial: 30 * time.Second, max: 30 * time.Minute, jitter: 0.2}

func (rp refusalPolicy) newBackOff() *backoff.ExponentialBackOff {
	b := &backoff.ExponentialBackOff{InitialInterval: rp.initial, RandomizationFactor: rp.jitter,
		Multiplier: 2, MaxInterval: rp.max}
	b.Reset()
	return b
}

// refusal is a key, or a key for one model, that the upstream refused.
// While now < until the key is not used (for that model); after that it
// is half-open: one request at a time may use it (probing), and the
// answer decides: a success clears the refusal, another 401/403 rests it
// longer, anything else (5xx, timeout, cancel) lets the next request probe.
type refusal struct {
	state   string // stateUnauthorized or stateForbidden
	reason  string // the upstream's message (scrubbed)
	until   time.Time
	strikes int
	bo      *backoff.ExponentialBackOff
	probing bool
}

// strike rests the key again, longer each time.
func (r *refusal) strike(now time.Time, state, reason string) {
	r.state, r.reason = state, reason
	r.strikes++
	r.until = now.Add(r.bo.NextBackOff())
	r.probing = false
}

// open says whether a request may use the key now, and whether it would
// be the probe.
func (r *refusal) open(now time.Time) (usable, probe bool) {
	if r == nil {
		return true, false
	}
	if now.Before(r.until) || r.probing {
		return false, false
	}
	return true, true
}

// describe is the refusal as the no-usable-key message and the key
// status put it: what happened and when the key is tried again.
func (r *refusal) describe(now time.Time) string {
	switch {
	case now.Before(r.until):
		return fmt.Sprintf("tried again in %s, after refusal %d (%s)", r.until.Sub(now).Round(time.Second), r.strikes, r.reason)
	case r.probing:
		return fmt.Sprintf("a request is testing it now, after refusal %d (%s)", r.strikes, r.reason)
	}
	return fmt.Sprintf("the next request tests it, after refusal %d (%s)", r.strikes, r.reason)
}

// keyState is one API key with its limits and statistics. Key states live
// across Configure calls: a key that stays in a provider keeps its
// statistics and health, and requests still running on the previous
// configuration report to the same state.
type keyState struct {
	value  string // the secret: only ever put in an Authorization header
	masked string
	index  int // position in the provider's configured list

	mu            sync.Mutex
	label         string
	weight        int
	priority      int
	minute        *window
	day           *window
	recent        recentCounter
	requests      int64
	failures      int64
	inFlight      int
	lastError     string
	cooldownUntil time.Time
	coolReason    string // "rate_limited" or "quota"
	strikes       int    // consecutive 429s, for the backoff
	// refused is set while the upstream refuses the key for every model,
	// models while it refuses it for some (by model name).
	refused *refusal
	models  map[string]*refusal
}

func newKeyState(k sdk.APIKey) *keyState {
	return &keyState{value: k.Value, masked: sdk.MaskKey(k.Value),
		minute: newWindow(time.Minute, 0), day: newWindow(24*time.Hour, 0)}
}

// apply takes the limits and labels of a (re)configured key.
func (k *keyState) apply(c sdk.APIKey, index int, revive bool) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.index = index
	k.label = c.Label
	k.weight = c.Weight
	k.priority = c.Priority
	k.minute.setLimit(c.RPM)
	k.day.setLimit(c.RPD)
	if revive {
		k.refused, k.models = nil, nil
		k.cooldownUntil, k.coolReason, k.strikes = time.Time{}, "", 0
	}
}

// tryReserve takes the key for one request for model if it is usable
// now, counting the request against its limits. Check and count happen
// under one lock, so concurrent callers never overrun a limit, and only
// one of them becomes the probe of a refused key.
func (k *keyState) tryReserve(now time.Time, model string, l *lease) bool {
	k.mu.Lock()
	defer k.mu.Unlock()
	st, _, _, probeKey, probeModel := k.availLocked(now, model)
	if st != stateOK {
		return false
	}
	if probeKey {
		k.refused.probing = true
		l.probeKey = k.refused
	}
	if probeModel {
		k.models[model].probing = true
		l.probeModel = k.models[model]
	}
	k.minute.add(now)
	k.day.add(now)
	k.recent.add(now)
	k.requests++
	k.inFlight++
	return true
}

// availLocked says whether the key may serve a request for model now
// (stateOK) and whether that request would probe a refusal of the key or
// of the key for model; otherwise what the key is doing, until when
// (zero when unknown) and why.
func (k *keyState) availLocked(now time.Time, model string) (state string, until time.Time, reason string, probeKey, probeModel bool) {
	if r := k.refused; r != nil {
		usable, probe := r.open(now)
		if !usable {
			return r.state, r.until, r.describe(now), false, false
		}
		probeKey = probe
	}
	if k.cooldownUntil.After(now) {
		return stateCooling, k.cooldownUntil, k.coolReason, false, false
	}
	m, d := k.minute.blockedUntil(now), k.day.blockedUntil(now)
	switch {
	case !d.IsZero():
		return stateRateLimited, d, fmt.Sprintf("rpd limit of %d reached", k.day.limit), false, false
	case !m.IsZero():
		return stateRateLimited, m, fmt.Sprintf("rpm limit of %d reached", k.minute.limit), false, false
	}
	if r := k.models[model]; r != nil && model != "" {
		usable, probe := r.open(now)
		if !usable {
			return stateForbidden, r.until, "for model " + model + ": " + r.describe(now), false, false
		}
		probeModel = probe
	}
	return stateOK, time.Time{}, "", probeKey, probeModel
}

func (k *keyState) status(now time.Time) sdk.KeyStatus {
	k.mu.Lock()
	defer k.mu.Unlock()
	st, until, reason, _, _ := k.availLocked(now, "")
	if st == stateOK && k.refused != nil {
		// Half-open: usable by one probe, but still refused until it
		// answers.
		st, reason = k.refused.state, k.refused.describe(now)
	}
	if st == stateOK && len(k.models) > 0 {
		// The key serves every other model: it stays ok, and the reason
		// says which models it may not use for now.
		var parts []string
		for _, m := range slices.Sorted(maps.Keys(k.models)) {
			parts = append(parts, fmt.Sprintf("forbidden for model %s: %s", m, k.models[m].describe(now)))
		}
		reason = strings.Join(parts, "; ")
	}
	ks := sdk.KeyStatus{
		Masked: k.masked, Label: k.label, State: st, Reason: reason,
		Requests: k.requests, Failures: k.failures, LastError: k.lastError,
		CurrentRPM: k.recent.sum(now),
	}
	if until.After(now) {
		ks.CooldownUntil = int64(math.Ceil(float64(until.UnixNano()) / 1e9))
	}
	return ks
}

// keyPool picks keys for one provider instance.
type keyPool struct {
	provider string
	strategy string
	keys     []*keyState
	rr       atomic.Uint64
	rnd      func() float64
	now      func() time.Time
	refusal  refusalPolicy
}

func newKeyPool(provider, strategy string, keys []*keyState, now func() time.Time) *keyPool {
	if strategy == "" {
		strategy = strategyRoundRobin
	}
	return &keyPool{provider: provider, strategy: strategy, keys: keys, rnd: rand.Float64, now: now, refusal: defaultRefusal}
}

// lease is one request's hold on a key. key is nil for a provider without
// keys (an upstream that needs none, such as a local server).
type lease struct {
	pool     *keyPool
	key      *keyState
	model    string
	released atomic.Bool
	// The refusals this request probes, if any: its answer decides them.
	probeKey, probeModel *refusal
}

func (l *lease) masked() string {
	if l.key == nil {
		return "(no key)"
	}
	return l.key.masked
}

// release ends the request's hold on the key (its in-flight count). A
// probe that ended without a verdict (5xx, timeout, cancellation) lets
// the next request probe.
func (l *lease) release() {
	if l.key == nil || l.released.Swap(true) {
		return
	}
	l.key.mu.Lock()
	l.key.inFlight--
	if l.probeKey != nil && l.key.refused == l.probeKey {
		l.probeKey.probing = false
	}
	if l.probeModel != nil && l.key.models[l.model] == l.probeModel {
		l.probeModel.probing = false
	}
	l.key.mu.Unlock()
}

// succeeded resets the key's 429 backoff, and clears the refusals this
// request probed: the upstream took the key (for the model) again. A
// request that was not the probe clears nothing: it may have started
// before the key was refused.
func (l *lease) succeeded() {
	if l.key == nil {
		return
	}
	k := l.key
	k.mu.Lock()
	defer k.mu.Unlock()
	k.strikes = 0
	if l.probeKey != nil && k.refused == l.probeKey {
		k.refused = nil
		slog.Info("API key accepted again", "provider", l.pool.provider, "key", k.masked)
	}
	if l.probeModel != nil && k.models[l.model] == l.probeModel {
		delete(k.models, l.model)
		slog.Info("API key accepted again for the model", "provider", l.pool.provider, "key", k.masked, "model", l.model)
	}
}

// failed records an upstream failure on the key and rests it as the
// error says: 429 → cooling down (Retry-After or exponential backoff),
// quota → a long rest, 401/403 → refused (for every model, or for the
// request's model when the 403 is about the model), with a rest that
// grows with each refusal; 5xx and timeouts are only counted. Other
// errors (bad request, unknown model, cancellation) are not the key's
// fault and are not counted.
func (l *lease) failed(e *sdk.Error) {
	if l.key == nil || e == nil {
		return
	}
	k := l.key
	now := l.pool.now()
	k.mu.Lock()
	defer k.mu.Unlock()
	switch e.Code {
	case sdk.CodeUpstreamError, sdk.CodeUpstreamTimeout, sdk.CodeUpstreamAuth, sdk.CodeUpstreamRateLimited, sdk.CodeUpstreamQuota:
	default:
		// Bad requests, unknown models, the caller going away: not the
		// key's fault, and not the upstream's.
		return
	}
	k.failures++
	k.lastError = e.Message
	switch e.Code {
	case sdk.CodeUpstreamAuth:
		state, model := stateUnauthorized, ""
		if rf := openaiwire.RefusalOf(e); rf != nil {
			state, model = rf.State, rf.Model
		}
		if model != "" && model == l.model {
			// The key itself was accepted: a refusal of it that this
			// request probed is over.
			if l.probeKey != nil && k.refused == l.probeKey {
				k.refused = nil
			}
			if k.models == nil {
				k.models = map[string]*refusal{}
			}
			k.models[model] = l.strike(k.models[model], l.probeModel, now, state, e.Message)
			return
		}
		k.refused = l.strike(k.refused, l.probeKey, now, state, e.Message)
	case sdk.CodeUpstreamRateLimited:
		k.strikes++
		d := e.RetryAfter
		if d <= 0 {
			d = rateLimitBackoff(k.strikes)
		}
		k.cooldownUntil, k.coolReason = now.Add(d), "rate_limited"
	case sdk.CodeUpstreamQuota:
		d := max(e.RetryAfter, quotaCooldown)
		k.cooldownUntil, k.coolReason = now.Add(d), "quota"
	}
}

// strike records a refusal on cur (nil: none yet) and returns it. Only a
// new refusal or the probe's own answer lengthens the rest: requests that
// were already in flight when the key was refused answer 401 too, and
// must not count as more refusals.
func (l *lease) strike(cur, probed *refusal, now time.Time, state, reason string) *refusal {
	if cur == nil {
		cur = &refusal{bo: l.pool.refusal.newBackOff()}
	} else if cur != probed {
		return cur
	}
	cur.strike(now, state, reason)
	return cur
}

// rateLimitBackoff is the rest after the n-th consecutive 429 without a hint.
func rateLimitBackoff(n int) time.Duration {
	if n < 1 {
		n = 1
	}
	if n > 7 {
		return maxBackoff
	}
	return min(baseBackoff<<(n-1), maxBackoff)
}

// acquire picks a key usable for model ("" for calls without one) that
// is not in skip, by the pool's strategy.
// A pool without keys gives an anonymous lease. When no key can be had it
// returns openaiwire.ErrKeysTried if some key is usable but was skipped (the caller
// then reports its own last error), or the error that says why no key is
// usable.
func (p *keyPool) acquire(model string, skip map[string]bool) (*lease, error) {
	if len(p.keys) == 0 {
		return &lease{pool: p, model: model}, nil
	}
	now := p.now()
	for _, k := range p.order(now) {
		if skip[k.value] {
			continue
		}
		l := &lease{pool: p, key: k, model: model}
		if k.tryReserve(now, model, l) {
			return l, nil
		}
	}
	if err := p.unusableError(now, model); err != nil {
		return nil, err
	}
	return nil, openaiwire.ErrKeysTried
}

// order lists the keys in the order the strategy wants them tried.
func (p *keyPool) order(now time.Time) []*keyState {
	keys := slices.Clone(p.keys)
	if p.strategy == strategyRoundRobin || len(keys) < 2 {
		start := int((p.rr.Add(1) - 1) % uint64(len(keys)))
		return append(keys[start:], keys[:start]...)
	}
	type snap struct {
		priority, weight, inFlight, recent int
		score                              float64
	}
	snaps := make(map[*keyState]*snap, len(keys))
	for _, k := range keys {
		k.mu.Lock()
		snaps[k] = &snap{priority: k.priority, weight: k.weight, inFlight: k.inFlight, recent: k.recent.sum(now)}
		k.mu.Unlock()
	}
	var cmp func(a, b *snap) int
	switch p.strategy {
	case strategyPriority:
		// Lower priority value first; ties keep the configured order.
		cmp = func(a, b *snap) int { return a.priority - b.priority }
	case strategyLeastUsed:
		// Fewest requests in flight, then fewest in the last minute.
		cmp = func(a, b *snap) int {
			if a.inFlight != b.inFlight {
				return a.inFlight - b.inFlight
			}
			return a.recent - b.recent
		}
	default: // weighted random
		// Efraimidis–Spirakis: sorting by u^(1/w), largest first, is a
		// weighted random permutation, so the fallbacks are weighted too.
		for _, s := range snaps {
			w := s.weight
			if w <= 0 {
				w = 1
			}
			s.score = math.Pow(p.rnd(), 1/float64(w))
		}
		cmp = func(a, b *snap) int {
			switch {
			case a.score > b.score:
				return -1
			case a.score < b.score:
				return 1
			}
			return 0
		}
	}
	slices.SortStableFunc(keys, func(a, b *keyState) int { return cmp(snaps[a], snaps[b]) })
	return keys
}

// unusableError explains why no key can be used for model now, or is
// nil when some key can. When every key is refused (401/403, for every
// model or for this one) → CodeNoUsableKey, with RetryAfter until the
// first key may be probed again; otherwise some keys only rest:
// CodeUpstreamQuota when every resting key ran out of quota, else
// CodeUpstreamRateLimited, retryable after the shortest rest. Either way
// the message lists every key's state.
func (p *keyPool) unusableError(now time.Time, model string) *sdk.Error {
	var (
		parts     []string
		soonest   time.Time // end of the shortest rest
		nextProbe time.Time // when the first refused key may be probed
		resting   int
		quotaOnly = true
	)
	for _, k := range p.keys {
		k.mu.Lock()
		st, until, reason, _, _ := k.availLocked(now, model)
		coolReason := k.coolReason
		k.mu.Unlock()
		switch st {
		case stateOK:
			return nil
		case stateUnauthorized, stateForbidden:
			if !until.After(now) {
				until = now.Add(time.Second) // a probe is under way
			}
			if nextProbe.IsZero() || until.Before(nextProbe) {
				nextProbe = until
			}
			parts = append(parts, fmt.Sprintf("%s is %s: %s", k.masked, st, reason))
		default:
			resting++
			if soonest.IsZero() || until.Before(soonest) {
				soonest = until
			}
			if st != stateCooling || coolReason != "quota" {
				quotaOnly = false
			}
			parts = append(parts, fmt.Sprintf("%s is %s for %s (%s)", k.masked, strings.ReplaceAll(st, "_", " "),
				until.Sub(now).Round(time.Millisecond), reason))
		}
	}
	detail := strings.Join(parts, "; ")
	switch {
	case resting == 0:
		forModel := ""
		if model != "" {
			forModel = fmt.Sprintf(" for model %q", model)
		}
		wait := nextProbe.Sub(now)
		return &sdk.Error{Code: sdk.CodeNoUsableKey, RetryAfter: wait, Message: fmt.Sprintf(
			"provider %q has no usable API key%s: the upstream refused every key: %s. "+
				"A refused key is tried again by one request after a rest that doubles each time (the next in %s). "+
				"Check the keys' access (organization, project, region, model) or replace them with POST /v1/providers",
			p.provider, forModel, detail, wait.Round(time.Second))}
	case quotaOnly:
		return &sdk.Error{Code: sdk.CodeUpstreamQuota, RetryAfter: soonest.Sub(now), Message: fmt.Sprintf(
			"provider %q: every API key is out of quota: %s", p.provider, detail)}
	default:
		return &sdk.Error{Code: sdk.CodeUpstreamRateLimited, Retryable: true, RetryAfter: soonest.Sub(now),
			Message: fmt.Sprintf("provider %q: every API key is resting: %s", p.provider, detail)}
	}
}

func (p *keyPool) statuses(now time.Time) []sdk.KeyStatus {
	out := make([]sdk.KeyStatus, 0, len(p.keys))
	for _, k := range p.keys {
		out = append(out, k.status(now))
	}
	return out
}
