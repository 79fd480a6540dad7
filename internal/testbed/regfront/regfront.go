// Package regfront is a small HTTP front for a local OCI/Docker registry that
// makes it pullable by Ollama and lets tests throttle blob downloads.
//
// Two quirks are handled:
//
//   - Ollama's puller (server/download.go) GETs a blob URL with redirects to
//     other host names disabled and then requires a 307 with a Location
//     header, which it uses as the "direct URL" for ranged part downloads. A
//     plain registry answers 200 and the pull fails with "no Location header
//     in response". The front therefore answers blob GETs with a 307 to the
//     same port under the other loopback name (127.0.0.1 <-> localhost),
//     adding a marker query parameter; requests carrying the marker are
//     proxied, so there is never a redirect loop.
//   - Blob GET bodies can be rate limited (bytes per second, changeable at
//     any time) so that pull progress arrives in many visible steps.
//
// Everything else (pushes, manifests, HEADs, /v2/) is reverse-proxied to the
// upstream unchanged, preserving the Host header so the registry's upload
// Location URLs point back at the front.
package regfront

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// DirectParam is the query parameter marking a redirected ("direct") blob URL.
const DirectParam = "roundhouse-direct"

// Options configures a Front.
type Options struct {
	// BytesPerSecond limits the total throughput of blob GET bodies across
	// all connections. Zero or negative means unlimited. See Front.SetRate.
	BytesPerSecond int64
	// NoRedirect disables the blob redirect (to reproduce Ollama's
	// "no Location header" failure in tests).
	NoRedirect bool
	// Logf, if set, receives one line per request.
	Logf func(format string, args ...any)
}

// Stats counts what the front did since it was created.
type Stats struct {
	Requests  int64 // all requests
	Redirects int64 // blob GETs answered with a 307
	BlobGETs  int64 // proxied blob GETs (after redirect)
	BlobBytes int64 // blob body bytes sent to clients
}

// Front is an http.Handler; see the package documentation.
type Front struct {
	upstream *url.URL
	proxy    *httputil.ReverseProxy
	opts     Options
	limiter  *limiter

	requests, redirects, blobGETs, blobBytes atomic.Int64
}

var blobPath = regexp.MustCompile(`^/v2/.+/blobs/[A-Za-z0-9_+.-]+:[A-Fa-f0-9]+$`)

// New returns a front proxying to upstream (e.g. "http://127.0.0.1:5000").
func New(upstream string, opts Options) (*Front, error) {
	u, err := url.Parse(upstream)
	if err != nil {
		return nil, fmt.Errorf("regfront: upstream: %w", err)
	}
	if u.Scheme != "http" && u.Scheme != "https" || u.Host == "" {
		return nil, fmt.Errorf("regfront: upstream %q must be an http(s) URL with a host", upstream)
	}
	f := &Front{upstream: u, opts: opts, limiter: newLimiter(opts.BytesPerSecond)}
	f.proxy = &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.SetURL(u)
			pr.Out.Host = pr.In.Host // registry builds Location URLs from Host
			q := pr.Out.URL.Query()
			if q.Has(DirectParam) {
				q.Del(DirectParam)
				pr.Out.URL.RawQuery = q.Encode()
			}
		},
		ModifyResponse: func(resp *http.Response) error {
			req := resp.Request
			if req.Method == http.MethodGet && blobPath.MatchString(req.URL.Path) && resp.Body != nil {
				resp.Body = &throttledBody{rc: resp.Body, ctx: req.Context(), f: f}
			}
			return nil
		},
		FlushInterval: 20 * time.Millisecond,
		ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
			if r.Context().Err() == nil {
				f.logf("regfront: upstream error for %s %s: %v", r.Method, r.URL, err)
			}
			w.WriteHeader(http.StatusBadGateway)
		},
	}
	return f, nil
}

// SetRate changes the blob bandwidth limit (bytes/s; <= 0 is unlimited).
// It applies immediately, including to transfers in progress.
func (f *Front) SetRate(bytesPerSecond int64) { f.limiter.setRate(bytesPerSecond) }

// Rate returns the current limit (0 = unlimited).
func (f *Front) Rate() int64 { return f.limiter.rate.Load() }

// Stats returns a snapshot of the counters.
func (f *Front) Stats() Stats {
	return Stats{
		Requests:  f.requests.Load(),
		Redirects: f.redirects.Load(),
		BlobGETs:  f.blobGETs.Load(),
		BlobBytes: f.blobBytes.Load(),
	}
}

func (f *Front) logf(format string, args ...any) {
	if f.opts.Logf != nil {
		f.opts.Logf(format, args...)
	}
}

// otherLoopbackName maps 127.0.0.1 to localhost and everything else to 127.0.0.1.
func otherLoopbackName(host string) string {
	if strings.EqualFold(host, "localhost") {
		return "127.0.0.1"
	}
	return "localhost"
}

