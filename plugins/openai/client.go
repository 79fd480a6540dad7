package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/roundhouse-ai/roundhouse/sdk"
)

const (
	userAgent = "roundhouse-plugin-openai/" + pluginVersion
	// maxBody caps a unary answer (ten 4K images in base64 fit).
	maxBody = 128 << 20
	// maxErrorBody caps what is read of an error answer.
	maxErrorBody = 1 << 20
	// defaultMaxRetries is how many times a transient failure (5xx,
	// timeout, connection error) of a unary call is retried, preferably on
	// another key. Rotations away from a 429 or refused key do not count: each
	// key is tried at most once per call for those.
	defaultMaxRetries = 2
	retryBaseDelay    = 200 * time.Millisecond
)

// newTransport is the one HTTP transport every provider shares: many idle
// connections per host (a busy gateway talks to one or two hosts), TCP
// keep-alive, HTTP/2 where the server offers it.
func newTransport() *http.Transport {
	d := &net.Dialer{Timeout: 15 * time.Second, KeepAlive: 30 * time.Second}
	return &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           d.DialContext,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          512,
		MaxIdleConnsPerHost:   128,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   15 * time.Second,
		ExpectContinueTimeout: time.Second,
	}
}

// request is one upstream call, independent of the key it goes out with.
type request struct {
	method string
	path   string // under the base URL: "/chat/completions"
	// model is the model the body names ("" for calls without one): a key
	// may be refused for one model only.
	model       string
	body        []byte
	contentType string
	accept      string
	stream      bool
	// slow is the default timeout of a slow service (image generation,
	// transcription), used when the provider sets no timeout of its own.
	slow time.Duration
}

// upstream is a successful (2xx) answer. Close it: that cancels the
// attempt's context and releases the key.
type upstream struct {
	status int
	header http.Header
	body   io.ReadCloser
	data   []byte // unary calls: the whole body, already read
	lease  *lease
	ctx    context.Context
	cancel context.CancelFunc
}

func (u *upstream) Close() {
	if u.body != nil {
		u.body.Close()
	}
	u.cancel()
	u.lease.release()
}

// send makes the call on provider pr: it picks a key, sends, and on a
// failure that another key or another try may fix, tries again:
//
//   - 429 rests the key (Retry-After or exponential backoff) and moves on
//     to another key; 401/403 rests the key (for the request's model
//     only, when the 403 is about the model) with a growing backoff,
//     then lets one request probe it, and moves on;
//   - 5xx, timeouts and connection errors are retried up to maxRetries
//     times, on another key when there is one, for unary calls and for
//     streams that have not sent anything yet (send returns before the
//     first event is read, so a stream is never retried once started);
//   - anything else (bad request, unknown model...) returns at once.
//
// A unary answer is read whole, and the provider's timeout covers the
// whole attempt; a stream's timeout covers only the wait for the answer's
// headers, and its body is left open for the caller.
// postJSON sends a JSON body and asks for a JSON answer: every unary
// service but the multipart transcription.
func (p *plugin) postJSON(ctx context.Context, pr *provider, path, model string, body []byte) (*upstream, error) {
	return p.send(ctx, pr, &request{method: http.MethodPost, path: path, model: model, body: body,
		contentType: "application/json", accept: "application/json"})
}

