package types

import "context"

type requestIDKey struct{}

// WithRequestID returns ctx carrying the id of the client request it
// serves. The host sets it; it travels to the plugin as gRPC metadata
// ("x-request-id"), where RequestIDFrom finds it again, so host and plugin
// logs of one request can be matched.
func WithRequestID(ctx context.Context, id string) context.Context {
	if id == "" {
		return ctx
	}
	return context.WithValue(ctx, requestIDKey{}, id)
}

// RequestIDFrom returns the request id ctx carries, or "".
func RequestIDFrom(ctx context.Context) string {
	switch v := ctx.Value(requestIDKey{}).(type) {
	case string:
		return v
	case interface{ RequestID() string }:
		return v.RequestID()
	}
	return ""
}

// IsRequestIDKey reports whether key is the context key WithRequestID
// stores under. A context that carries several request values in one
// layer (the host's backend.RequestContext: one allocation instead of one
// per value) answers this key with a value whose RequestID method gives
// the id.
func IsRequestIDKey(key any) bool {
	_, ok := key.(requestIDKey)
	return ok
}
