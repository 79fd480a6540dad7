package api

import (
	"net/http"
	"net/url"
	"path"
	"strings"

	"github.com/roundhouse-ai/roundhouse/sdk"
)

// originPolicy holds the web origins whose pages may call the host from a
// browser (config allowed_origins). Entries are exact origins, "*" globs
// ("http://localhost:*") or "*" for every origin.
type originPolicy struct {
	patterns []string
	all      bool
}

func newOriginPolicy(origins []string) originPolicy {
	op := originPolicy{}
	for _, o := range origins {
		o = strings.TrimRight(strings.ToLower(o), "/")
		if o == "*" {
			op.all = true
		}
		op.patterns = append(op.patterns, o)
	}
	return op
}

// allowsExactly reports whether origin is listed as itself, not through
// "*" or a glob: what admin and model-management routes require, so a
// blanket allow_origins "*" (common with Ollama) opens the services to
// web pages but never lets a page add providers or restart plugins.
func (op originPolicy) allowsExactly(origin string) bool {
	origin = strings.ToLower(origin)
	for _, p := range op.patterns {
		if p == origin && !strings.Contains(p, "*") {
			return true
		}
	}
	return false
}

// allows reports whether a page of origin may call the host.
func (op originPolicy) allows(origin string) bool {
	if op.all {
		return true
	}
	origin = strings.ToLower(origin)
	for _, p := range op.patterns {
		if p == origin {
			return true
		}
		if ok, _ := path.Match(p, origin); ok && strings.Contains(p, "*") {
			return true
		}
	}
	return false
}

// sameOrigin reports whether origin is the host's own origin (a page the
// host itself served), judged by the Host header the browser sent.
func sameOrigin(origin string, r *http.Request) bool {
	u, err := url.Parse(origin)
	if err != nil || u.Host == "" {
		return false
	}
	return strings.EqualFold(u.Host, r.Host)
}

// crossSiteGuard refuses, before any handler runs, what a web page the
// user happens to open could send to the loopback API:
//
//   - any request carrying an Origin that is neither the host's own nor an
//     allowed origin (browsers send Origin on every cross-origin fetch and
//     form post, including mode "no-cors" ones that need no preflight);
//   - any state-changing request (not GET, HEAD or OPTIONS) that a browser
//     marks as coming from another site (Sec-Fetch-Site cross-site or
//     same-site) without an allowed Origin.
//
// Requests from programs carry neither header and pass. This is the
// check Ollama applies with OLLAMA_ORIGINS, with no origins allowed by
// default; together with the JSON Content-Type requirement (which forces
// a CORS preflight) it makes cross-site control impossible by
// construction rather than by each handler remembering to check.
func crossSiteGuard(op originPolicy, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if origin := r.Header.Get("Origin"); origin != "" {
			if !sameOrigin(origin, r) && !op.allows(origin) {
				guardError(w, r, http.StatusForbidden, sdk.CodePermissionDenied, "Origin",
					"requests from web origin "+origin+" are not allowed; to let a browser app call the host, add its origin to allowed_origins in the config (or ROUNDHOUSE_ORIGINS)")
				return
			}
			if !sameOrigin(origin, r) && routeScope(r) >= scopeManage && !op.allowsExactly(origin) {
				guardError(w, r, http.StatusForbidden, sdk.CodePermissionDenied, "Origin",
					"web origin "+origin+" is allowed only through \"*\" or a glob, which opens the services but not admin or model-management routes; list the origin itself in allowed_origins")
				return
			}
			next.ServeHTTP(w, r)
			return
		}
		if !safeMethod(r.Method) {
			switch r.Header.Get("Sec-Fetch-Site") {
			case "cross-site", "same-site":
				guardError(w, r, http.StatusForbidden, sdk.CodePermissionDenied, "Sec-Fetch-Site",
					"cross-site requests may not change the host's state")
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}

func safeMethod(m string) bool {
	return m == http.MethodGet || m == http.MethodHead || m == http.MethodOptions
}
