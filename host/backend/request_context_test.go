package backend

import (
	"context"
	"testing"

	"github.com/roundhouse-ai/roundhouse/types"
)

type recorder struct{ got []Served }

func (r *recorder) RecordServed(s Served) { r.got = append(r.got, s) }

func TestRequestContextCarriesTheRequestValues(t *testing.T) {
	type other struct{}
	parent := context.WithValue(context.Background(), other{}, "kept")
	rec := &recorder{}
	var rc RequestContext
	rc.Init(parent, "rid-1", rec)
	var ctx context.Context = &rc
	if id := types.RequestIDFrom(ctx); id != "rid-1" {
		t.Errorf("request id %q", id)
	}
	if ctx.Value(other{}) != "kept" {
		t.Error("the parent's values must stay visible")
	}
	if c := CallerFrom(ctx); c != (Caller{}) {
		t.Errorf("caller before SetCaller: %+v", c)
	}
	if got := SetCaller(ctx, Caller{App: "a", Addr: "1.2.3.4"}); got != ctx {
		t.Error("SetCaller on the RequestContext itself must not add a layer")
	}
	if c := CallerFrom(ctx); c.App != "a" || c.Addr != "1.2.3.4" {
		t.Errorf("caller %+v", c)
	}
	NotifyServed(ctx, Served{Plugin: "p"})
	if len(rec.got) != 1 || rec.got[0].Plugin != "p" || ServedRecorderFrom(ctx) != rec || !HasServedHook(ctx) {
		t.Errorf("recorder got %+v", rec.got)
	}
	// Layers above take precedence, as with plain context values.
	up := types.WithRequestID(WithCaller(ctx, Caller{App: "b"}), "rid-2")
	if types.RequestIDFrom(up) != "rid-2" || CallerFrom(up).App != "b" {
		t.Errorf("layered: id %q caller %+v", types.RequestIDFrom(up), CallerFrom(up))
	}
	// SetCaller on a derived context adds a layer and leaves rc alone.
	derived, cancel := context.WithCancel(ctx)
	defer cancel()
	if got := SetCaller(derived, Caller{App: "c"}); got == derived || CallerFrom(got).App != "c" || CallerFrom(ctx).App != "a" {
		t.Error("SetCaller on a derived context must add a layer")
	}
	// A nil hook layered over the recorder silences it.
	quiet := WithServedHook(ctx, nil)
	NotifyServed(quiet, Served{Plugin: "q"})
	if len(rec.got) != 1 || HasServedHook(quiet) {
		t.Errorf("a nil hook must silence the recorder: %+v", rec.got)
	}
	// Without an id the key falls through to the parent.
	var empty RequestContext
	empty.Init(types.WithRequestID(context.Background(), "outer"), "", nil)
	if types.RequestIDFrom(&empty) != "outer" || HasServedHook(&empty) {
		t.Error("an empty RequestContext must answer from its parent")
	}
}

func TestRequestContextLookupsDoNotAllocate(t *testing.T) {
	var rc RequestContext
	rc.Init(context.Background(), "rid", &recorder{})
	SetCaller(&rc, Caller{App: "a"})
	ctx := context.Context(&rc)
	if n := testing.AllocsPerRun(100, func() {
		_ = types.RequestIDFrom(ctx)
		_ = CallerFrom(ctx)
		_ = HasServedHook(ctx)
	}); n != 0 {
		t.Errorf("%v allocations per lookup", n)
	}
}
