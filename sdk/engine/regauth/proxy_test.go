package regauth

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/roundhouse-ai/roundhouse/types"
)

const (
	user = "alice"
	pass = "correct-horse-battery"
)

// registry is a protocol-faithful distribution API for one repository
// (ns/m) with Basic or Docker token authentication.
type registry struct {
	t      *testing.T
	srv    *httptest.Server
	tokens *httptest.Server
	bearer bool
	// pushDenied: the token service grants only pull (a read-only account).
	pushDenied bool
	storage    *httptest.Server // blob GETs redirect here when set

	mu       sync.Mutex
	seen     []*http.Request // requests that reached the registry
	issued   map[string]string
	expires  int
	fetches  int
	patchBuf string
}

func newRegistry(t *testing.T, bearer bool) *registry {
	g := &registry{t: t, bearer: bearer, issued: map[string]string{}, expires: 300}
	g.tokens = httptest.NewServer(http.HandlerFunc(g.token))
	g.srv = httptest.NewServer(http.HandlerFunc(g.serve))
	t.Cleanup(func() { g.srv.Close(); g.tokens.Close() })
	return g
}

func (g *registry) host() string { return strings.TrimPrefix(g.srv.URL, "http://") }

func basicOK(r *http.Request) bool {
	u, p, ok := r.BasicAuth()
	return ok && u == user && p == pass
}

func (g *registry) token(w http.ResponseWriter, r *http.Request) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.fetches++
	if !basicOK(r) {
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	scope := strings.Join(r.URL.Query()["scope"], " ")
	if g.pushDenied {
		scope = strings.ReplaceAll(scope, "pull,push", "pull")
	}
	tok := fmt.Sprintf("tok-%d", g.fetches)
	g.issued[tok] = scope
	_ = json.NewEncoder(w).Encode(map[string]any{"token": tok, "expires_in": g.expires})
}

func (g *registry) authorized(r *http.Request, action string) (bool, string) {
	scope := "repository:ns/m:" + action
	if !g.bearer {
		return basicOK(r), `Basic realm="registry"`
	}
	ch := fmt.Sprintf(`Bearer realm=%q,service="test-registry",scope=%q`, g.tokens.URL+"/token", scope)
	tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok {
		return false, ch
	}
	g.mu.Lock()
	granted, ok := g.issued[tok]
	g.mu.Unlock()
	return ok && strings.Contains(granted, "repository:ns/m:"+action), ch
}

func (g *registry) serve(w http.ResponseWriter, r *http.Request) {
	g.mu.Lock()
	g.seen = append(g.seen, r.Clone(context.Background()))
	g.mu.Unlock()
	action := "pull"
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		action = "pull,push"
	}
	if ok, ch := g.authorized(r, action); !ok {
		w.Header().Set("WWW-Authenticate", ch)
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	switch {
	case r.URL.Path == "/v2/":
		w.WriteHeader(http.StatusOK)
	case r.URL.Path == "/v2/ns/m/manifests/v1":
		w.Header().Set("Content-Type", "application/vnd.docker.distribution.manifest.v2+json")
		if r.Method == http.MethodPut {
			body, _ := io.ReadAll(r.Body)
			if string(body) != `{"manifest":1}` {
				w.WriteHeader(http.StatusBadRequest)
				return
			}
			w.WriteHeader(http.StatusCreated)
			return
		}
		io.WriteString(w, `{"schemaVersion":2}`)
	case strings.HasPrefix(r.URL.Path, "/v2/ns/m/blobs/sha256:00"):
		w.WriteHeader(http.StatusNotFound)
	case strings.HasPrefix(r.URL.Path, "/v2/ns/m/blobs/sha256:"):
		if g.storage != nil && r.Method == http.MethodGet {
			http.Redirect(w, r, g.storage.URL+"/store/blob", http.StatusTemporaryRedirect)
			return
		}
		w.Header().Set("Content-Length", "10")
		if r.Method == http.MethodGet {
			if rg := r.Header.Get("Range"); rg != "" {
				w.Header().Set("Content-Range", "bytes 2-4/10")
				w.WriteHeader(http.StatusPartialContent)
				io.WriteString(w, "234")
				return
			}
			io.WriteString(w, "0123456789")
		}
	case r.URL.Path == "/v2/ns/m/blobs/uploads/" && r.Method == http.MethodPost:
		w.Header().Set("Location", g.srv.URL+"/v2/ns/m/blobs/uploads/u-1?_state=abc")
		w.WriteHeader(http.StatusAccepted)
	case r.URL.Path == "/v2/ns/m/blobs/uploads/u-1" && r.Method == http.MethodPatch:
		body, _ := io.ReadAll(r.Body)
		g.mu.Lock()
		g.patchBuf += string(body)
		g.mu.Unlock()
		w.Header().Set("Location", "/v2/ns/m/blobs/uploads/u-1?_state=def")
		w.WriteHeader(http.StatusAccepted)
	default:
		w.WriteHeader(http.StatusNotFound)
	}
}