func (p *plugin) send(ctx context.Context, pr *provider, r *request) (*upstream, error) {
	var (
		skip      = map[*keyState]bool{}
		lastErr   *sdk.Error
		transient int
	)
	// Every attempt sends the same bytes, marshalled once by the caller.
	// Once send returns no attempt needs them: drop them, as a streamed
	// answer keeps its request (and so its body) referenced while it is
	// read, which may be minutes for a body of tens of MiB.
	src := &bodySource{b: r.body}
	defer src.release()
	maxRetries := p.maxRetries()
	for attempt := 1; attempt <= len(pr.keys.keys)+maxRetries+1; attempt++ {
		l, err := pr.keys.acquire(r.model, skip)
		if errors.Is(err, errKeysTried) && lastErr != nil && lastErr.Retryable && transient <= maxRetries {
			// Every usable key already failed transiently in this call:
			// they may be tried again.
			clear(skip)
			l, err = pr.keys.acquire(r.model, skip)
		}
		if err != nil {
			if errors.Is(err, errKeysTried) && lastErr != nil {
				return nil, lastErr
			}
			// No key is usable at all: say why (refused, resting, out of quota).
			return nil, err
		}
		u, e := p.attempt(ctx, pr, r, src, l, attempt)
		if e == nil {
			return u, nil
		}
		l.failed(e)
		l.release()
		if ctx.Err() != nil {
			return nil, fmt.Errorf("provider %q: %w", pr.name, ctx.Err())
		}
		lastErr = e
		if l.key != nil {
			skip[l.key] = true
		}
		switch e.Code {
		case sdk.CodeUpstreamAuth, sdk.CodeUpstreamRateLimited, sdk.CodeUpstreamQuota:
			if l.key == nil { // nothing to rotate to
				return nil, e
			}
			p.logKey(pr, l, e)
			continue
		}
		if !e.Retryable {
			return nil, e
		}
		transient++
		if transient > maxRetries {
			return nil, e
		}
		delay := retryBaseDelay << (transient - 1)
		if e.RetryAfter > 0 && e.RetryAfter < 5*time.Second {
			delay = e.RetryAfter
		}
		slog.Debug("retrying upstream call", "provider", pr.name, "key", l.masked(), "path", r.path,
			"error", e.Message, "retry", transient, "delay", delay)
		t := time.NewTimer(delay)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, fmt.Errorf("provider %q: %w", pr.name, ctx.Err())
		case <-t.C:
		}
	}
	if lastErr != nil {
		return nil, lastErr
	}
	return nil, &sdk.Error{Code: sdk.CodeUpstreamError, Message: fmt.Sprintf("provider %q: no attempt could be made", pr.name)}
}

// attempt sends r once with lease l. On success the lease stays held by
// the returned upstream; on failure the caller releases it.
func (p *plugin) attempt(ctx context.Context, pr *provider, r *request, src *bodySource, l *lease, n int) (*upstream, *sdk.Error) {
	var (
		actx   context.Context
		cancel context.CancelFunc
	)
	timeout := pr.timeout
	if !pr.timeoutSet && r.slow > timeout {
		timeout = r.slow
	}
	// A unary attempt has the whole timeout; a stream has it only until
	// the answer's headers arrive (a hung upstream is then left for
	// another key), after which only the caller's context ends it.
	var headerTimer *time.Timer
	if r.stream {
		var cancelCause context.CancelCauseFunc
		actx, cancelCause = context.WithCancelCause(ctx)
		cancel = func() { cancelCause(context.Canceled) }
		headerTimer = time.AfterFunc(timeout, func() { cancelCause(context.DeadlineExceeded) })
	} else {
		actx, cancel = context.WithTimeout(ctx, timeout)
	}
	req, err := http.NewRequestWithContext(actx, r.method, pr.baseURL+r.path, nil)
	if err != nil {
		cancel()
		return nil, &sdk.Error{Code: sdk.CodeInternal, Message: pr.scrub.scrub(err.Error())}
	}
	if len(r.body) > 0 {
		// No copy: a reader over the caller's bytes, which the transport
		// closes once written; GetBody for the transport's own resends.
		req.Body, _ = src.open()
		req.GetBody = src.open
		req.ContentLength = int64(len(r.body))
	}
	for k, vs := range pr.headers {
		req.Header[k] = vs
	}
	req.Header.Set("User-Agent", userAgent)
	if r.contentType != "" {
		req.Header.Set("Content-Type", r.contentType)
	}
	if r.accept != "" {
		req.Header.Set("Accept", r.accept)
	}
	if l.key != nil {
		switch pr.auth {
		case authBearer:
			req.Header.Set("Authorization", "Bearer "+l.key.value)
		case authHeader:
			req.Header.Set("Api-Key", l.key.value)
		}
	}
	start := time.Now()
	resp, err := p.client.Do(req)
	if headerTimer != nil && !headerTimer.Stop() && err == nil {
		// The timer fired just as the headers came: the context is
		// cancelled, so this answer cannot be read.
		resp.Body.Close()
		err = context.DeadlineExceeded
	}
	fail := func(e *sdk.Error) (*upstream, *sdk.Error) {
		cancel()
		slog.Debug("upstream call failed", "provider", pr.name, "key", l.masked(), "method", r.method,
			"path", r.path, "attempt", n, "elapsed", time.Since(start), "code", e.Code.String(), "error", e.Message,
			"request_headers", redactHeaders(req.Header))
		return nil, e
	}
	if err != nil {
		return fail(p.classify(ctx, actx, pr, timeout, err))
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		body, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
		resp.Body.Close()
		return fail(mapUpstreamError(pr.name, resp.StatusCode, resp.Header, body, pr.scrub, p.now(), r.model))
	}
	u := &upstream{status: resp.StatusCode, header: resp.Header, body: resp.Body, lease: l, ctx: actx, cancel: cancel}
	if !r.stream {
		data, err := io.ReadAll(io.LimitReader(resp.Body, maxBody+1))
		resp.Body.Close()
		u.body = nil
		if err != nil {
			return fail(p.classify(ctx, actx, pr, timeout, err))
		}
		if len(data) > maxBody {
			return fail(&sdk.Error{Code: sdk.CodeUpstreamError,
				Message: fmt.Sprintf("provider %q: the answer is larger than %d MiB", pr.name, maxBody>>20)})
		}
		u.data = data
	}
	l.succeeded()
	slog.Debug("upstream call", "provider", pr.name, "key", l.masked(), "method", r.method, "path", r.path,
		"status", resp.StatusCode, "attempt", n, "elapsed", time.Since(start))
	return u, nil
}

