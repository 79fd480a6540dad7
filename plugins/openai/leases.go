package main

import (
	"log/slog"

	"github.com/roundhouse-ai/roundhouse/sdk"
	"github.com/roundhouse-ai/roundhouse/sdk/wire/openaiwire"
)

// The key pool is the openaiwire client's source of keys: each attempt
// leases one, and its answer rests or revives the key.
var (
	_ openaiwire.Keys  = (*keyPool)(nil)
	_ openaiwire.Lease = (*lease)(nil)
)

func (p *keyPool) Len() int { return len(p.keys) }

func (p *keyPool) Acquire(model string, skip map[string]bool) (openaiwire.Lease, error) {
	l, err := p.acquire(model, skip)
	if err != nil {
		return nil, err
	}
	return l, nil
}

func (l *lease) Key() string {
	if l.key == nil {
		return ""
	}
	return l.key.value
}

func (l *lease) Masked() string { return l.masked() }
func (l *lease) Succeeded()     { l.succeeded() }
func (l *lease) Release()       { l.release() }

// Failed rests the key as the error says, and logs what happened to it.
func (l *lease) Failed(e *sdk.Error) {
	l.failed(e)
	l.log(e)
}

func (l *lease) log(e *sdk.Error) {
	if l.key == nil || e == nil {
		return
	}
	pr := l.pool.provider
	switch e.Code {
	case sdk.CodeUpstreamAuth:
		st := l.key.status(l.pool.now())
		if rf := openaiwire.RefusalOf(e); rf != nil && rf.Model != "" {
			slog.Warn("API key refused for a model; not using it for that model for now", "provider", pr,
				"key", l.key.masked, "model", rf.Model, "error", e.Message)
			return
		}
		slog.Warn("API key refused; resting it, then one request will test it", "provider", pr,
			"key", l.key.masked, "state", st.State, "cooldown_until", st.CooldownUntil, "error", e.Message)
	case sdk.CodeUpstreamRateLimited:
		slog.Info("API key rate limited; resting it", "provider", pr, "key", l.key.masked, "retry_after", e.RetryAfter)
	case sdk.CodeUpstreamQuota:
		slog.Warn("API key out of quota; resting it", "provider", pr, "key", l.key.masked, "error", e.Message)
	}
}
