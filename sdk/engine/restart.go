package engine

import (
	"math/rand/v2"
	"time"

	"github.com/cenkalti/backoff/v5"
)

// RestartPolicy says how the supervisor restarts an engine that died
// without being asked to. The zero value means the defaults.
type RestartPolicy struct {
	// InitialInterval is the first backoff cap (default 500ms); it doubles
	// after each failed attempt up to MaxInterval (default 30s). The actual
	// wait is drawn uniformly from [0, cap) ("full jitter"), so engines of
	// several plugins that crash together do not restart in lockstep.
	InitialInterval time.Duration
	MaxInterval     time.Duration
	// StableRun is how long a run must last to count as healthy again: it
	// resets the backoff and the failure count (default 1m).
	StableRun time.Duration
	// MaxFailures is how many crashes or failed restarts in a row make the
	// supervisor give up (default 5). The first start is never retried:
	// when it fails, the caller hears why at once.
	MaxFailures int
}

func (p RestartPolicy) withDefaults() RestartPolicy {
	if p.InitialInterval <= 0 {
		p.InitialInterval = 500 * time.Millisecond
	}
	if p.MaxInterval <= 0 {
		p.MaxInterval = 30 * time.Second
	}
	if p.MaxInterval < p.InitialInterval {
		p.MaxInterval = p.InitialInterval
	}
	if p.StableRun <= 0 {
		p.StableRun = time.Minute
	}
	if p.MaxFailures <= 0 {
		p.MaxFailures = 5
	}
	return p
}

// NewBackOff returns the policy's backoff: exponential (factor 2, from
// InitialInterval up to MaxInterval) with full jitter.
func (p RestartPolicy) NewBackOff() backoff.BackOff {
	p = p.withDefaults()
	eb := backoff.NewExponentialBackOff()
	eb.InitialInterval = p.InitialInterval
	eb.MaxInterval = p.MaxInterval
	eb.Multiplier = 2
	eb.RandomizationFactor = 0 // the jitter is ours: full, not ±50%
	return &fullJitter{exp: eb}
}

// fullJitter draws each wait uniformly from [0, cap) where cap is the
// exponential backoff's next interval ("Exponential Backoff And Jitter",
// AWS Architecture Blog, 2015).
type fullJitter struct{ exp *backoff.ExponentialBackOff }

func (j *fullJitter) NextBackOff() time.Duration {
	c := j.exp.NextBackOff()
	if c <= 0 || c == backoff.Stop {
		return c
	}
	return rand.N(c)
}

func (j *fullJitter) Reset() { j.exp.Reset() }
