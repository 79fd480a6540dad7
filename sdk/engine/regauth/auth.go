package regauth

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/roundhouse-ai/roundhouse/types"
)

// challenge is a parsed WWW-Authenticate header.
type challenge struct {
	scheme string // "basic" or "bearer" (lower case)
	params map[string]string
}

// key identifies a Bearer token: one per realm, service and scope.
func (c challenge) key() string {
	return c.params["realm"] + "\x00" + c.params["service"] + "\x00" + c.params["scope"]
}

// parseChallenge reads the first challenge of a WWW-Authenticate header:
// `Bearer realm="https://auth.example/token",service="reg",scope="repository:ns/m:pull"`.
func parseChallenge(h string) challenge {
	h = strings.TrimSpace(h)
	scheme, rest, _ := strings.Cut(h, " ")
	c := challenge{scheme: strings.ToLower(scheme), params: map[string]string{}}
	for rest = strings.TrimSpace(rest); rest != ""; {
		k, v, ok := strings.Cut(rest, "=")
		if !ok {
			break
		}
		k = strings.ToLower(strings.TrimSpace(k))
		v = strings.TrimLeft(v, " ")
		if strings.HasPrefix(v, `"`) {
			// Quoted string; \" escapes a quote.
			var b strings.Builder
			i := 1
			for ; i < len(v) && v[i] != '"'; i++ {
				if v[i] == '\\' && i+1 < len(v) {
					i++
				}
				b.WriteByte(v[i])
			}
			c.params[k] = b.String()
			rest = v[min(i+1, len(v)):]
		} else {
			end := strings.IndexByte(v, ',')
			if end < 0 {
				end = len(v)
			}
			c.params[k] = strings.TrimSpace(v[:end])
			rest = v[end:]
		}
		rest = strings.TrimLeft(rest, ", ")
	}
	return c
}

type token struct {
	value   string
	expires time.Time
}

// authorizer holds what the proxy learnt of the registry's scheme and the
// tokens it fetched. Tokens are cached per scope until expires_in (less a
// margin); the challenge last seen for each kind of request (read or
// write) lets a later request get its token before it is refused.
type authorizer struct {
	auth     types.RegistryAuth
	host     string
	insecure bool
	client   *http.Client
	now      func() time.Time

	mu     sync.Mutex
	basic  bool                 // the registry asked for Basic
	bearer map[string]challenge // kind ("pull"/"push") → last Bearer challenge
	tokens map[string]token     // challenge.key() → token
	// fetches counts token requests (tests check the cache with it).
	fetches int
}

func newAuthorizer(a types.RegistryAuth, host string, insecure bool, client *http.Client) *authorizer {
	return &authorizer{auth: a, host: host, insecure: insecure, client: client, now: time.Now,
		bearer: map[string]challenge{}, tokens: map[string]token{}}
}

// user is the Basic user name: the saved one, or "token" when only a
// token is saved (registries that take a token as password ignore it).
func (a *authorizer) user() string {
	if a.auth.Username != "" {
		return a.auth.Username
	}
	return "token"
}

// secret is the Basic password: the password, else the token.
func (a *authorizer) secret() string {
	if a.auth.Password != "" {
		return a.auth.Password
	}
	return a.auth.Token
}

func (a *authorizer) basicHeader() string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(a.user()+":"+a.secret()))
}

// header is the Authorization to send before any challenge for kind, ""
// when nothing is known yet.
func (a *authorizer) header(ctx context.Context, kind string) (string, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.basic {
		return a.basicHeader(), nil
	}
	c, ok := a.bearer[kind]
	if !ok {
		return "", nil
	}
	return a.tokenLocked(ctx, c)
}

// answer learns from a 401's challenge and returns the Authorization to
// retry with. sent is what the refused request carried: a refusal of the
// very answer this challenge gives is final (wrong credentials, or a token
// without the rights asked for).
func (a *authorizer) answer(ctx context.Context, kind, sent string, c challenge) (string, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	switch c.scheme {
	case "basic":
		a.basic = true
		h := a.basicHeader()
		if sent == h {
			return "", refused(a.host, a.auth.Username, "Basic authentication failed")
		}
		return h, nil
	case "bearer":
		a.bearer[kind] = c
		if t, ok := a.tokens[c.key()]; ok && "Bearer "+t.value == sent {
			if a.now().Before(t.expires) {
				// The registry refused a live token issued for exactly
				// this scope: the token service gave fewer rights than
				// asked (Docker token services drop what the account may
				// not do).
				return "", denied(a.host, a.auth.Username, scopeRepo(c.params["scope"]), kind)
			}
			delete(a.tokens, c.key())
		}
		return a.tokenLocked(ctx, c)
	}
	return "", &types.Error{Code: types.CodeUnauthenticated,
		Message: fmt.Sprintf("registry %s asks for %q authentication, which Roundhouse cannot answer (it answers Basic and Bearer token challenges)", a.host, c.scheme)}
}

