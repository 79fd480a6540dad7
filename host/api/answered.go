package api

import (
	"context"
	"encoding/json"
	"net/http"

	"github.com/roundhouse-ai/roundhouse/host/backend"
	"github.com/roundhouse-ai/roundhouse/host/route"
	"github.com/roundhouse-ai/roundhouse/types"
)

// servedBox holds who answered a request, for the native answer's
// "route" object.
type servedBox struct{ s *backend.Served }

type servedBoxKey struct{}

// answered gives every request its id (the client's X-Request-Id when it
// is sensible, else a new one) and every answer the headers that say who
// answered: X-Request-Id at once; X-Roundhouse-Plugin, -Provider and
// -Model as soon as the dispatcher knows (before a stream's first byte),
// through a hook in the context, so the surfaces need not know the host.
func answered(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.Header.Get(backend.HeaderRequestID)
		if !route.ValidRequestID(id) {
			id = route.NewRequestID()
		}
		w.Header().Set(backend.HeaderRequestID, id)
		box := &servedBox{}
		ctx := types.WithRequestID(r.Context(), id)
		ctx = context.WithValue(ctx, servedBoxKey{}, box)
		ctx = backend.WithServedHook(ctx, func(s backend.Served) {
			if s.Plugin == "" {
				return // nothing was chosen (the request failed before)
			}
			h := w.Header()
			h.Set(backend.HeaderPlugin, s.Plugin)
			h.Set(backend.HeaderProvider, s.Provider)
			h.Set(backend.HeaderModel, s.Model)
			if s.Cache != "" {
				h.Set(backend.HeaderCache, s.Cache)
			}
			box.s = &s
		})
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// servedOf is who answered r ("nil" before the dispatcher chose).
func servedOf(r *http.Request) *backend.Served {
	if box, _ := r.Context().Value(servedBoxKey{}).(*servedBox); box != nil {
		return box.s
	}
	return nil
}

// withRoute is resp's JSON with a "route" object added: who answered.
func withRoute(resp any, s *backend.Served) any {
	if s == nil {
		return resp
	}
	b, err := json.Marshal(resp)
	if err != nil || len(b) < 2 || b[0] != '{' {
		return resp
	}
	var m map[string]json.RawMessage
	if json.Unmarshal(b, &m) != nil {
		return resp
	}
	rb, _ := json.Marshal(s)
	m["route"] = rb
	return m
}
