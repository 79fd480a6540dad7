package route

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"time"

	"github.com/hashicorp/golang-lru/v2/expirable"
	"golang.org/x/sync/singleflight"

	"github.com/roundhouse-ai/roundhouse/types"
)

// idempotencyEntries bounds the answers kept for repeats.
const idempotencyEntries = 1024

// idempotency de-duplicates non-stream requests that carry the same
// Idempotency-Key (per caller) and the same body: one runs, the others in
// flight wait for its answer, and repeats within the TTL get it too. A key
// reused with another body is refused, as payment APIs do.
type idempotency struct {
	sf   singleflight.Group
	done *expirable.LRU[string, idemEntry]
}

type idemEntry struct {
	sum    [32]byte
	resp   any
	served Target
}

func newIdempotency(ttl time.Duration) *idempotency {
	if ttl <= 0 {
		ttl = 5 * time.Minute
	}
	return &idempotency{done: expirable.NewLRU[string, idemEntry](idempotencyEntries, nil, ttl)}
}

type idemResult struct {
	resp   any
	served Target
	sum    [32]byte
}

// do runs fn once per key and body; c gets the shared answer.
func (id *idempotency) do(ctx context.Context, c *Call, fn func() error) error {
	body, err := json.Marshal(c.Req)
	if err != nil {
		return fn()
	}
	sum := sha256.Sum256(append([]byte(c.Service+"\x00"), body...))
	key := c.Caller.ID() + "\x00" + c.Route.IdempotencyKey
	conflict := &types.Error{Code: types.CodeInvalidArgument, Field: "Idempotency-Key",
		Message: "this key was used for a different request; use a new key for a new request"}
	if e, ok := id.done.Get(key); ok {
		if e.sum != sum {
			return conflict
		}
		c.Resp, c.Served = e.resp, e.served
		return nil
	}
	ch := id.sf.DoChan(key, func() (any, error) {
		if err := fn(); err != nil {
			return nil, err
		}
		id.done.Add(key, idemEntry{sum: sum, resp: c.Resp, served: c.Served})
		return idemResult{resp: c.Resp, served: c.Served, sum: sum}, nil
	})
	select {
	case r := <-ch:
		if r.Err != nil {
			return r.Err
		}
		res := r.Val.(idemResult)
		if res.sum != sum {
			return conflict
		}
		c.Resp, c.Served = res.resp, res.served
		return nil
	case <-ctx.Done():
		return types.WrapError(types.CodeCanceled, ctx.Err(), "waiting for the request with the same Idempotency-Key")
	}
}
