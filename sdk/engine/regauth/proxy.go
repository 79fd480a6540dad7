package regauth

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"path"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/roundhouse-ai/roundhouse/types"
)

// DirectParam marks the blob URL the proxy redirects to (see ServeHTTP).
const DirectParam = "roundhouse-direct"

// maxReplay is the largest request body kept in memory so that it can be
// sent again after the registry's 401. Larger bodies (upload parts) follow
// a request of the same kind that already learnt the authentication, so
// they go out authenticated the first time.
const maxReplay = 8 << 20

// responseHeaderTimeout bounds the wait for the registry's answer to one
// request (a finishing upload may take a while to verify).
const responseHeaderTimeout = 5 * time.Minute

// Options configures one proxy.
type Options struct {
	// Model is the real name, host/namespace/model[:tag].
	Model string
	// Auth are the credentials of the model's registry host.
	Auth types.RegistryAuth
	// Insecure reaches the registry (and its token service) over plain
	// HTTP, as the pull or push asked.
	Insecure bool
	// Transport reaches the registry (tests; nil: http.DefaultTransport).
	Transport http.RoundTripper
	// Log receives one line per refused request (nil: discarded).
	Log *slog.Logger
}

// Proxy is an authenticating registry proxy for one pull or push.
type Proxy struct {
	ref      ref
	ns       string // the random namespace of Name
	upstream *url.URL
	auth     *authorizer
	srv      *http.Server
	ln       net.Listener
	port     string
	direct   *http.Client // follows redirects (blob bodies)
	forward  *http.Client // passes redirects through
	log      *slog.Logger
	// own is the transport Start made (nil when Options gave one): Close
	// drops its idle connections, which would outlive the proxy.
	own *http.Transport

	mu      sync.Mutex
	failure error
	closed  chan struct{}
	once    sync.Once
}

// Start listens on 127.0.0.1:0 and serves until Close or until ctx ends.
func Start(ctx context.Context, o Options) (*Proxy, error) {
	r, err := parseRef(o.Model)
	if err != nil {
		return nil, err
	}
	if o.Auth.Password == "" && o.Auth.Token == "" {
		return nil, &types.Error{Code: types.CodeInvalidArgument, Message: "regauth: credentials without a password or token"}
	}
	var rnd [8]byte
	if _, err := rand.Read(rnd[:]); err != nil {
		return nil, err
	}
	scheme := "https"
	if o.Insecure {
		scheme = "http"
	}
	tr := o.Transport
	var own *http.Transport
	if tr == nil {
		// A registry that accepts a request and never answers must not
		// hold the pull forever; bodies may take as long as they take.
		own = http.DefaultTransport.(*http.Transport).Clone()
		own.ResponseHeaderTimeout = responseHeaderTimeout
		tr = own
	}
	log := o.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("regauth: listen: %w", err)
	}
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	p := &Proxy{
		ref: r, ns: "rh" + hex.EncodeToString(rnd[:]), upstream: &url.URL{Scheme: scheme, Host: r.host},
		ln: ln, port: port, log: log, closed: make(chan struct{}), own: own,
		// Blob storage may be elsewhere (a redirect to a bucket): the
		// credentials go only to the registry's own host and port. (Go's
		// client keeps Authorization for another port of the same host.)
		direct: &http.Client{Transport: tr, CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if len(via) >= 10 {
				return errors.New("too many redirects")
			}
			if !strings.EqualFold(req.URL.Host, r.host) {
				req.Header.Del("Authorization")
			}
			return nil
		}},
		forward: &http.Client{Transport: tr, CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		}},
	}
	p.auth = newAuthorizer(o.Auth, r.host, o.Insecure, &http.Client{Transport: tr})
	p.srv = &http.Server{Handler: p, ReadHeaderTimeout: 30 * time.Second}
	go func() { _ = p.srv.Serve(ln) }()
	go func() {
		select {
		case <-ctx.Done():
			p.Close()
		case <-p.closed:
		}
	}()
	return p, nil
}

// Name is the model name to pull or push instead of the real one:
// 127.0.0.1:PORT/<random namespace>/<model>:<tag>, over plain HTTP.
func (p *Proxy) Name() string {
	return "127.0.0.1:" + p.port + "/" + p.ns + "/" + p.ref.repo + ":" + p.ref.tag
}

// Err is the authentication failure the proxy met, typed
// (unauthenticated or permission denied), nil when none: the engine only
// sees a refusal, so its caller reports this instead.
func (p *Proxy) Err() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.failure
}

func (p *Proxy) fail(err error) {
	p.mu.Lock()
	if p.failure == nil {
		p.failure = err
	}
	p.mu.Unlock()
}

// Close stops the proxy and every connection to it.
func (p *Proxy) Close() error {
	var err error
	p.once.Do(func() {
		close(p.closed)
		err = p.srv.Close()
		if p.own != nil {
			p.own.CloseIdleConnections()
		}
	})
	return err
}

var blobPath = regexp.MustCompile(`^/blobs/[A-Za-z0-9_+.-]+:[A-Fa-f0-9]+$`)

