package api

import (
	"net/http"

	"github.com/roundhouse-ai/roundhouse/sdk"
)

// jsonMux answers unknown routes and wrong methods with a JSON error (in
// the dialect of the path) instead of ServeMux's plain text, keeping the
// Allow header ServeMux computes for a 405.
func jsonMux(mux *http.ServeMux) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h, pattern := mux.Handler(r)
		if pattern != "" {
			mux.ServeHTTP(w, r)
			return
		}
		rec := &statusOnly{header: http.Header{}}
		h.ServeHTTP(rec, r) // ServeMux's own 404/405/redirect
		switch rec.status {
		case http.StatusMethodNotAllowed:
			w.Header().Set("Allow", rec.header.Get("Allow"))
			guardError(w, r, http.StatusMethodNotAllowed, sdk.CodeInvalidArgument, "method",
				"method "+r.Method+" is not allowed on "+r.URL.Path+"; allowed: "+rec.header.Get("Allow"))
		case http.StatusNotFound, 0:
			guardError(w, r, http.StatusNotFound, sdk.CodeNotFound, "",
				"no route "+r.Method+" "+r.URL.Path+" (GET /openapi.json lists the native routes)")
		default: // redirects (cleaned paths): let ServeMux answer
			mux.ServeHTTP(w, r)
		}
	})
}

// statusOnly records a handler's status and headers, dropping its body.
type statusOnly struct {
	header http.Header
	status int
}

func (s *statusOnly) Header() http.Header { return s.header }
func (s *statusOnly) Write(p []byte) (int, error) {
	if s.status == 0 {
		s.status = http.StatusOK
	}
	return len(p), nil
}
func (s *statusOnly) WriteHeader(code int) {
	if s.status == 0 {
		s.status = code
	}
}
