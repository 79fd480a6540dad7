// Package route is the host's request path: one dispatch chain that every
// service call, model-management call and engine call goes through.
//
//	resolve (routing wishes → ordered candidate targets)
//	  → strategy (order the candidates)
//	  → for each candidate: the chain of steps (request id, budget, cache,
//	    metrics, breaker, retry, timeout, usage…) → the call itself
//
// A step is a Middleware: a new concern is a new step, never an edit to a
// big function (Traefik's chain builder and Caddy's MiddlewareHandler have
// the same shape).
package route

import (
	"context"
	"sync/atomic"
	"time"

	"github.com/roundhouse-ai/roundhouse/host/backend"
	"github.com/roundhouse-ai/roundhouse/types"
)

// Target is one place a request can run: a plugin, the provider instance
// inside it (remote plugins; "" for local ones) and the model to ask for.
type Target struct {
	Plugin   string
	Provider string
	Model    string
	// Local is set for a plugin that runs models on this machine.
	Local bool
}

// String names the target as the API shows it: "ollama/llama3.2" or
// "openai:main/gpt-4o-mini".
func (t Target) String() string {
	s := t.Plugin
	if t.Provider != "" {
		s += ":" + t.Provider
	}
	return s + "/" + t.Model
}

// Call is one request on its way through the chain. The surfaces build it
// (through backend.Backend); steps read it and fill in its results.
type Call struct {
	// Service is the service name (types.ServiceChat…), or an operation
	// name for model management ("pull_model", "load_model"…).
	Service string
	// Stream is set when the answer is streamed to the client.
	Stream bool
	// Model is the model as the client asked for it (possibly a group).
	Model string
	// Route is the client's routing wishes.
	Route backend.Route
	// RequestID travels to the plugin as gRPC metadata and back to the
	// client as X-Request-Id.
	RequestID string
	// Caller is who sent the request (app for usage and budgets).
	Caller backend.Caller
	// Req is the typed request (*types.ChatRequest…); the terminal
	// handler sets the target's model on a copy before calling.
	Req any
	// Resp is the typed unary answer, set by the terminal handler or by a
	// step that answers itself (the cache).
	Resp any
	// Send delivers one stream chunk (*types.ChatChunk…) to the client.
	// Steps may wrap it; the dispatcher wraps it to record Started.
	Send func(chunk any) error

	// Started is set once the first stream chunk reached the client: from
	// then on nothing may retry or fall back.
	Started atomic.Bool
	// Begin is when the call entered the chain; FirstByte when the first
	// chunk (or the unary answer) came back.
	Begin, FirstByte time.Time
	// Served is the target that answered (set on success and on the
	// final failure).
	Served Target
	// Usage is the token usage the plugin reported, or an estimate when
	// it reported none (then UsageEstimated is set).
	Usage          *types.Usage
	UsageEstimated bool
	// Attempts counts calls made to plugins, retries and fallbacks
	// included.
	Attempts int
	// CacheHit is set when the cache answered; CacheChecked when the
	// cache looked the request up (so a miss can be told from a request
	// the cache does not apply to).
	CacheHit, CacheChecked bool
	// Group is the model group the client's model named ("" for none);
	// Strategy the strategy that ordered the candidates.
	Group, Strategy string

	// last makes the call to one target (Dispatch's last handler): the
	// end of the chain, which is built once for every request.
	last Handler
}

// Handler runs a call against one target.
type Handler func(ctx context.Context, c *Call, t Target) error

// Middleware is one step of the chain.
type Middleware func(next Handler) Handler

// Chain builds the handler that runs steps in order around last: the
// first step is the outermost.
func Chain(last Handler, steps ...Middleware) Handler {
	h := last
	for i := len(steps) - 1; i >= 0; i-- {
		if steps[i] != nil {
			h = steps[i](h)
		}
	}
	return h
}
