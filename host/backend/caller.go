package backend

import "context"

// Caller is who sent a request: the name of the host API key it carried,
// or the client's address when the host runs without keys. Usage records
// and budgets attribute calls to it (the "app"); per-client limits count by
// it.
type Caller struct {
	// App is the API key's name ("" without keys).
	App string
	// Addr is the client's IP address.
	Addr string
	// Admin is set when the request carried the admin token or a key with
	// the admin scope: an operator, not merely a local process or page.
	Admin bool
	// NoManage is set when the host has API keys and this caller's key
	// lacks the admin scope: it may not load, unload, pull or delete
	// models, whichever route it uses (Ollama loads and unloads through
	// /api/generate and /api/chat).
	NoManage bool
}

// ID is the identity limits count by: the key's name, else the address.
func (c Caller) ID() string {
	if c.App != "" {
		return "key:" + c.App
	}
	return c.Addr
}

type callerKey struct{}

// WithCaller returns ctx carrying c.
func WithCaller(ctx context.Context, c Caller) context.Context {
	return context.WithValue(ctx, callerKey{}, c)
}

// CallerFrom returns the caller of the request ctx belongs to.
func CallerFrom(ctx context.Context) Caller {
	switch c := ctx.Value(callerKey{}).(type) {
	case Caller:
		return c
	case *Caller: // a RequestContext's
		return *c
	}
	return Caller{}
}
