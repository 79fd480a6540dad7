// Package streamhint lets the layer that receives a stream from a plugin
// tell the layer that writes it to the client whether more chunks are
// already waiting behind the one being written, so the writer can skip a
// flush (one write syscall per batch instead of per chunk) without ever
// holding a chunk back when nothing follows it. Writers ask Hold, which
// also never holds a stream's first chunk (time to first token).
package streamhint

import (
	"context"
	"sync/atomic"
)

// Hint belongs to one stream. The zero value and nil report false.
type Hint struct {
	f atomic.Pointer[func() bool]
	// asked is set by the first Hold: the stream's first chunk is behind
	// it.
	asked atomic.Bool
}

type key struct{}

// With returns ctx carrying a fresh hint for one stream. A hint belongs to
// one stream at a time: a layer that runs two plugin streams on the same
// context at once (hedging) must give each its own hint, or neither.
func With(ctx context.Context) (context.Context, *Hint) {
	h := &Hint{}
	return context.WithValue(ctx, key{}, h), h
}

// From returns the hint ctx carries, or nil.
func From(ctx context.Context) *Hint {
	h, _ := ctx.Value(key{}).(*Hint)
	return h
}

// Set installs the function that reports queued chunks; nil removes it.
// The receiving layer removes it when its stream ends.
func (h *Hint) Set(f func() bool) {
	if h == nil {
		return
	}
	if f == nil {
		h.f.Store(nil)
		return
	}
	h.f.Store(&f)
}

// Pending reports whether chunks are already queued behind the current
// one. A writer that sees false must flush.
func (h *Hint) Pending() bool {
	if h == nil {
		return false
	}
	if f := h.f.Load(); f != nil {
		return (*f)()
	}
	return false
}

// Hold reports whether a writer may leave the chunk it just queued for the
// next one to flush: chunks are queued behind it (Pending) and it is not
// the stream's first. The first chunk always goes out at once: it is the
// client's time to first token, worth more than the one write a batch
// would save. A writer calls Hold once per chunk, in order; one that sees
// false must flush.
func (h *Hint) Hold() bool {
	if h == nil || !h.asked.Swap(true) {
		return false
	}
	return h.Pending()
}