func startProxy(t *testing.T, g *registry, password string) *Proxy {
	t.Helper()
	p, err := Start(context.Background(), Options{Model: g.host() + "/ns/m:v1", Insecure: true,
		Auth: types.RegistryAuth{Host: g.host(), Username: user, Password: password}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	return p
}

// proxyURL is the proxy's URL for a path inside its repository.
func proxyURL(p *Proxy, rest string) string {
	host, path, _ := strings.Cut(p.Name(), "/")
	repo, _, _ := strings.Cut(path, ":")
	return "http://" + host + "/v2/" + repo + rest
}

func do(t *testing.T, method, u string, body io.Reader, hdr ...string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(method, u, body)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

func TestBasicChallengeAnswered(t *testing.T) {
	g := newRegistry(t, false)
	p := startProxy(t, g, pass)
	resp, body := do(t, "GET", proxyURL(p, "/manifests/v1"), nil, "Accept", "application/vnd.docker.distribution.manifest.v2+json")
	if resp.StatusCode != 200 || body != `{"schemaVersion":2}` {
		t.Fatalf("manifest through the proxy: %d %s", resp.StatusCode, body)
	}
	// Once Basic is known it goes out up front: one 401 in all.
	if resp, _ := do(t, "HEAD", proxyURL(p, "/manifests/v1"), nil); resp.StatusCode != 200 {
		t.Fatalf("HEAD: %d", resp.StatusCode)
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if len(g.seen) != 3 || g.seen[0].Header.Get("Authorization") != "" || !basicOK(g.seen[2]) {
		t.Fatalf("registry saw %d requests, want 401 + retry + an authenticated HEAD", len(g.seen))
	}
	if got := g.seen[1].Header.Get("Accept"); got != "application/vnd.docker.distribution.manifest.v2+json" {
		t.Fatalf("Accept not forwarded: %q", got)
	}
	if p.Err() != nil {
		t.Fatalf("Err after success: %v", p.Err())
	}
}

func TestWrongCredentialsTypedError(t *testing.T) {
	for _, bearer := range []bool{false, true} {
		t.Run(fmt.Sprintf("bearer=%v", bearer), func(t *testing.T) {
			g := newRegistry(t, bearer)
			p := startProxy(t, g, "wrong-password-123")
			resp, body := do(t, "GET", proxyURL(p, "/manifests/v1"), nil)
			if resp.StatusCode != http.StatusForbidden || resp.Header.Get("WWW-Authenticate") != "" {
				t.Fatalf("refused credentials answered %d %v %s; want 403 without a challenge (Ollama would sign one)", resp.StatusCode, resp.Header, body)
			}
			var e *types.Error
			if !errors.As(p.Err(), &e) || e.Code != types.CodeUnauthenticated {
				t.Fatalf("Err = %v, want unauthenticated", p.Err())
			}
			if want := "roundhouse registry login " + g.host(); !strings.Contains(e.Message, want) || strings.Contains(e.Message, "wrong-password") {
				t.Fatalf("message %q: want it to say %q and not quote the password", e.Message, want)
			}
		})
	}
}

func TestBearerTokenFlowCachedPerScope(t *testing.T) {
	g := newRegistry(t, true)
	p := startProxy(t, g, pass)
	now := time.Now()
	p.auth.now = func() time.Time { return now }
	for i := 0; i < 3; i++ {
		if resp, body := do(t, "GET", proxyURL(p, "/manifests/v1"), nil); resp.StatusCode != 200 {
			t.Fatalf("GET %d: %d %s", i, resp.StatusCode, body)
		}
	}
	if g.fetches != 1 {
		t.Fatalf("token fetched %d times for one scope, want 1 (cached)", g.fetches)
	}
	// A write needs another scope: one more token, then the write works.
	if resp, body := do(t, "PUT", proxyURL(p, "/manifests/v1"), strings.NewReader(`{"manifest":1}`)); resp.StatusCode != 201 {
		t.Fatalf("PUT manifest: %d %s", resp.StatusCode, body)
	}
	if g.fetches != 2 {
		t.Fatalf("token fetches after a push = %d, want 2", g.fetches)
	}
	// Past expires_in the pull token is fetched again, before the request
	// (no 401 round trip).
	now = now.Add(301 * time.Second)
	before := len(g.seen)
	if resp, _ := do(t, "GET", proxyURL(p, "/manifests/v1"), nil); resp.StatusCode != 200 {
		t.Fatalf("GET after expiry: %d", resp.StatusCode)
	}
	if g.fetches != 3 || len(g.seen) != before+1 {
		t.Fatalf("after expiry: %d fetches (want 3), %d registry requests (want 1)", g.fetches, len(g.seen)-before)
	}
	for _, r := range g.seen {
		if u, _, ok := r.BasicAuth(); ok {
			t.Fatalf("the registry got Basic credentials (%s) though it asked for tokens", u)
		}
	}
}

func TestPushDeniedTypedError(t *testing.T) {
	g := newRegistry(t, true)
	g.pushDenied = true
	p := startProxy(t, g, pass)
	if resp, _ := do(t, "GET", proxyURL(p, "/manifests/v1"), nil); resp.StatusCode != 200 {
		t.Fatalf("pull with a read-only account: %d", resp.StatusCode)
	}
	resp, _ := do(t, "POST", proxyURL(p, "/blobs/uploads/"), nil)
	var e *types.Error
	if resp.StatusCode != http.StatusForbidden || !errors.As(p.Err(), &e) || e.Code != types.CodePermissionDenied {
		t.Fatalf("push with a read-only account: %d, Err %v; want 403 and permission denied", resp.StatusCode, p.Err())
	}
	if !strings.Contains(e.Message, "roundhouse registry login") {
		t.Fatalf("message %q says nothing of what to do", e.Message)
	}
}

func TestUploadLocationRewritten(t *testing.T) {
	g := newRegistry(t, false)
	p := startProxy(t, g, pass)
	resp, _ := do(t, "POST", proxyURL(p, "/blobs/uploads/"), nil)
	loc := resp.Header.Get("Location")
	if resp.StatusCode != 202 || loc != proxyURL(p, "/blobs/uploads/u-1?_state=abc") {
		t.Fatalf("POST uploads: %d Location %q, want %q", resp.StatusCode, loc, proxyURL(p, "/blobs/uploads/u-1?_state=abc"))
	}
	resp, _ = do(t, "PATCH", loc, strings.NewReader("layer-bytes"), "Content-Type", "application/octet-stream")
	if resp.StatusCode != 202 || g.patchBuf != "layer-bytes" {
		t.Fatalf("PATCH through the rewritten Location: %d, registry got %q", resp.StatusCode, g.patchBuf)
	}
	// A relative Location is made absolute on the proxy too.
	if got := resp.Header.Get("Location"); got != proxyURL(p, "/blobs/uploads/u-1?_state=def") {
		t.Fatalf("relative Location rewritten to %q", got)
	}
}

func TestBlobRedirectAndDirectFetch(t *testing.T) {
	g := newRegistry(t, false)
	var storageAuth []string
	g.storage = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		storageAuth = append(storageAuth, r.Header.Get("Authorization"))
		if r.Header.Get("Range") != "bytes=2-4" {
			t.Errorf("storage got Range %q", r.Header.Get("Range"))
		}
		w.Header().Set("Content-Range", "bytes 2-4/10")
		w.WriteHeader(http.StatusPartialContent)
		io.WriteString(w, "234")
	}))
	defer g.storage.Close()
	p := startProxy(t, g, pass)
	digest := "/blobs/sha256:" + strings.Repeat("ab", 32)
	resp, _ := do(t, "GET", proxyURL(p, digest), nil)
	loc, _ := url.Parse(resp.Header.Get("Location"))
	if resp.StatusCode != http.StatusTemporaryRedirect || loc == nil || loc.Hostname() != "localhost" || !loc.Query().Has(DirectParam) {
		t.Fatalf("blob GET: %d Location %v; want a 307 to localhost, marked", resp.StatusCode, loc)
	}
	resp, body := do(t, "GET", loc.String(), nil, "Range", "bytes=2-4")
	if resp.StatusCode != http.StatusPartialContent || body != "234" {
		t.Fatalf("direct blob GET: %d %q", resp.StatusCode, body)
	}
	if len(storageAuth) != 1 || storageAuth[0] != "" {
		t.Fatalf("storage on another host got Authorization %q", storageAuth)
	}
	// Storage that refuses (an expired signed URL) is passed on: it says
	// nothing of the registry credentials.
	refusing := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusForbidden) }))
	defer refusing.Close()
	g.storage = refusing
	if resp, _ := do(t, "GET", loc.String(), nil, "Range", "bytes=2-4"); resp.StatusCode != http.StatusForbidden || p.Err() != nil {
		t.Fatalf("storage refusal: %d, Err %v; want 403 passed on and no auth failure", resp.StatusCode, p.Err())
	}
	// A missing blob is a 404, not a redirect to one.
	g.storage = nil
	if resp, _ := do(t, "GET", proxyURL(p, "/blobs/sha256:"+strings.Repeat("00", 32)), nil); resp.StatusCode != 404 {
		t.Fatalf("missing blob: %d, want 404", resp.StatusCode)
	}
}

