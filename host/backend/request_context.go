package backend

import (
	"context"

	"github.com/roundhouse-ai/roundhouse/types"
)

// RequestContext is one HTTP request's values — its id, its caller and
// who to tell which target answered — in one context layer. Built with
// types.WithRequestID, WithCaller and WithServedHook they took a layer
// (and a boxed value) each, and each layer an r.WithContext: about ten
// allocations per request. RequestContext is meant to be a field of a
// per-request struct (host/api's answer record), so the whole is one
// allocation. The usual readers (types.RequestIDFrom, CallerFrom,
// NotifyServed) find its values; layers added above it still take
// precedence.
type RequestContext struct {
	context.Context
	id        string
	caller    Caller
	hasCaller bool
	rec       ServedRecorder
}

// ServedRecorder is told which target answered (the method form of the
// served hook: no closure to allocate).
type ServedRecorder interface {
	RecordServed(Served)
}

// Init sets rc up over parent with the request's id ("" for none) and
// the recorder of who answered (nil for none).
func (rc *RequestContext) Init(parent context.Context, id string, rec ServedRecorder) {
	*rc = RequestContext{Context: parent, id: id, rec: rec}
}

// RequestID is the request's id (how types.RequestIDFrom reads it).
func (rc *RequestContext) RequestID() string { return rc.id }

// Value answers the request's own keys and asks the parent for others.
// Pointers, never boxed copies: a lookup allocates nothing.
func (rc *RequestContext) Value(key any) any {
	switch key.(type) {
	case callerKey:
		if rc.hasCaller {
			return &rc.caller
		}
	case servedKey:
		if rc.rec != nil {
			return rc.rec
		}
	default:
		if rc.id != "" && types.IsRequestIDKey(key) {
			return rc
		}
	}
	return rc.Context.Value(key)
}

// SetCaller returns ctx carrying c: when ctx is a RequestContext itself
// (nothing was layered over it yet) it is set there and ctx is returned
// as it is, so the caller needs no r.WithContext; else as WithCaller.
func SetCaller(ctx context.Context, c Caller) context.Context {
	if rc, ok := ctx.(*RequestContext); ok {
		rc.caller, rc.hasCaller = c, true
		return ctx
	}
	return WithCaller(ctx, c)
}