// ServeHTTP forwards the distribution API of the proxy's one repository.
func (p *Proxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	// A web page can send requests to loopback; a registry client never
	// sends these headers.
	if r.Header.Get("Origin") != "" || r.Header.Get("Sec-Fetch-Site") != "" {
		p.log.Warn("registry proxy refused a browser request", "path", r.URL.Path)
		ociError(w, http.StatusForbidden, "DENIED", "browser requests are refused")
		return
	}
	mine := "/v2/" + p.ns + "/" + p.ref.repo
	var rest string
	switch {
	case path.Clean(r.URL.Path) != strings.TrimSuffix(r.URL.Path, "/"):
		// "..", "." or "//" could climb out of the repository upstream.
		ociError(w, http.StatusNotFound, "NAME_UNKNOWN", "this proxy serves one repository")
		return
	case r.URL.Path == "/v2/" || r.URL.Path == "/v2":
		rest = ""
	case strings.HasPrefix(r.URL.Path, mine+"/"):
		rest = strings.TrimPrefix(r.URL.Path, mine)
	default:
		ociError(w, http.StatusNotFound, "NAME_UNKNOWN", "this proxy serves one repository")
		return
	}
	upPath := "/v2/"
	if r.URL.Path != "/v2/" && r.URL.Path != "/v2" {
		upPath = "/v2/" + p.ref.path() + rest
	}
	q := r.URL.Query()
	isBlobGET := r.Method == http.MethodGet && blobPath.MatchString(rest)
	if isBlobGET && !q.Has(DirectParam) {
		p.redirectBlob(w, r, upPath)
		return
	}
	q.Del(DirectParam)
	if from := q.Get("from"); from == p.ns+"/"+p.ref.repo {
		q.Set("from", p.ref.path()) // a cross-repository mount names this repository
	}
	u := *p.upstream
	u.Path, u.RawQuery = upPath, q.Encode()
	client := p.forward
	if isBlobGET {
		client = p.direct
	}
	resp, err := p.send(r, &u, client)
	if err != nil {
		p.answerError(w, r, err)
		return
	}
	defer resp.Body.Close()
	for _, h := range []string{"Location", "Docker-Upload-Location"} {
		if v := resp.Header.Get(h); v != "" {
			resp.Header.Set(h, p.rewriteLocation(r, v))
		}
	}
	copyHeader(w.Header(), resp.Header)
	status := resp.StatusCode
	if status == http.StatusUnauthorized {
		// Never a challenge to the engine: Ollama would answer it by
		// signing with its own key, wherever the challenge points.
		w.Header().Del("Www-Authenticate")
		status = http.StatusForbidden
	}
	w.WriteHeader(status)
	_, _ = io.Copy(w, resp.Body)
}

// redirectBlob answers a blob GET with a 307 to the same blob under the
// other loopback name, marked: Ollama's puller wants a redirect to
// another host name (the "direct URL" it fetches parts from). The blob is
// checked first, so a missing one is a 404 to the engine, not a redirect
// to one.
func (p *Proxy) redirectBlob(w http.ResponseWriter, r *http.Request, upPath string) {
	u := *p.upstream
	u.Path = upPath
	head, err := http.NewRequestWithContext(r.Context(), http.MethodHead, "", nil)
	if err != nil {
		p.answerError(w, r, err)
		return
	}
	// Not followed: a redirect to storage means the blob exists, and a
	// HEAD on a URL signed for GET could be refused.
	resp, err := p.send(head, &u, p.forward)
	if err != nil {
		p.answerError(w, r, err)
		return
	}
	resp.Body.Close()
	if resp.StatusCode >= 400 {
		w.WriteHeader(resp.StatusCode)
		return
	}
	host := "localhost"
	if h, _, err := net.SplitHostPort(r.Host); err == nil && strings.EqualFold(h, "localhost") {
		host = "127.0.0.1"
	}
	q := r.URL.Query()
	q.Set(DirectParam, "1")
	loc := url.URL{Scheme: "http", Host: net.JoinHostPort(host, p.port), Path: r.URL.Path, RawQuery: q.Encode()}
	http.Redirect(w, r, loc.String(), http.StatusTemporaryRedirect)
}

// rewriteLocation points a Location at the upstream (absolute, or
// relative to it) at the proxy, with the repository path mapped back.
func (p *Proxy) rewriteLocation(r *http.Request, v string) string {
	loc, err := url.Parse(v)
	if err != nil {
		return v
	}
	if loc.IsAbs() && !strings.EqualFold(loc.Host, p.upstream.Host) {
		return v // storage elsewhere: the engine goes there itself
	}
	loc.Scheme, loc.Host = "http", r.Host
	if up := "/v2/" + p.ref.path() + "/"; strings.HasPrefix(loc.Path, up) {
		loc.Path = "/v2/" + p.ns + "/" + p.ref.repo + "/" + strings.TrimPrefix(loc.Path, up)
		loc.RawPath = ""
	}
	return loc.String()
}

// answerError tells the engine the request failed. An authentication
// failure is kept for Err and answered 403 without a challenge: a 401
// would make Ollama try to sign in with its own key.
func (p *Proxy) answerError(w http.ResponseWriter, r *http.Request, err error) {
	var e *types.Error
	if errors.As(err, &e) && (e.Code == types.CodeUnauthenticated || e.Code == types.CodePermissionDenied) {
		p.fail(err)
		ociError(w, http.StatusForbidden, "DENIED", e.Message)
		return
	}
	if r.Context().Err() != nil {
		return
	}
	p.log.Warn("registry proxy: upstream request failed", "path", r.URL.Path, "error", err)
	ociError(w, http.StatusBadGateway, "UNAVAILABLE", err.Error())
}

// ociError writes the distribution API's error shape.
func ociError(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	fmt.Fprintf(w, `{"errors":[{"code":%q,"message":%q}]}`, code, msg)
}