// ServeHTTP implements http.Handler.
func (f *Front) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.requests.Add(1)
	isBlobGET := r.Method == http.MethodGet && blobPath.MatchString(r.URL.Path)
	direct := r.URL.Query().Has(DirectParam)
	if isBlobGET && !direct && !f.opts.NoRedirect {
		host, port, err := net.SplitHostPort(r.Host)
		if err != nil {
			host, port = r.Host, ""
		}
		target := otherLoopbackName(host)
		if port != "" {
			target = net.JoinHostPort(target, port)
		}
		q := r.URL.Query()
		q.Set(DirectParam, "1")
		loc := url.URL{Scheme: "http", Host: target, Path: r.URL.Path, RawQuery: q.Encode()}
		if r.TLS != nil {
			loc.Scheme = "https"
		}
		f.redirects.Add(1)
		f.logf("regfront: %s %s%s -> 307 %s", r.Method, r.Host, r.URL.RequestURI(), loc.String())
		http.Redirect(w, r, loc.String(), http.StatusTemporaryRedirect)
		return
	}
	if isBlobGET {
		f.blobGETs.Add(1)
	}
	f.logf("regfront: %s %s%s range=%q", r.Method, r.Host, r.URL.RequestURI(), r.Header.Get("Range"))
	f.proxy.ServeHTTP(w, r)
}

// throttledBody meters and rate-limits a proxied blob body.
type throttledBody struct {
	rc  io.ReadCloser
	ctx context.Context
	f   *Front
}

func (b *throttledBody) Read(p []byte) (int, error) {
	if c := b.f.limiter.chunk(); c > 0 && len(p) > c {
		p = p[:c]
	}
	n, err := b.rc.Read(p)
	if n > 0 {
		b.f.blobBytes.Add(int64(n))
		if werr := b.f.limiter.wait(b.ctx, n); werr != nil && err == nil {
			err = werr
		}
	}
	return n, err
}

func (b *throttledBody) Close() error { return b.rc.Close() }

// burst is how far behind schedule the limiter may fall before it stops
// catching up (idle credit): ~this much extra data may pass at full speed.
const burst = 20 * time.Millisecond

// limiter is a shared virtual-clock rate limiter: each chunk of n bytes
// reserves n/rate seconds of the link and the reader sleeps until its
// reservation has elapsed.
type limiter struct {
	rate atomic.Int64
	mu   sync.Mutex
	next time.Time
}

func newLimiter(rate int64) *limiter {
	l := &limiter{}
	l.setRate(rate)
	return l
}

func (l *limiter) setRate(r int64) {
	if r < 0 {
		r = 0
	}
	l.rate.Store(r)
	l.mu.Lock()
	l.next = time.Now() // forget reservations made at the old rate, no idle credit
	l.mu.Unlock()
}

// chunk is the largest read worth doing at once: ~1/50 s of data, so
// sleeps are short and progress smooth. 0 means no limit.
func (l *limiter) chunk() int {
	r := l.rate.Load()
	if r <= 0 {
		return 0
	}
	return int(max(min(r/50, 1<<20), 512))
}

func (l *limiter) wait(ctx context.Context, n int) error {
	r := l.rate.Load()
	if r <= 0 {
		return nil
	}
	d := time.Duration(float64(n) / float64(r) * float64(time.Second))
	now := time.Now()
	l.mu.Lock()
	// Reservations continue from the previous one, so timer overshoot is
	// paid back by later chunks; an idle link accrues at most burst credit.
	start := l.next
	if floor := now.Add(-burst); start.Before(floor) {
		start = floor
	}
	l.next = start.Add(d)
	until := l.next
	l.mu.Unlock()
	sleep := until.Sub(now)
	if sleep <= 0 {
		return nil
	}
	t := time.NewTimer(sleep)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Server is a Front listening on a loopback port.
type Server struct {
	*Front
	ln  net.Listener
	srv *http.Server
	wg  sync.WaitGroup
}

// Listen starts a Front on addr, which must be a loopback address
// ("127.0.0.1:0" picks a free port).
func Listen(addr, upstream string, opts Options) (*Server, error) {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, fmt.Errorf("regfront: listen address %q: %w", addr, err)
	}
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		return nil, fmt.Errorf("regfront: refusing to listen on non-loopback address %q", addr)
	}
	f, err := New(upstream, opts)
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	s := &Server{Front: f, ln: ln, srv: &http.Server{Handler: f, ReadHeaderTimeout: 10 * time.Second}}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		_ = s.srv.Serve(ln)
	}()
	return s, nil
}

// Addr is the listening address, e.g. "127.0.0.1:41234".
func (s *Server) Addr() string { return s.ln.Addr().String() }

// Close stops the server, cutting in-flight transfers.
func (s *Server) Close() error {
	err := s.srv.Close()
	s.wg.Wait()
	return err
}
