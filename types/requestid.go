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
	id, _ := ctx.Value(requestIDKey{}).(string)
	return id
}
