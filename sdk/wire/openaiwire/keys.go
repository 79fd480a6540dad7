package openaiwire

import (
	"errors"

	"github.com/roundhouse-ai/roundhouse/types"
)

// Keys hands out API keys for attempts. The openai plugin's key pool
// implements it (strategies, rpm/rpd windows, cooldowns, refusals); a
// keyless upstream leaves Client.Keys nil.
type Keys interface {
	// Len is the number of configured keys: it bounds how many attempts
	// one call may make rotating away from refused or resting keys.
	Len() int
	// Acquire leases a key usable for model ("" for calls without one)
	// that is not in skip (key values already tried by this call; nil
	// when none was, and never written to). It returns ErrKeysTried when
	// some key is usable but every usable one is in skip, or a
	// *types.Error saying why no key is usable at all (refused, resting,
	// out of quota). A pool without keys returns a lease whose Key is "".
	Acquire(model string, skip map[string]bool) (Lease, error)
}

// Lease is one attempt's hold on a key. The client calls exactly one of
// Succeeded or Failed per attempt (Failed may follow Succeeded when a
// stream breaks after it started), then Release once.
type Lease interface {
	// Key is the secret to send; "" sends no credential.
	Key() string
	// Masked is the key as logs may show it (sk-…abcd).
	Masked() string
	// Succeeded reports a 2xx answer.
	Succeeded()
	// Failed reports an upstream failure: a 429 (CodeUpstreamRateLimited
	// with RetryAfter), quota, a refusal (CodeUpstreamAuth, with a
	// *KeyRefused cause), a 5xx or timeout, a broken stream.
	Failed(e *types.Error)
	// Release ends the hold (in-flight counts, probes).
	Release()
}

// ErrKeysTried says every usable key was already tried by this call.
var ErrKeysTried = &types.Error{Code: types.CodeUpstreamError, Message: "every usable key was tried"}

// Refusal states of a key (KeyRefused.State).
const (
	StateUnauthorized = "unauthorized" // 401
	StateForbidden    = "forbidden"    // 403
)

// KeyRefused is the cause (types.Error.Err) of a 401/403: what the
// upstream refused, for a key pool. Model is set when the refusal is
// about the request's model only; the key stays usable for other models.
type KeyRefused struct {
	State string // StateUnauthorized or StateForbidden
	Model string
}

func (r *KeyRefused) Error() string {
	if r.Model != "" {
		return "key " + r.State + " for model " + r.Model
	}
	return "key " + r.State
}

// RefusalOf returns the *KeyRefused cause of e, or nil.
func RefusalOf(e *types.Error) *KeyRefused {
	var r *KeyRefused
	if e != nil && errors.As(e.Err, &r) {
		return r
	}
	return nil
}

// noKey is the lease of a client without Keys.
type noKey struct{}

func (noKey) Key() string         { return "" }
func (noKey) Masked() string      { return "(no key)" }
func (noKey) Succeeded()          {}
func (noKey) Failed(*types.Error) {}
func (noKey) Release()            {}
