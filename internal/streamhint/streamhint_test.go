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

// The first chunk of a stream is never held back, even with chunks
// queued behind it; later ones are, while chunks queue.
func TestHoldFlushesTheFirstChunk(t *testing.T) {
	var nilHint *Hint
	if nilHint.Hold() {
		t.Fatal("nil hint holds")
	}
	_, h := With(context.Background())
	queued := true
	h.Set(func() bool { return queued })
	if h.Hold() {
		t.Fatal("the first chunk was held")
	}
	if !h.Hold() || !h.Hold() {
		t.Fatal("later chunks with chunks queued behind them were not held")
	}
	queued = false
	if h.Hold() {
		t.Fatal("held a chunk with nothing queued behind it")
	}
	if !h.asked.Load() || h.Pending() {
		t.Fatal("Pending must stay what the receiving layer reports")
	}
}