// bodySource hands out readers over one request body, until released.
type bodySource struct {
	mu sync.Mutex
	b  []byte
}

var errBodyReleased = errors.New("request body already released")

func (s *bodySource) open() (io.ReadCloser, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.b == nil {
		return nil, errBodyReleased
	}
	return &bodyReader{r: bytes.NewReader(s.b)}, nil
}

func (s *bodySource) release() {
	s.mu.Lock()
	s.b = nil
	s.mu.Unlock()
}

// bodyReader reads a request body and forgets it when closed (the
// transport closes it when written, or when the attempt ends).
type bodyReader struct {
	mu sync.Mutex
	r  *bytes.Reader
}

func (b *bodyReader) Read(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.r == nil {
		return 0, io.EOF
	}
	return b.r.Read(p)
}

func (b *bodyReader) Close() error {
	b.mu.Lock()
	b.r = nil
	b.mu.Unlock()
	return nil
}

// classify turns a transport error into an *sdk.Error: the caller's own
// cancellation, our per-attempt timeout, or an unreachable upstream.
func (p *plugin) classify(ctx, actx context.Context, pr *provider, timeout time.Duration, err error) *sdk.Error {
	switch {
	case ctx.Err() != nil:
		return sdk.WrapError(sdk.ErrorCode(ctx.Err()), ctx.Err(), "provider %q", pr.name)
	case errors.Is(context.Cause(actx), context.DeadlineExceeded):
		return timeoutError(pr.name, timeout)
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return timeoutError(pr.name, timeout)
	}
	return transportError(pr.name, err, pr.scrub)
}

func (p *plugin) logKey(pr *provider, l *lease, e *sdk.Error) {
	if l.key == nil {
		return
	}
	switch e.Code {
	case sdk.CodeUpstreamAuth:
		st := l.key.status(p.now())
		if rf := refusalOf(e); rf != nil && rf.model != "" {
			slog.Warn("API key refused for a model; not using it for that model for now", "provider", pr.name,
				"key", l.key.masked, "model", rf.model, "error", e.Message)
			return
		}
		slog.Warn("API key refused; resting it, then one request will test it", "provider", pr.name,
			"key", l.key.masked, "state", st.State, "cooldown_until", st.CooldownUntil, "error", e.Message)
	case sdk.CodeUpstreamRateLimited:
		slog.Info("API key rate limited; resting it", "provider", pr.name, "key", l.key.masked, "retry_after", e.RetryAfter)
	case sdk.CodeUpstreamQuota:
		slog.Warn("API key out of quota; resting it", "provider", pr.name, "key", l.key.masked, "error", e.Message)
	}
}

// redactHeaders copies h with credentials replaced, for debugging output.
func redactHeaders(h http.Header) http.Header {
	out := h.Clone()
	for _, k := range []string{"Authorization", "Api-Key", "Proxy-Authorization", "X-Api-Key", "Cookie"} {
		if out.Get(k) != "" {
			out.Set(k, "[redacted]")
		}
	}
	return out
}