func TestBrowserAndForeignRequestsRefused(t *testing.T) {
	g := newRegistry(t, false)
	p := startProxy(t, g, pass)
	for _, hdr := range [][]string{{"Origin", "http://evil.example"}, {"Sec-Fetch-Site", "cross-site"}, {"Origin", "null"}} {
		if resp, _ := do(t, "GET", proxyURL(p, "/manifests/v1"), nil, hdr...); resp.StatusCode != http.StatusForbidden {
			t.Errorf("request with %v: %d, want 403", hdr, resp.StatusCode)
		}
	}
	// Only its own (random) repository: the real name and others are not
	// reachable through it.
	host, _, _ := strings.Cut(p.Name(), "/")
	repo := strings.Split(strings.SplitN(p.Name(), ":", 3)[1], "/")[1:] // [ns, model]
	climb := "/v2/" + repo[0] + "/" + strings.Split(repo[1], ":")[0] + "/../../other/x/manifests/v1"
	for _, path := range []string{"/v2/ns/m/manifests/v1", "/v2/other/x/manifests/v1", "/v2/_catalog", "/", climb} {
		if resp, _ := do(t, "GET", "http://"+host+path, nil); resp.StatusCode != http.StatusNotFound {
			t.Errorf("GET %s: %d, want 404", path, resp.StatusCode)
		}
	}
	if len(g.seen) != 0 {
		t.Fatalf("refused requests reached the registry: %d", len(g.seen))
	}
	if p.Err() != nil {
		t.Fatalf("refusals counted as an auth failure: %v", p.Err())
	}
}

