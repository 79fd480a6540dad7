package api

import (
	"crypto/subtle"
	"net"
	"net/http"
	"net/http/pprof"
	"slices"
	"strings"

	"github.com/roundhouse-ai/roundhouse/sdk"
)

// hostGuard rejects requests whose Host header is not a loopback name, the
// listen address or a configured allowed host. A web page that rebinds its
// own domain to 127.0.0.1 sends its domain as Host and is refused, so it
// cannot drive the loopback API.
func hostGuard(allowed []string, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		host := r.Host
		if h, _, err := net.SplitHostPort(host); err == nil {
			host = h
		}
		host = strings.Trim(host, "[]")
		ip := net.ParseIP(host)
		ok := host == "" || host == "localhost" || (ip != nil && (ip.IsLoopback() || ip.IsUnspecified())) ||
			slices.Contains(allowed, host) || slices.Contains(allowed, r.Host)
		if !ok {
			http.Error(w, `{"error":{"message":"Host header not allowed; add it to allowed_hosts in the config","code":"permission_denied"}}`, http.StatusForbidden)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// admin guards a management route: with an admin token configured the
// request must carry it; without one only loopback clients may call.
func (s *Server) admin(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if tok := s.h.Config().AdminToken; tok != "" {
			got := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
			if subtle.ConstantTimeCompare([]byte(got), []byte(tok)) != 1 {
				writeError(w, r, s.log, sdk.Errorf(sdk.CodeUnauthenticated, "admin route: send Authorization: Bearer <admin_token>"))
				return
			}
		} else if !loopbackClient(r) {
			writeError(w, r, s.log, sdk.Errorf(sdk.CodePermissionDenied, "admin route: only loopback clients may call it unless admin_token is set"))
			return
		}
		h(w, r)
	}
}

func loopbackClient(r *http.Request) bool {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return false
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func (s *Server) pprofRoutes() {
	s.mux.HandleFunc("GET /debug/pprof/", s.admin(pprof.Index))
	s.mux.HandleFunc("GET /debug/pprof/cmdline", s.admin(pprof.Cmdline))
	s.mux.HandleFunc("GET /debug/pprof/profile", s.admin(pprof.Profile))
	s.mux.HandleFunc("GET /debug/pprof/symbol", s.admin(pprof.Symbol))
	s.mux.HandleFunc("GET /debug/pprof/trace", s.admin(pprof.Trace))
}
