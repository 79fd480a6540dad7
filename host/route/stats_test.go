package route

import (
	"context"
	"fmt"
	"testing"

	"github.com/roundhouse-ai/roundhouse/host/config"
	"github.com/roundhouse-ai/roundhouse/types"
)

// Model names come from clients: the stats kept stay bounded.
func TestStatsBounded(t *testing.T) {
	s := NewStats(nil, BreakerSettings{}, nil)
	for i := range maxTargets + 50 {
		if s.Get(Target{Plugin: "p", Model: fmt.Sprint(i)}) == nil {
			t.Fatal("nil stats")
		}
	}
	if n := len(*s.by.Load()); n != maxTargets {
		t.Errorf("%d targets kept, want at most %d", n, maxTargets)
	}
}

// Management calls (a model or digest of the caller's choosing) keep no
// stats and have no breaker.
func TestManagementCallsKeepNoStats(t *testing.T) {
	d := New(config.Routing{Breaker: config.Breaker{Failures: 1}, Retry: config.Retry{MaxAttempts: 1}}, Options{Log: quiet})
	src := testSource()
	fail := func(context.Context, *Call, Target) error { return types.Errorf(types.CodeUnavailable, "down") }
	for range 3 {
		_ = d.Dispatch(context.Background(), src, &Call{Service: "pull_model", Model: "m"}, fail)
	}
	if n := len(*d.Stats().by.Load()); n != 0 {
		t.Errorf("management calls created %d target stats", n)
	}
}