func TestClosedAfterUse(t *testing.T) {
	g := newRegistry(t, false)
	ctx, cancel := context.WithCancel(context.Background())
	p, err := Start(ctx, Options{Model: g.host() + "/ns/m:v1", Insecure: true, Auth: types.RegistryAuth{Username: user, Password: pass}})
	if err != nil {
		t.Fatal(err)
	}
	u := proxyURL(p, "/manifests/v1")
	if resp, _ := do(t, "GET", u, nil); resp.StatusCode != 200 {
		t.Fatalf("before close: %d", resp.StatusCode)
	}
	cancel() // the operation's end closes it
	deadline := time.Now().Add(5 * time.Second)
	for {
		resp, err := http.Get(u)
		if err != nil {
			break
		}
		resp.Body.Close()
		if time.Now().After(deadline) {
			t.Fatal("proxy still answers after its context ended")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err := p.Close(); err != nil {
		t.Fatalf("Close after the context closed it: %v", err)
	}
}

func TestParseChallenge(t *testing.T) {
	c := parseChallenge(`Bearer realm="https://auth.example/token",service="registry.example",scope="repository:ns/m:pull,push"`)
	if c.scheme != "bearer" || c.params["realm"] != "https://auth.example/token" || c.params["service"] != "registry.example" || c.params["scope"] != "repository:ns/m:pull,push" {
		t.Fatalf("parsed %+v", c)
	}
	if c := parseChallenge(`Basic realm="Registry Realm"`); c.scheme != "basic" || c.params["realm"] != "Registry Realm" {
		t.Fatalf("parsed %+v", c)
	}
	if got := scopeRepo("repository:ns/m:pull,push"); got != "ns/m" {
		t.Fatalf("scopeRepo = %q", got)
	}
}

func TestStartChecksTheName(t *testing.T) {
	for _, m := range []string{"llama3.2", "me/model", "reg.example/a/b/c", "reg.example/ns/m:"} {
		if _, err := Start(context.Background(), Options{Model: m, Auth: types.RegistryAuth{Username: "u", Password: "p"}}); err == nil {
			t.Errorf("Start(%q) accepted", m)
		}
	}
	p, err := Start(context.Background(), Options{Model: "reg.example/m", Auth: types.RegistryAuth{Token: "t"}})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	if !strings.HasSuffix(p.Name(), "/m:latest") || p.ref.path() != "library/m" {
		t.Fatalf("Name %s, upstream %s", p.Name(), p.ref.path())
	}
}

// Close ends the proxy's connections to the registry too: each proxy has
// its own transport, whose idle keep-alive connections (and their two
// goroutines each) would otherwise outlive it by the transport's idle
// timeout (90 s) after every pull or push.
func TestCloseDropsRegistryConnections(t *testing.T) {
	g := &registry{t: t, issued: map[string]string{}, expires: 300}
	var open atomic.Int64
	g.tokens = httptest.NewServer(http.HandlerFunc(g.token))
	g.srv = httptest.NewUnstartedServer(http.HandlerFunc(g.serve))
	g.srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		switch s {
		case http.StateNew:
			open.Add(1)
		case http.StateClosed, http.StateHijacked:
			open.Add(-1)
		}
	}
	g.srv.Start()
	t.Cleanup(func() { g.srv.Close(); g.tokens.Close() })
	p := startProxy(t, g, pass)
	if resp, _ := do(t, "GET", proxyURL(p, "/manifests/v1"), nil); resp.StatusCode != 200 {
		t.Fatalf("GET: %d", resp.StatusCode)
	}
	if open.Load() == 0 {
		t.Fatal("no connection to the registry is open after a request (keep-alive expected)")
	}
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for open.Load() > 0 {
		if time.Now().After(deadline) {
			t.Fatalf("%d connections to the registry still open after Close", open.Load())
		}
		time.Sleep(10 * time.Millisecond)
	}
}
