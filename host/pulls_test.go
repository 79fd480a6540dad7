package host

import (
	"context"
	"errors"
	"testing"

	"github.com/roundhouse-ai/roundhouse/sdk"
)

// TestTrackerKinds: pushes and creates are tracked like pulls, listed with
// their kind, and cancellable.
func TestTrackerKinds(t *testing.T) {
	tr := NewPullTracker()
	ctx := context.Background()
	pull, ev1, unsub1 := tr.Start(ctx, "a", "", func(ctx context.Context, progress func(*sdk.Progress) error) error { return nil })
	defer unsub1()
	started := make(chan struct{})
	push, ev2, unsub2 := tr.StartKind(ctx, KindPush, "b", "ollama", func(ctx context.Context, progress func(*sdk.Progress) error) error {
		_ = progress(&sdk.Progress{Status: "pushing sha256:1", Total: 10, Completed: 5})
		close(started)
		<-ctx.Done()
		return ctx.Err()
	})
	defer unsub2()
	for range ev1 {
	}
	<-pull.Done()
	<-started
	kinds := map[string]string{}
	for _, s := range tr.List() {
		kinds[s.Model] = s.Kind
	}
	if kinds["a"] != KindPull || kinds["b"] != KindPush {
		t.Fatalf("kinds %v", kinds)
	}
	if s := push.Snapshot(); s.State != "running" || s.Completed != 5 || s.Plugin != "ollama" {
		t.Fatalf("push snapshot %+v", s)
	}
	tr.Get(push.ID).Cancel()
	for range ev2 {
	}
	<-push.Done()
	var se *sdk.Error
	if s := push.Snapshot(); s.State != "canceled" || !errors.As(push.Err(), &se) || se.Code != sdk.CodeCanceled || se.Message != "push of b was cancelled" {
		t.Fatalf("cancelled push %+v %v", s, push.Err())
	}
}
