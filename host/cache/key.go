package cache

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"

	"github.com/roundhouse-ai/roundhouse/host/route"
	"github.com/roundhouse-ai/roundhouse/types"
)

// Key is the canonical hash of what decides an answer: the service, the
// target (plugin, provider, model) and the request with its routing
// fields left out. The request is turned into JSON, read back as generic
// values and written again: object keys come out sorted, and nulls,
// empty objects and empty arrays are dropped, so requests that mean the
// same (key order, whitespace, an absent field or an explicit empty
// one) hash the same.
func Key(service string, t route.Target, req any) (string, error) {
	b, err := json.Marshal(req)
	if err != nil {
		return "", err
	}
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		return "", err
	}
	if m, ok := v.(map[string]any); ok {
		// The target names the model and provider actually asked;
		// keep_alive tunes the engine, not the answer.
		delete(m, "model")
		delete(m, "provider")
		delete(m, "keep_alive")
	}
	v = canon(v)
	doc, err := json.Marshal(map[string]any{"s": service, "p": t.Plugin, "v": t.Provider, "m": t.Model, "r": v})
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(doc)
	return hex.EncodeToString(sum[:]), nil
}

// canon drops nulls and empty containers, recursively.
func canon(v any) any {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			e = canon(e)
			if empty(e) {
				delete(x, k)
			} else {
				x[k] = e
			}
		}
		return x
	case []any:
		for i, e := range x {
			x[i] = canon(e)
		}
		return x
	}
	return v
}

func empty(v any) bool {
	switch x := v.(type) {
	case nil:
		return true
	case map[string]any:
		return len(x) == 0
	case []any:
		return len(x) == 0
	}
	return false
}

// Deterministic reports whether a request's answer may be reused: chat
// and generate need temperature 0 or a seed; embeddings and reranking
// are deterministic by nature. Other services are never cached.
func Deterministic(req any) bool {
	var o *types.Options
	switch r := req.(type) {
	case *types.ChatRequest:
		o = r.Options
	case *types.GenerateRequest:
		o = r.Options
	case *types.EmbedRequest, *types.RerankRequest:
		return true
	default:
		return false
	}
	return o != nil && ((o.Temperature != nil && *o.Temperature == 0) || o.Seed != nil)
}