// scopeRepo is the repository of "repository:ns/m:pull,push"; "the
// registry" when the challenge names no scope (GET /v2/'s challenge).
func scopeRepo(scope string) string {
	f := strings.Fields(scope)
	if len(f) == 0 {
		return "the registry"
	}
	s := strings.TrimPrefix(f[0], "repository:")
	if i := strings.LastIndexByte(s, ':'); i > 0 {
		s = s[:i]
	}
	return s
}

// tokenLocked returns the cached token for c while it lives, or fetches
// one.
func (a *authorizer) tokenLocked(ctx context.Context, c challenge) (string, error) {
	if t, ok := a.tokens[c.key()]; ok && a.now().Before(t.expires) {
		return "Bearer " + t.value, nil
	}
	t, err := a.fetch(ctx, c)
	if err != nil {
		return "", err
	}
	a.tokens[c.key()] = t
	return "Bearer " + t.value, nil
}

// fetch asks the token service (the challenge's realm) for a token, with
// the credentials as Basic (Docker token authentication).
func (a *authorizer) fetch(ctx context.Context, c challenge) (token, error) {
	realm, err := url.Parse(c.params["realm"])
	if err != nil || realm.Host == "" || (realm.Scheme != "https" && !(realm.Scheme == "http" && a.insecure)) {
		return token{}, &types.Error{Code: types.CodeUnavailable,
			Message: fmt.Sprintf("registry %s names the token service %q: Roundhouse sends credentials only to an https token service (http when the pull or push is insecure)", a.host, c.params["realm"])}
	}
	q := realm.Query()
	if s := c.params["service"]; s != "" {
		q.Set("service", s)
	}
	for _, s := range strings.Fields(c.params["scope"]) {
		q.Add("scope", s)
	}
	realm.RawQuery = q.Encode()
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, realm.String(), nil)
	if err != nil {
		return token{}, err
	}
	req.Header.Set("Authorization", a.basicHeader())
	a.fetches++
	resp, err := a.client.Do(req)
	if err != nil {
		return token{}, &types.Error{Code: types.CodeUnavailable, Retryable: true, Err: err,
			Message: fmt.Sprintf("registry %s: token service %s cannot be reached: %v", a.host, realm.Host, err)}
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	switch {
	case resp.StatusCode == http.StatusUnauthorized:
		return token{}, refused(a.host, a.auth.Username, "the token service answered 401")
	case resp.StatusCode == http.StatusForbidden:
		return token{}, denied(a.host, a.auth.Username, scopeRepo(c.params["scope"]), "the requested")
	case resp.StatusCode != http.StatusOK:
		return token{}, &types.Error{Code: types.CodeUnavailable, Retryable: resp.StatusCode >= 500,
			Message: fmt.Sprintf("registry %s: token service answered %s", a.host, resp.Status)}
	}
	var tr struct {
		Token       string `json:"token"`
		AccessToken string `json:"access_token"`
		ExpiresIn   int    `json:"expires_in"`
	}
	if err := json.Unmarshal(body, &tr); err != nil || tr.Token == "" && tr.AccessToken == "" {
		return token{}, &types.Error{Code: types.CodeUnavailable,
			Message: fmt.Sprintf("registry %s: token service answered without a token", a.host)}
	}
	v := tr.Token
	if v == "" {
		v = tr.AccessToken
	}
	// 60 s is the specification's default lifetime; a margin keeps a
	// token from expiring in flight.
	life := time.Duration(tr.ExpiresIn) * time.Second
	if life <= 0 {
		life = 60 * time.Second
	}
	margin := min(life/10, 10*time.Second)
	return token{value: v, expires: a.now().Add(life - margin)}, nil
}
