package main

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/roundhouse-ai/roundhouse/sdk"
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
	stateDead        = "dead"         // the upstream refused the key (401/403)
	stateRateLimited = "rate_limited" // the key's own rpm/rpd budget is spent for now
)

const (
	// Backoff after a 429 without a usable Retry-After: 1 s, 2 s, 4 s...
	baseBackoff = time.Second
	maxBackoff  = time.Minute
	// quotaCooldown rests a key whose quota or billing ran out; it is
	// tried again afterwards, as quota may be topped up.
	quotaCooldown = 10 * time.Minute
)

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
	dead          bool
	deadReason    string
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
		k.dead, k.deadReason = false, ""
		k.cooldownUntil, k.coolReason, k.strikes = time.Time{}, "", 0
	}
}

// tryReserve takes the key for one request if it is usable now, counting
// the request against its limits. Check and count happen under one lock,
// so concurrent callers never overrun a limit.
func (k *keyState) tryReserve(now time.Time) bool {
	k.mu.Lock()
	defer k.mu.Unlock()
	if st, _, _ := k.stateLocked(now); st != stateOK {
		return false
	}
	k.minute.add(now)
	k.day.add(now)
	k.recent.add(now)
	k.requests++
	k.inFlight++
	return true
}

// stateLocked says what the key is doing now, until when (for resting
// keys) and why.
func (k *keyState) stateLocked(now time.Time) (state string, until time.Time, reason string) {
	if k.dead {
		return stateDead, time.Time{}, k.deadReason
	}
	if k.cooldownUntil.After(now) {
		return stateCooling, k.cooldownUntil, k.coolReason
	}
	m, d := k.minute.blockedUntil(now), k.day.blockedUntil(now)
	switch {
	case !d.IsZero():
		return stateRateLimited, d, fmt.Sprintf("rpd limit of %d reached", k.day.limit)
	case !m.IsZero():
		return stateRateLimited, m, fmt.Sprintf("rpm limit of %d reached", k.minute.limit)
	}
	return stateOK, time.Time{}, ""
}

func (k *keyState) status(now time.Time) sdk.KeyStatus {
	k.mu.Lock()
	defer k.mu.Unlock()
	st, until, reason := k.stateLocked(now)
	ks := sdk.KeyStatus{
		Masked: k.masked, Label: k.label, State: st, Reason: reason,
		Requests: k.requests, Failures: k.failures, LastError: k.lastError,
		CurrentRPM: k.recent.sum(now),
	}
	if st == stateCooling || st == stateRateLimited {
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
}

func newKeyPool(provider, strategy string, keys []*keyState, now func() time.Time) *keyPool {
	if strategy == "" {
		strategy = strategyRoundRobin
	}
	return &keyPool{provider: provider, strategy: strategy, keys: keys, rnd: rand.Float64, now: now}
}

// lease is one request's hold on a key. key is nil for a provider without
// keys (an upstream that needs none, such as a local server).
type lease struct {
	pool     *keyPool
	key      *keyState
	released atomic.Bool
}

func (l *lease) masked() string {
	if l.key == nil {
		return "(no key)"
	}
	return l.key.masked
}

// release ends the request's hold on the key (its in-flight count).
func (l *lease) release() {
	if l.key == nil || l.released.Swap(true) {
		return
	}
	l.key.mu.Lock()
	l.key.inFlight--
	l.key.mu.Unlock()
}

// succeeded resets the key's 429 backoff.
func (l *lease) succeeded() {
	if l.key == nil {
		return
	}
	l.key.mu.Lock()
	l.key.strikes = 0
	l.key.mu.Unlock()
}

// failed records an upstream failure on the key and rests or kills it
// as the error says: 429 → cooling down (Retry-After or exponential
// backoff), quota → a long rest, 401/403 → dead; 5xx and timeouts are
// only counted. Other errors (bad request, unknown model, cancellation)
// are not the key's fault and are not counted.
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
		k.dead, k.deadReason = true, e.Message
	case sdk.CodeUpstreamRateLimited:
		k.strikes++
		d := e.RetryAfter
		if d <= 0 {
			d = backoff(k.strikes)
		}
		k.cooldownUntil, k.coolReason = now.Add(d), "rate_limited"
	case sdk.CodeUpstreamQuota:
		d := max(e.RetryAfter, quotaCooldown)
		k.cooldownUntil, k.coolReason = now.Add(d), "quota"
	}
}

// backoff is the rest after the n-th consecutive 429 without a hint.
func backoff(n int) time.Duration {
	if n < 1 {
		n = 1
	}
	if n > 7 {
		return maxBackoff
	}
	return min(baseBackoff<<(n-1), maxBackoff)
}

// acquire picks a usable key that is not in skip, by the pool's strategy.
// A pool without keys gives an anonymous lease. When no key can be had it
// returns errKeysTried if some key is usable but was skipped (the caller
// then reports its own last error), or the error that says why no key is
// usable.
func (p *keyPool) acquire(skip map[*keyState]bool) (*lease, error) {
	if len(p.keys) == 0 {
		return &lease{pool: p}, nil
	}
	now := p.now()
	for _, k := range p.order(now) {
		if skip[k] {
			continue
		}
		if k.tryReserve(now) {
			return &lease{pool: p, key: k}, nil
		}
	}
	if err := p.unusableError(now); err != nil {
		return nil, err
	}
	return nil, errKeysTried
}

// errKeysTried says every usable key was already tried by this call.
var errKeysTried = &sdk.Error{Code: sdk.CodeUpstreamError, Message: "every usable key was tried"}

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

// unusableError explains why no key can be used now, or is nil when some
// key can. All keys dead → CodeNoUsableKey; otherwise the keys are only
// resting: CodeUpstreamQuota when every resting key ran out of quota, else
// CodeUpstreamRateLimited, retryable after the shortest rest.
func (p *keyPool) unusableError(now time.Time) *sdk.Error {
	var (
		parts     []string
		soonest   time.Time
		resting   int
		quotaOnly = true
	)
	for _, k := range p.keys {
		k.mu.Lock()
		st, until, reason := k.stateLocked(now)
		coolReason := k.coolReason
		k.mu.Unlock()
		switch st {
		case stateOK:
			return nil
		case stateDead:
			parts = append(parts, fmt.Sprintf("%s is dead (%s)", k.masked, reason))
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
		return &sdk.Error{Code: sdk.CodeNoUsableKey, Message: fmt.Sprintf(
			"provider %q has no usable API key: %s. Replace the keys with POST /v1/providers", p.provider, detail)}
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
