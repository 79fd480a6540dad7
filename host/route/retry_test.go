package route

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/roundhouse-ai/roundhouse/types"
)

func TestFullJitterBounds(t *testing.T) {
	for _, r := range []float64{0, 0.5, 0.999999} {
		b := &fullJitter{initial: 100 * time.Millisecond, max: time.Second, rand: seq(r)}
		for n := range 10 {
			ceil := min(100*time.Millisecond<<n, time.Second)
			d := b.NextBackOff()
			if d < 0 || d > ceil {
				t.Fatalf("rand %g, attempt %d: wait %s outside [0, %s]", r, n, d, ceil)
			}
			if want := time.Duration(r * float64(ceil)); d != want {
				t.Fatalf("rand %g, attempt %d: wait %s, want %s (full jitter)", r, n, d, want)
			}
		}
	}
	// Many attempts must not overflow into negative waits.
	b := &fullJitter{initial: time.Second, max: time.Minute, rand: seq(1)}
	for range 100 {
		if d := b.NextBackOff(); d < 0 || d > time.Minute {
			t.Fatalf("wait %s after many attempts", d)
		}
	}
}

func TestRetryStep(t *testing.T) {
	s := RetrySettings{MaxAttempts: 3, Initial: time.Microsecond, Max: time.Microsecond, MaxElapsed: time.Second}
	tests := []struct {
		name      string
		errs      []error
		started   bool
		wantCalls int
		wantCode  types.Code
	}{
		{"success first", []error{nil}, false, 1, types.CodeOK},
		{"upstream 5xx retried then ok", []error{types.Errorf(types.CodeUpstreamError, "500"), nil}, false, 2, types.CodeOK},
		{"bounded by max_attempts", []error{types.Errorf(types.CodeUpstreamError, "500")}, false, 3, types.CodeUpstreamError},
		{"client error not retried", []error{types.FieldError("messages", "bad")}, false, 1, types.CodeInvalidArgument},
		{"quota not retried", []error{types.Errorf(types.CodeUpstreamQuota, "q")}, false, 1, types.CodeUpstreamQuota},
		{"never after the first chunk", []error{types.Errorf(types.CodeUpstreamError, "500")}, true, 1, types.CodeUpstreamError},
		{"retry_after honoured", []error{&types.Error{Code: types.CodeUpstreamRateLimited, RetryAfter: time.Millisecond}, nil}, false, 2, types.CodeOK},
		{"retry_after beyond max_elapsed goes to the next candidate",
			[]error{&types.Error{Code: types.CodeUpstreamRateLimited, RetryAfter: time.Hour}}, false, 1, types.CodeUpstreamRateLimited},
		{"breaker open not retried", []error{breakerOpenError{errBreakerOpen(Target{}, time.Second)}}, false, 1, types.CodeServiceUnavailable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			calls := 0
			h := Retry(s, seq(0.5))(func(ctx context.Context, c *Call, _ Target) error {
				err := tt.errs[min(calls, len(tt.errs)-1)]
				calls++
				return err
			})
			c := &Call{}
			c.Started.Store(tt.started)
			err := h(context.Background(), c, Target{})
			if calls != tt.wantCalls {
				t.Errorf("calls %d, want %d", calls, tt.wantCalls)
			}
			if got := types.ErrorCode(err); got != tt.wantCode {
				t.Errorf("error %v (code %v), want code %v", err, got, tt.wantCode)
			}
		})
	}
}

func TestIsBreakerOpenAgreesWithErrorsAs(t *testing.T) {
	bo := breakerOpenError{errBreakerOpen(Target{Plugin: "p", Model: "m"}, time.Second)}
	plain := types.Errorf(types.CodeUnavailable, "down")
	for _, err := range []error{
		nil, plain, bo,
		fmt.Errorf("attempt: %w", bo),
		fmt.Errorf("two: %w and %w", plain, bo),
		errors.Join(plain, fmt.Errorf("x: %w", bo)),
		&retryAfter{err: bo},
		errors.Join(plain),
	} {
		var target breakerOpenError
		if got, want := isBreakerOpen(err), errors.As(err, &target); got != want {
			t.Errorf("isBreakerOpen(%v) = %v, errors.As says %v", err, got, want)
		}
	}
}
