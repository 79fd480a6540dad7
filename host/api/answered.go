package api

import (
	"bytes"
	"encoding/json"
	"net/http"
	"sync"

	"github.com/roundhouse-ai/roundhouse/host/backend"
	"github.com/roundhouse-ai/roundhouse/host/httpx"
	"github.com/roundhouse-ai/roundhouse/host/route"
)

// answer is one request's record of who answered it: the dispatcher
// tells it (RecordServed), the native answer's "route" object reads it.
// It is also the request's context layer (id, caller, recorder): one
// allocation holds what used to be three context layers, their boxed
// values, a closure and a copy of the Served.
type answer struct {
	backend.RequestContext
	w      http.ResponseWriter
	served backend.Served
	known  bool
	// vals backs the who-answered header values (part of this one
	// allocation rather than one more per request).
	vals [4]string
}

// RecordServed is the served hook.
func (a *answer) RecordServed(s backend.Served) { a.record(s) }

// record sets the headers that say who answered and keeps s for servedOf.
func (a *answer) record(s backend.Served) {
	if s.Plugin == "" {
		return // nothing was chosen (the request failed before)
	}
	// One backing array for the header values instead of one slice per
	// Header.Set; each value gets its own capacity-1 slice, so an Add
	// elsewhere copies rather than writes into a neighbour. The keys are
	// canonical (TestServedHeaderKeysCanonical), as Set would make them.
	a.vals = [4]string{s.Plugin, s.Provider, s.Model, s.Cache}
	v := a.vals[:]
	h := a.w.Header()
	h[backend.HeaderPlugin] = v[0:1:1]
	h[backend.HeaderProvider] = v[1:2:2]
	h[backend.HeaderModel] = v[2:3:3]
	if s.Cache != "" {
		h[backend.HeaderCache] = v[3:4:4]
	}
	a.served, a.known = s, true
}

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
		a := &answer{w: w}
		a.Init(r.Context(), id, a)
		next.ServeHTTP(w, r.WithContext(&a.RequestContext))
	})
}

// servedOf is who answered r ("nil" before the dispatcher chose).
func servedOf(r *http.Request) *backend.Served {
	if a, _ := backend.ServedRecorderFrom(r.Context()).(*answer); a != nil && a.known {
		return &a.served
	}
	return nil
}

// routeBufs holds the buffers writeWithRoute encodes into.
var routeBufs = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// writeWithRoute writes resp as JSON with a "route" object added: who
// answered. The object is spliced in before resp's closing brace rather
// than by decoding resp into a map and encoding it again (that was ~30
// allocations per request); the members are the same, "route" comes last.
// No answer type has a "route" member of its own.
func writeWithRoute(w http.ResponseWriter, resp any, s *backend.Served) {
	if s == nil {
		httpx.WriteJSON(w, http.StatusOK, resp)
		return
	}
	buf := routeBufs.Get().(*bytes.Buffer)
	defer func() {
		if buf.Cap() <= 64<<10 { // do not keep a large answer's buffer alive
			buf.Reset()
			routeBufs.Put(buf)
		}
	}()
	buf.Reset()
	enc := json.NewEncoder(buf)
	if enc.Encode(resp) != nil {
		httpx.WriteJSON(w, http.StatusOK, resp) // as before: encoding's own outcome
		return
	}
	// buf is "{...}\n" for an object; anything else ("null") goes as is.
	if b := buf.Bytes(); len(b) >= 3 && b[0] == '{' && b[len(b)-2] == '}' {
		empty := len(b) == 3 // "{}\n"
		buf.Truncate(len(b) - 2)
		if !empty {
			buf.WriteByte(',')
		}
		buf.WriteString(`"route":`)
		_ = enc.Encode(s) // Served is strings and an int: it cannot fail
		buf.Truncate(buf.Len() - 1)
		buf.WriteString("}\n")
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(buf.Bytes())
}
