package api

import (
	"net"
	"net/http"
	"net/netip"
	"slices"
	"strings"
)

// hostGuard rejects requests whose Host header is not a loopback name, the
// listen address or a configured allowed host. A web page that rebinds its
// own domain to 127.0.0.1 sends its domain as Host and is refused, so it
// cannot drive the loopback API.
func hostGuard(allowed []string, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ok := r.Host == "" || loopbackHost(r.Host) || slices.Contains(allowed, hostOnly(r.Host)) || slices.Contains(allowed, r.Host)
		if !ok {
			http.Error(w, `{"error":{"message":"Host header not allowed; add it to allowed_hosts in the config","code":"permission_denied"}}`, http.StatusForbidden)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// hostOnly is a Host header without its port and brackets.
func hostOnly(hostport string) string {
	host := hostport
	if strings.LastIndexByte(host, ':') >= 0 { // else SplitHostPort fails, allocating its error
		if h, _, err := net.SplitHostPort(host); err == nil {
			host = h
		}
	}
	return strings.Trim(host, "[]")
}

// loopbackHost reports whether a Host header names this machine:
// localhost, a loopback address or the unspecified one. netip parses
// without allocating (net.ParseIP allocated per request); an address with
// a zone is refused, as net.ParseIP refused it.
func loopbackHost(hostport string) bool {
	host := hostOnly(hostport)
	if host == "" || host == "localhost" {
		return true
	}
	a, err := netip.ParseAddr(host)
	return err == nil && a.Zone() == "" && (a.IsLoopback() || a.IsUnspecified())
}
