package route

import (
	"context"
	"sync"
	"testing"

	"github.com/roundhouse-ai/roundhouse/host/config"
	"github.com/roundhouse-ai/roundhouse/types"
)

// The chain is built once and shared: concurrent calls each reach their
// own last handler.
func TestSharedChainCallsEachCallsOwnHandler(t *testing.T) {
	d := New(config.Routing{}, Options{Log: quiet})
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			want := string(rune('a' + i))
			last := func(_ context.Context, c *Call, _ Target) error { c.Resp = want; return nil }
			for range 50 {
				c := &Call{Service: "chat", Model: "m"}
				if err := d.Dispatch(context.Background(), testSource(), c, last); err != nil || c.Resp != want {
					t.Errorf("got %v, %v; want %q", c.Resp, err, want)
					return
				}
			}
		})
	}
	wg.Wait()
}

// A step that passes on a Call other than its own gets a clear error, not
// a nil-function panic.
func TestStepPassingAnotherCallFails(t *testing.T) {
	d := New(config.Routing{Retry: config.Retry{MaxAttempts: 1}}, Options{Log: quiet})
	d.Use(func(next Handler) Handler {
		return func(ctx context.Context, c *Call, t Target) error {
			return next(ctx, &Call{Service: c.Service, Model: c.Model}, t)
		}
	})
	called := false
	err := d.Dispatch(context.Background(), testSource(), &Call{Service: "chat", Model: "m"},
		func(context.Context, *Call, Target) error { called = true; return nil })
	if called || types.ErrorCode(err) != types.CodeInternal {
		t.Errorf("called %v, err %v; want an internal error", called, err)
	}
}

func TestNewRequestID(t *testing.T) {
	a, b := NewRequestID(), NewRequestID()
	if len(a) != 32 || !ValidRequestID(a) || a == b {
		t.Errorf("ids %q %q", a, b)
	}
	for _, r := range a {
		if !('0' <= r && r <= '9' || 'a' <= r && r <= 'f') {
			t.Fatalf("id %q is not lower-case hex", a)
		}
	}
}
