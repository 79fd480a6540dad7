package backend

import "context"

// Served says who answered a request: the HTTP surfaces put it in the
// X-Roundhouse-Plugin, -Provider and -Model headers (and the native answer
// in a "route" object) without knowing the host.
type Served struct {
	Plugin    string `json:"plugin"`
	Provider  string `json:"provider,omitempty"`
	Model     string `json:"model"`
	RequestID string `json:"request_id,omitempty"`
	// Attempts counts calls made to plugins (retries and fallbacks
	// included).
	Attempts int `json:"attempts"`
	// Strategy ordered the candidates.
	Strategy string `json:"strategy,omitempty"`
	// Cache is "hit" or "miss" when the response cache looked the request
	// up ("" otherwise): the X-Roundhouse-Cache header.
	Cache string `json:"cache,omitempty"`
}

// HeaderCache answers "hit" or "miss" when the response cache looked the
// request up.
const HeaderCache = "X-Roundhouse-Cache"

type servedKey struct{}

// WithServedHook returns ctx whose requests call fn once the target that
// answers is known: before the unary answer is returned, before the first
// chunk of a stream is sent (so headers can still be set), and on the
// final failure.
func WithServedHook(ctx context.Context, fn func(Served)) context.Context {
	return context.WithValue(ctx, servedKey{}, fn)
}

// ServedHook returns the hook of ctx, or nil.
func ServedHook(ctx context.Context) func(Served) {
	switch v := ctx.Value(servedKey{}).(type) {
	case func(Served):
		return v
	case ServedRecorder:
		return v.RecordServed
	}
	return nil
}

// HasServedHook reports whether NotifyServed would tell anyone.
func HasServedHook(ctx context.Context) bool {
	switch v := ctx.Value(servedKey{}).(type) {
	case func(Served):
		return v != nil
	case ServedRecorder:
		return true
	}
	return false
}

// NotifyServed tells ctx's hook or recorder (the nearest one: a nil hook
// layered over a recorder silences it) who answered.
func NotifyServed(ctx context.Context, s Served) {
	switch v := ctx.Value(servedKey{}).(type) {
	case func(Served):
		if v != nil {
			v(s)
		}
	case ServedRecorder:
		v.RecordServed(s)
	}
}

// ServedRecorderFrom returns the recorder of ctx's RequestContext, or nil.
func ServedRecorderFrom(ctx context.Context) ServedRecorder {
	r, _ := ctx.Value(servedKey{}).(ServedRecorder)
	return r
}
