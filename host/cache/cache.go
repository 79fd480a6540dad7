// Package cache is the exact-match response cache: an opt-in chain step
// that answers repeated deterministic requests without reaching a plugin.
// Entries live in an expirable LRU (size and TTL bound); identical
// requests in flight at once collapse into one call (singleflight).
package cache

import (
	"context"
	"slices"
	"sync/atomic"

	"github.com/hashicorp/golang-lru/v2/expirable"
	"golang.org/x/sync/singleflight"

	"github.com/roundhouse-ai/roundhouse/host/config"
	"github.com/roundhouse-ai/roundhouse/host/route"
	"github.com/roundhouse-ai/roundhouse/host/usage"
	"github.com/roundhouse-ai/roundhouse/types"
)

// entry is a cached answer: the unary response, or a stream's chunks.
type entry struct {
	resp   any
	chunks []any
	usage  *types.Usage
}

// Cache is the response cache step.
type Cache struct {
	cfg    config.Cache
	lru    *expirable.LRU[string, *entry]
	flight singleflight.Group

	hits, misses atomic.Int64
	// OnResult, when set, is called with true for a hit and false for a
	// miss (the metrics counter).
	OnResult func(hit bool)
}

// New builds a cache for cfg.
func New(cfg config.Cache) *Cache {
	return &Cache{cfg: cfg, lru: expirable.NewLRU[string, *entry](cfg.Size, nil, cfg.TTL)}
}

// Stats are the hits and misses so far.
func (c *Cache) Stats() (hits, misses int64) { return c.hits.Load(), c.misses.Load() }

// Len is the number of entries.
func (c *Cache) Len() int { return c.lru.Len() }

// applies reports whether call opts in: its service or model (group, or
// the target's model) is listed, and the request is deterministic.
func (c *Cache) applies(call *route.Call, t route.Target) bool {
	if !slices.Contains(c.cfg.Services, call.Service) && !slices.Contains(c.cfg.Models, call.Model) &&
		!slices.Contains(c.cfg.Models, t.Model) {
		return false
	}
	if call.Stream && !c.cfg.Streams {
		return false
	}
	return Deterministic(call.Req)
}

func (c *Cache) result(hit bool) {
	if hit {
		c.hits.Add(1)
	} else {
		c.misses.Add(1)
	}
	if c.OnResult != nil {
		c.OnResult(hit)
	}
}

// Step is the route.Middleware. It sets Call.CacheHit on a hit (the
// surfaces answer X-Roundhouse-Cache from it) and leaves the answer's
// usage on the Call, so the usage step records it at cost 0.
func (c *Cache) Step() route.Middleware {
	return func(next route.Handler) route.Handler {
		return func(ctx context.Context, call *route.Call, t route.Target) error {
			if !c.applies(call, t) {
				return next(ctx, call, t)
			}
			key, err := Key(call.Service, t, call.Req)
			if err != nil {
				return next(ctx, call, t)
			}
			if call.Stream {
				key += ":stream" // a stream entry holds chunks, not an answer
			}
			call.CacheChecked = true
			if e, ok := c.lru.Get(key); ok {
				c.result(true)
				return serve(call, e)
			}
			if call.Stream {
				// Streams are not collapsed: each client must see its
				// chunks as they come. The first to finish fills the entry.
				c.result(false)
				return c.fillStream(ctx, call, t, key, next)
			}
			ran := false
			v, err, _ := c.flight.Do(key, func() (any, error) {
				if e, ok := c.lru.Get(key); ok { // filled while we waited
					return e, nil
				}
				ran = true
				if err := next(ctx, call, t); err != nil {
					return nil, err
				}
				u := call.Usage
				if u == nil {
					u = usage.ReportedUsage(call.Resp)
				}
				e := &entry{resp: call.Resp, usage: u}
				c.lru.Add(key, e)
				return e, nil
			})
			if ran {
				c.result(false)
				return err
			}
			if err != nil {
				// The leader failed (its client may have gone): try on our
				// own rather than inherit its cancellation.
				c.result(false)
				return next(ctx, call, t)
			}
			c.result(true)
			return serve(call, v.(*entry))
		}
	}
}

// fillStream runs a streamed call and keeps its chunks for replay.
func (c *Cache) fillStream(ctx context.Context, call *route.Call, t route.Target, key string, next route.Handler) error {
	var chunks []any
	orig := call.Send
	call.Send = func(ch any) error {
		chunks = append(chunks, ch)
		return orig(ch)
	}
	err := next(ctx, call, t)
	call.Send = orig
	if err == nil && len(chunks) > 0 {
		c.lru.Add(key, &entry{chunks: chunks, usage: streamUsage(chunks)})
	}
	return err
}

func streamUsage(chunks []any) *types.Usage {
	for i := len(chunks) - 1; i >= 0; i-- {
		switch ch := chunks[i].(type) {
		case *types.ChatChunk:
			if ch.Usage != nil {
				return ch.Usage
			}
		case *types.GenerateChunk:
			if ch.Usage != nil {
				return ch.Usage
			}
		}
	}
	return nil
}

// serve answers call from e: a copy of the response (the surfaces may
// set fields on theirs), or the chunks replayed in order.
func serve(call *route.Call, e *entry) error {
	call.CacheHit = true
	if e.usage != nil {
		u := *e.usage
		call.Usage, call.UsageEstimated = &u, false
	}
	if e.resp != nil && !call.Stream {
		call.Resp = shallowCopy(e.resp)
		return nil
	}
	if call.Stream && e.chunks != nil {
		for _, ch := range e.chunks {
			if err := call.Send(shallowCopy(ch)); err != nil {
				return err
			}
		}
		return nil
	}
	// A unary entry for a stream (or the reverse) cannot be replayed.
	call.CacheHit = false
	return types.Errorf(types.CodeInternal, "cache entry does not fit the request")
}

func shallowCopy(v any) any {
	switch x := v.(type) {
	case *types.ChatResponse:
		y := *x
		return &y
	case *types.GenerateResponse:
		y := *x
		return &y
	case *types.EmbedResponse:
		y := *x
		return &y
	case *types.RerankResponse:
		y := *x
		return &y
	case *types.ChatChunk:
		y := *x
		return &y
	case *types.GenerateChunk:
		y := *x
		return &y
	}
	return v
}
