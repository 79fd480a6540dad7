package api

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"net"
	"net/http"
	"slices"
	"strings"

	"github.com/roundhouse-ai/roundhouse/host/backend"
	"github.com/roundhouse-ai/roundhouse/host/config"
	"github.com/roundhouse-ai/roundhouse/sdk"
)

// scope is what a route requires of its caller.
type scope int

const (
	scopeNone   scope = iota // health and version: always open
	scopeInvoke              // services, compatible APIs, reading state
	// scopeManage changes local models (pull, delete, load, unload, copy,
	// create, push): admin when API keys are on, open to invoke otherwise
	// (a desktop user pulls models without a token).
	scopeManage
	// scopeAdmin: providers, registry credentials, engines, plugin management (install, remove,
	// enable, disable, restart), reload, the effective config, pprof:
	// always guarded.
	scopeAdmin
)

// routeScope classifies a request. It is the one place that says which
// routes change what; every route registered anywhere (native or a
// compatible surface) is invoke unless listed here.
func routeScope(r *http.Request) scope {
	p, m := r.URL.Path, r.Method
	switch {
	case p == "/health" || p == "/version" || m == http.MethodOptions:
		return scopeNone
	case strings.HasPrefix(p, "/v1/providers"), strings.HasPrefix(p, "/debug/pprof"), p == "/metrics",
		p == "/v1/registries" || strings.HasPrefix(p, "/v1/registries/"),
		strings.HasPrefix(p, "/v1/engines/") && m != http.MethodGet,
		strings.HasPrefix(p, "/v1/plugins/") && m != http.MethodGet,
		p == "/v1/reload", p == "/v1/config":
		return scopeAdmin
	case strings.HasPrefix(p, "/v1/models/") && m != http.MethodGet,
		strings.HasPrefix(p, "/v1/pulls/") && m == http.MethodDelete,
		p == "/api/pull", p == "/api/delete", p == "/api/copy", p == "/api/create", p == "/api/push",
		strings.HasPrefix(p, "/api/blobs/"),
		p == "/v1/uploads", strings.HasPrefix(p, "/v1/uploads/"): // resumable blob uploads, like /api/blobs
		return scopeManage
	}
	return scopeInvoke
}

// keyring holds the host API keys by the hex SHA-256 of the key: the
// keys themselves are never stored, and a lookup hashes what the caller
// sent, so comparing takes no secret-dependent time.
type keyring struct {
	byHash     map[string]config.APIKey
	adminToken string
}

func newKeyring(cfg *config.Config) *keyring {
	k := &keyring{byHash: map[string]config.APIKey{}, adminToken: cfg.AdminToken}
	for _, key := range cfg.APIKeys {
		k.byHash[strings.ToLower(key.SHA256)] = key
	}
	return k
}

func (k *keyring) on() bool { return len(k.byHash) > 0 }

// lookup returns the key matching token; the admin token counts as a key
// named "admin" with both scopes.
func (k *keyring) lookup(token string) (config.APIKey, bool) {
	if k.adminToken != "" && subtle.ConstantTimeCompare([]byte(token), []byte(k.adminToken)) == 1 {
		return config.APIKey{Name: "admin", Scopes: []string{config.ScopeInvoke, config.ScopeAdmin}}, true
	}
	sum := sha256.Sum256([]byte(token))
	key, ok := k.byHash[hex.EncodeToString(sum[:])]
	return key, ok
}

func hasScope(key config.APIKey, s string) bool {
	if len(key.Scopes) == 0 {
		return s == config.ScopeInvoke
	}
	// admin implies invoke: an operator's key can also call services.
	return slices.Contains(key.Scopes, s) || (s == config.ScopeInvoke && slices.Contains(key.Scopes, config.ScopeAdmin))
}

