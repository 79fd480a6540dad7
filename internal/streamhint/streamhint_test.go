package streamhint

import (
	"context"
	"testing"
)

func TestHint(t *testing.T) {
	if From(context.Background()).Pending() {
		t.Fatal("no hint must report false")
	}
	ctx, h := With(context.Background())
	if From(ctx) != h || h.Pending() {
		t.Fatal("fresh hint")
	}
	n := 2
	h.Set(func() bool { return n > 0 })
	if !From(ctx).Pending() {
		t.Fatal("queued chunks not reported")
	}
	n = 0
	if h.Pending() {
		t.Fatal("empty queue reported")
	}
	h.Set(nil)
	if h.Pending() {
		t.Fatal("removed hint")
	}
}
