package api

import (
	"net"
	"net/http"
	"slices"
	"strings"
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