// bearerToken parses an Authorization header as RFC 7235 credentials with
// the Bearer scheme of RFC 6750: the scheme is case-insensitive, one or
// more spaces follow it, and the token is a token68. Anything else (Basic,
// a bare token, a token with spaces or commas) is refused, not guessed at.
func bearerToken(h string) (string, bool) {
	scheme, rest, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	tok := strings.TrimLeft(rest, " ")
	if tok == "" {
		return "", false
	}
	eq := false
	for i := 0; i < len(tok); i++ {
		c := tok[i]
		switch {
		case c == '=':
			eq = true // '=' only as trailing padding
		case eq:
			return "", false
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9',
			c == '-', c == '.', c == '_', c == '~', c == '+', c == '/':
		default:
			return "", false
		}
	}
	return tok, true
}

// authenticate checks the caller against the route's scope and puts its
// identity in the request context. Without API keys, invoke routes are
// open, and admin routes need the admin token when one is set or else a
// loopback client. With keys, every route but /health and /version needs
// one, and model management needs the admin scope.
//
// Anthropic clients send their key as x-api-key; it is read as a bearer
// token too, so they authenticate unchanged.
func (s *Server) authenticate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		caller := backend.Caller{Addr: clientAddr(r)}
		need := routeScope(r)
		if need == scopeNone {
			next.ServeHTTP(w, r)
			return
		}
		token, present, valid := "", false, false
		if h := r.Header.Get("Authorization"); h != "" {
			present = true
			token, valid = bearerToken(h)
		} else if h := r.Header.Get("X-Api-Key"); h != "" {
			present, token, valid = true, h, true
		}
		var key config.APIKey
		known := false
		if valid {
			key, known = s.keys.lookup(token)
		}
		if known {
			caller.App, caller.Admin = key.Name, hasScope(key, config.ScopeAdmin)
		}
		caller.NoManage = s.keys.on() && !caller.Admin
		if !s.keys.on() {
			// Without keys an app may name itself, for usage and budgets.
			caller.App = appHeader(r.Header.Get("X-Roundhouse-App"))
		}
		switch {
		case s.keys.on() || (need == scopeAdmin && s.keys.adminToken != ""):
			if !known {
				msg := "this route needs an API key: send Authorization: Bearer <key> (roundhouse keys new NAME creates one)"
				if need == scopeAdmin && !s.keys.on() {
					msg = "admin route: send Authorization: Bearer <admin_token>"
				}
				if present && !valid {
					msg = "Authorization must be \"Bearer <token>\" (RFC 6750); " + msg
				} else if present {
					msg = "the API key is not valid; " + msg
				}
				w.Header().Set("WWW-Authenticate", `Bearer realm="roundhouse"`)
				guardError(w, r, http.StatusUnauthorized, sdk.CodeUnauthenticated, "Authorization", msg)
				return
			}
			want := config.ScopeInvoke
			if need >= scopeManage {
				want = config.ScopeAdmin
			}
			if !hasScope(key, want) {
				guardError(w, r, http.StatusForbidden, sdk.CodePermissionDenied, "Authorization",
					"the API key "+key.Name+" lacks the "+want+" scope this route needs")
				return
			}
		case need == scopeAdmin && !loopbackClient(r):
			guardError(w, r, http.StatusForbidden, sdk.CodePermissionDenied, "",
				"admin route: only loopback clients may call it unless admin_token or api_keys are set")
			return
		}
		// Set on the request's own context layer when nothing was layered
		// over it (no r.WithContext, no allocation); else a new layer.
		if ctx := backend.SetCaller(r.Context(), caller); ctx != r.Context() {
			r = r.WithContext(ctx)
		}
		next.ServeHTTP(w, r)
	})
}

func clientAddr(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

func loopbackClient(r *http.Request) bool {
	ip := net.ParseIP(clientAddr(r))
	return ip != nil && ip.IsLoopback()
}

// appHeader is the X-Roundhouse-App value when it is a plausible app
// name (printable ASCII, at most 64 bytes), "" otherwise: it lands in
// usage records, logs and metrics.
func appHeader(v string) string {
	if len(v) > 64 {
		return ""
	}
	for i := 0; i < len(v); i++ {
		if v[i] <= ' ' || v[i] > '~' {
			return ""
		}
	}
	return v
}
