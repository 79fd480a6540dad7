package route

import (
	"context"
	"time"

	"github.com/cenkalti/backoff/v5"

	"github.com/roundhouse-ai/roundhouse/types"
)

// RetrySettings bound retries on one target; zero values take defaults.
type RetrySettings struct {
	MaxAttempts int           // first call included (default 3)
	Initial     time.Duration // default 200ms
	Max         time.Duration // default 5s
	MaxElapsed  time.Duration // default 30s
}

func (s RetrySettings) withDefaults() RetrySettings {
	if s.MaxAttempts <= 0 {
		s.MaxAttempts = 3
	}
	if s.Initial <= 0 {
		s.Initial = 200 * time.Millisecond
	}
	if s.Max <= 0 {
		s.Max = 5 * time.Second
	}
	if s.Max < s.Initial {
		s.Max = s.Initial
	}
	if s.MaxElapsed <= 0 {
		s.MaxElapsed = 30 * time.Second
	}
	return s
}

// fullJitter is exponential backoff with full jitter (AWS's "full
// jitter"): the n-th wait is uniform in [0, min(Max, Initial·2ⁿ)], which
// spreads clients that failed together better than ±x% jitter.
type fullJitter struct {
	initial, max time.Duration
	n            int
	rand         func() float64
}

func (b *fullJitter) Reset() { b.n = 0 }

func (b *fullJitter) NextBackOff() time.Duration {
	ceil := b.initial << min(b.n, 30)
	if ceil <= 0 || ceil > b.max {
		ceil = b.max
	}
	b.n++
	return time.Duration(b.rand() * float64(ceil))
}

// Retryable reports whether err is worth the same call on the same target
// again after a wait: rate limits, upstream 5xx, timeouts before the first
// byte, a plugin restarting. Not quotas (they last), not the
// client's mistakes, not an engine that is down (the next candidate is the
// better bet).
func Retryable(err error) bool {
	if isBreakerOpen(err) {
		return false // the same target is refused until it closes
	}
	switch types.ErrorCode(err) {
	case types.CodeRateLimited, types.CodeUpstreamRateLimited, types.CodeUpstreamError, types.CodeUpstreamTimeout,
		types.CodeTimeout, types.CodeUnavailable, types.CodeServiceUnavailable, types.CodePluginUnavailable:
		return true
	}
	// Not plugin_crashed: the request may be what crashed the plugin;
	// sending it again would crash it again. The next candidate may take it.
	return false
}

// Retry retries retryable failures on one target with exponential backoff
// and full jitter, honouring the error's RetryAfter, never once a stream
// chunk reached the client, and never beyond MaxAttempts or MaxElapsed.
func Retry(s RetrySettings, rand func() float64) Middleware {
	s = s.withDefaults()
	return func(next Handler) Handler {
		if s.MaxAttempts == 1 {
			return next
		}
		// outcome is what backoff.Retry is told of one try's err.
		outcome := func(ctx context.Context, c *Call, err error) error {
			if err == nil {
				return nil
			}
			if c.Started.Load() || ctx.Err() != nil || !Retryable(err) {
				return backoff.Permanent(err)
			}
			if e := types.AsError(err); e.RetryAfter > 0 {
				if e.RetryAfter > s.MaxElapsed {
					// Too long to wait here: the next candidate.
					return backoff.Permanent(err)
				}
				return &retryAfter{RetryAfterError: backoff.RetryAfterError{Duration: e.RetryAfter}, err: err}
			}
			return err
		}
		return func(ctx context.Context, c *Call, t Target) error {
			// The first try runs here, outside backoff.Retry: most calls
			// succeed or fail for good at once, and setting up a Retry
			// took about eight allocations per request.
			start := time.Now()
			err := next(ctx, c, t)
			if err == nil {
				return nil
			}
			first := outcome(ctx, c, err)
			if _, permanent := first.(*backoff.PermanentError); permanent {
				return err
			}
			left := s.MaxElapsed - time.Since(start)
			if left <= 0 {
				return err // backoff.Retry would not wait beyond MaxElapsed either
			}
			// backoff.Retry runs the rest, its first try replaying the
			// outcome above: the same waits, tries and limits as before.
			replayed := false
			op := func() (struct{}, error) {
				if !replayed {
					replayed = true
					return struct{}{}, first
				}
				return struct{}{}, outcome(ctx, c, next(ctx, c, t))
			}
			_, err = backoff.Retry(ctx, op,
				backoff.WithBackOff(&fullJitter{initial: s.Initial, max: s.Max, rand: rand}),
				backoff.WithMaxTries(uint(s.MaxAttempts)),
				backoff.WithMaxElapsedTime(left))
			var ra *retryAfter
			if asRetryAfter(err, &ra) {
				return ra.err
			}
			return err
		}
	}
}

// retryAfter tells backoff.Retry how long to wait while keeping the
// plugin's error for the caller.
type retryAfter struct {
	backoff.RetryAfterError
	err error
}

func (r *retryAfter) Unwrap() error { return r.err }

// As lets errors.As find the embedded RetryAfterError.
func (r *retryAfter) As(target any) bool {
	if p, ok := target.(**backoff.RetryAfterError); ok {
		*p = &r.RetryAfterError
		return true
	}
	return false
}

func asRetryAfter(err error, out **retryAfter) bool {
	ra, ok := err.(*retryAfter)
	if ok {
		*out = ra
	}
	return ok
}

// isBreakerOpen reports whether err is or wraps a breakerOpenError: what
// errors.As(err, &breakerOpenError{}) says, without its allocation (it
// runs on every failed attempt).
func isBreakerOpen(err error) bool {
	for err != nil {
		switch e := err.(type) {
		case breakerOpenError:
			return true
		case interface{ As(any) bool }:
			var bo breakerOpenError
			if e.As(&bo) {
				return true
			}
		}
		switch u := err.(type) {
		case interface{ Unwrap() error }:
			err = u.Unwrap()
		case interface{ Unwrap() []error }:
			for _, e := range u.Unwrap() {
				if isBreakerOpen(e) {
					return true
				}
			}
			return false
		default:
			return false
		}
	}
	return false
}
