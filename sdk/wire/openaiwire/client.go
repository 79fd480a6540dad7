package openaiwire

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

	"github.com/cenkalti/backoff/v5"
	"github.com/roundhouse-ai/roundhouse/types"
)

const (
	// MaxBody caps a unary answer (ten 4K images in base64 fit).
	MaxBody = 128 << 20
	// maxErrorBody caps what is read of an error answer.
	maxErrorBody = 1 << 20
	// DefaultMaxRetries is a sensible Client.MaxRetries: how many times a
	// transient failure (5xx, timeout, connection error) is retried.
	DefaultMaxRetries = 2
	// DefaultTimeout bounds one unary attempt when Client.Timeout is 0.
	DefaultTimeout = 60 * time.Second
	// retryBaseDelay is the first wait before a transient retry; later
	// ones double, each with ±50% jitter so callers that failed together
	// do not retry in lockstep.
	retryBaseDelay = 200 * time.Millisecond
	retryMaxDelay  = 5 * time.Second
)

// Auth is how a key travels.
type Auth int

const (
	AuthBearer       Auth = iota // Authorization: Bearer <key> (OpenAI and most compatibles)
	AuthAPIKeyHeader             // api-key: <key> (Azure OpenAI)
	AuthXAPIKey                  // x-api-key: <key> (Anthropic)
	AuthNone                     // no credential (a local server)
)

// ErrorMapper turns a non-2xx answer into a *types.Error. model is the
// request's model ("" for calls without one).
type ErrorMapper func(name string, status int, h http.Header, body []byte, scrub func(string) string, now time.Time, model string) *types.Error

// Client is one upstream endpoint. The zero value is not usable: set at
// least BaseURL. A Client is safe for concurrent use; it holds no state
// of its own beyond what Keys keeps, so building one per call is cheap.
type Client struct {
	// HTTP sends the requests; nil uses a shared client on NewTransport.
	HTTP *http.Client
	// BaseURL is the API root including its base path and without a
	// trailing slash: https://api.openai.com/v1, http://127.0.0.1:8000/v3.
	BaseURL string
	// Name names the upstream in messages: `provider "main"`.
	Name string
	// Header is sent with every request (OpenAI-Organization...).
	Header http.Header
	// Auth is how the key travels; Keys nil or a lease with Key "" sends none.
	Auth Auth
	// Keys leases keys per attempt; nil for a keyless upstream.
	Keys Keys
	// Timeout bounds a unary attempt (a stream: until its headers); 0 is
	// DefaultTimeout, and then slow services (images, transcription) get
	// their longer default. FixedTimeout makes Timeout apply to them too.
	Timeout      time.Duration
	FixedTimeout bool
	// MaxRetries is how many transient failures one call retries.
	MaxRetries int
	// MaxTokensField is the chat field that carries Options.MaxTokens:
	// "max_tokens" or "max_completion_tokens"; "" picks
	// max_completion_tokens when Official, else max_tokens.
	MaxTokensField string
	// Official is true for api.openai.com (max_completion_tokens; no seed
	// for images).
	Official bool
	// Scrub removes secrets from text that leaves the client (messages,
	// logs); nil leaves text as it is.
	Scrub func(string) string
	// Now is the clock for Retry-After dates; nil is time.Now.
	Now func() time.Time
	// UserAgent is sent as User-Agent.
	UserAgent string
	// MapError overrides the OpenAI error mapping (for another dialect
	// on the same transport, such as anthropicwire).
	MapError ErrorMapper
}

// NewTransport is an HTTP transport for busy upstream traffic: many idle
// connections per host (a gateway talks to one or two hosts), TCP
// keep-alive, HTTP/2 where the server offers it.
func NewTransport() *http.Transport {
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

var defaultHTTP = sync.OnceValue(func() *http.Client { return &http.Client{Transport: NewTransport()} })

func (c *Client) http() *http.Client {
	if c.HTTP != nil {
		return c.HTTP
	}
	return defaultHTTP()
}

func (c *Client) now() time.Time {
	if c.Now != nil {
		return c.Now()
	}
	return time.Now()
}

func (c *Client) scrub(s string) string {
	if c.Scrub != nil {
		return c.Scrub(s)
	}
	return s
}

func (c *Client) name() string { return fmt.Sprintf("provider %q", c.Name) }

// Request is one upstream call, independent of the key it goes out with.
type Request struct {
	Method string
	Path   string // under BaseURL: "/chat/completions"
	// Model is the model the body names ("" for calls without one): a key
	// may be refused for one model only.
	Model       string
	Body        []byte
	ContentType string
	Accept      string
	Stream      bool
	// Slow is the default timeout of a slow service (image generation,
	// transcription), used when the client's timeout is not fixed.
	Slow time.Duration
}

// Response is a successful (2xx) answer. Close it: that cancels the
// attempt's context and releases the key.
type Response struct {
	Status int
	Header http.Header
	// Body is the open answer of a stream request; nil for unary ones.
	Body io.ReadCloser
	// Data is the whole answer of a unary request.
	Data   []byte
	lease  Lease
	cancel context.CancelFunc
}

// Close ends the answer and releases its key.
func (r *Response) Close() {
	if r.Body != nil {
		r.Body.Close()
	}
	r.cancel()
	r.lease.Release()
}

// Failed reports a failure found after the answer started (a broken
// stream) against the key that served it.
func (r *Response) Failed(e *types.Error) { r.lease.Failed(e) }

// PostJSON sends a JSON body and asks for a JSON answer.
func (c *Client) PostJSON(ctx context.Context, path, model string, body []byte) (*Response, error) {
	return c.Send(ctx, &Request{Method: http.MethodPost, Path: path, Model: model, Body: body,
		ContentType: "application/json", Accept: "application/json"})
}

// Send makes the call: it leases a key, sends, and on a failure that
// another key or another try may fix, tries again:
//
//   - 429 rests the key (the lease's Failed sees RetryAfter) and moves on
//     to another key; 401/403 likewise (a *KeyRefused cause says whether
//     the refusal is about the request's model only);
//   - 5xx, timeouts and connection errors are retried up to MaxRetries
//     times after a jittered exponential backoff (or the upstream's short
//     Retry-After), on another key when there is one, for unary calls and
//     for streams that have not sent anything yet (Send returns before the
//     first event is read, so a stream is never retried once started);
//   - anything else (bad request, unknown model...) returns at once.
//
// A unary answer is read whole, and the timeout covers the whole attempt;
// a stream's timeout covers only the wait for the answer's headers, and
// its Body is left open for the caller.
func (c *Client) Send(ctx context.Context, r *Request) (*Response, error) {
	var (
		skip      map[string]bool // keys that failed in this call; made on the first failure
		lastErr   *types.Error
		transient int
		keys      = c.Keys
		nkeys     int
		bo        = &backoff.ExponentialBackOff{InitialInterval: retryBaseDelay, RandomizationFactor: 0.5,
			Multiplier: 2, MaxInterval: retryMaxDelay}
	)
	if keys == nil {
		keys = noKeys{}
	}
	nkeys = keys.Len()
	bo.Reset()
	// Every attempt sends the same bytes, marshalled once by the caller.
	// Once Send returns no attempt needs them: drop them, as a streamed
	// answer keeps its request (and so its body) referenced while it is
	// read, which may be minutes for a body of tens of MiB.
	src := &bodySource{b: r.Body}
	defer src.release()
	maxRetries := max(c.MaxRetries, 0)
	for attempt := 1; attempt <= nkeys+maxRetries+1; attempt++ {
		l, err := keys.Acquire(r.Model, skip)
		if errors.Is(err, ErrKeysTried) && lastErr != nil && lastErr.Retryable && transient <= maxRetries {
			// Every usable key already failed transiently in this call:
			// they may be tried again.
			clear(skip)
			l, err = keys.Acquire(r.Model, skip)
		}
		if err != nil {
			if errors.Is(err, ErrKeysTried) && lastErr != nil {
				return nil, lastErr
			}
			// No key is usable at all: say why (refused, resting, out of quota).
			return nil, err
		}
		u, e := c.attempt(ctx, r, src, l, attempt)
		if e == nil {
			return u, nil
		}
		l.Failed(e)
		l.Release()
		if ctx.Err() != nil {
			return nil, fmt.Errorf("%s: %w", c.name(), ctx.Err())
		}
		lastErr = e
		if l.Key() != "" {
			if skip == nil {
				skip = map[string]bool{}
			}
			skip[l.Key()] = true
		}
		switch e.Code {
		case types.CodeUpstreamAuth, types.CodeUpstreamRateLimited, types.CodeUpstreamQuota:
			if l.Key() == "" { // nothing to rotate to
				return nil, e
			}
			continue
		}
		if !e.Retryable {
			return nil, e
		}
		transient++
		if transient > maxRetries {
			return nil, e
		}
		delay := bo.NextBackOff()
		if e.RetryAfter > 0 && e.RetryAfter < retryMaxDelay {
			delay = e.RetryAfter
		}
		slog.Debug("retrying upstream call", "provider", c.Name, "key", l.Masked(), "path", r.Path,
			"error", e.Message, "retry", transient, "delay", delay)
		t := time.NewTimer(delay)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, fmt.Errorf("%s: %w", c.name(), ctx.Err())
		case <-t.C:
		}
	}
	if lastErr != nil {
		return nil, lastErr
	}
	return nil, &types.Error{Code: types.CodeUpstreamError, Message: c.name() + ": no attempt could be made"}
}

type noKeys struct{}

func (noKeys) Len() int                                       { return 0 }
func (noKeys) Acquire(string, map[string]bool) (Lease, error) { return noKey{}, nil }

// attempt sends r once with lease l. On success the lease stays held by
// the returned Response; on failure the caller releases it.
func (c *Client) attempt(ctx context.Context, r *Request, src *bodySource, l Lease, n int) (*Response, *types.Error) {
	var (
		actx   context.Context
		cancel context.CancelFunc
	)
	timeout := c.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	if !c.FixedTimeout && r.Slow > timeout {
		timeout = r.Slow
	}
	// A unary attempt has the whole timeout; a stream has it only until
	// the answer's headers arrive (a hung upstream is then left for
	// another key), after which only the caller's context ends it.
	var headerTimer *time.Timer
	if r.Stream {
		var cancelCause context.CancelCauseFunc
		actx, cancelCause = context.WithCancelCause(ctx)
		cancel = func() { cancelCause(context.Canceled) }
		headerTimer = time.AfterFunc(timeout, func() { cancelCause(context.DeadlineExceeded) })
	} else {
		actx, cancel = context.WithTimeout(ctx, timeout)
	}
	req, err := http.NewRequestWithContext(actx, r.Method, c.BaseURL+r.Path, nil)
	if err != nil {
		cancel()
		return nil, &types.Error{Code: types.CodeInternal, Message: c.scrub(err.Error())}
	}
	if len(r.Body) > 0 {
		// No copy: a reader over the caller's bytes, which the transport
		// closes once written; GetBody for the transport's own resends.
		req.Body, _ = src.open()
		req.GetBody = src.open
		req.ContentLength = int64(len(r.Body))
	}
	for k, vs := range c.Header {
		req.Header[k] = vs
	}
	if c.UserAgent != "" {
		req.Header.Set("User-Agent", c.UserAgent)
	}
	if r.ContentType != "" {
		req.Header.Set("Content-Type", r.ContentType)
	}
	if r.Accept != "" {
		req.Header.Set("Accept", r.Accept)
	}
	if key := l.Key(); key != "" {
		switch c.Auth {
		case AuthBearer:
			req.Header.Set("Authorization", "Bearer "+key)
		case AuthAPIKeyHeader:
			req.Header.Set("Api-Key", key)
		case AuthXAPIKey:
			req.Header.Set("X-Api-Key", key)
		}
	}
	start := time.Now()
	resp, err := c.http().Do(req)
	if headerTimer != nil && !headerTimer.Stop() && err == nil {
		// The timer fired just as the headers came: the context is
		// cancelled, so this answer cannot be read.
		resp.Body.Close()
		err = context.DeadlineExceeded
	}
	fail := func(e *types.Error) (*Response, *types.Error) {
		cancel()
		slog.Debug("upstream call failed", "provider", c.Name, "key", l.Masked(), "method", r.Method,
			"path", r.Path, "attempt", n, "elapsed", time.Since(start), "code", e.Code.String(), "error", e.Message,
			"request_headers", RedactHeaders(req.Header))
		return nil, e
	}
	if err != nil {
		return fail(c.classify(ctx, actx, timeout, err))
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		body, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
		resp.Body.Close()
		mapErr := c.MapError
		if mapErr == nil {
			mapErr = MapError
		}
		return fail(mapErr(c.Name, resp.StatusCode, resp.Header, body, c.Scrub, c.now(), r.Model))
	}
	u := &Response{Status: resp.StatusCode, Header: resp.Header, Body: resp.Body, lease: l, cancel: cancel}
	if !r.Stream {
		data, err := readBody(resp.Body, resp.ContentLength, MaxBody)
		resp.Body.Close()
		u.Body = nil
		if err != nil {
			return fail(c.classify(ctx, actx, timeout, err))
		}
		if len(data) > MaxBody {
			return fail(&types.Error{Code: types.CodeUpstreamError,
				Message: fmt.Sprintf("%s: the answer is larger than %d MiB", c.name(), MaxBody>>20)})
		}
		u.Data = data
	}
	l.Succeeded()
	// Checked first: the arguments (boxed into a slice, the masked key)
	// cost allocations on every call even when debug logging is off.
	if slog.Default().Enabled(ctx, slog.LevelDebug) {
		slog.Debug("upstream call", "provider", c.Name, "key", l.Masked(), "method", r.Method, "path", r.Path,
			"status", resp.StatusCode, "attempt", n, "elapsed", time.Since(start))
	}
	return u, nil
}

// readBody reads an answer of at most limit bytes, and one more if there
// is more (the caller checks the size). With the answer's Content-Length
// (size, -1 when unknown) it reads into one buffer of that size, where
// io.ReadAll would start at 512 bytes and copy at every doubling: a few
// allocations for a chat answer, dozens of megabytes copied for an image.
func readBody(r io.Reader, size, limit int64) ([]byte, error) {
	if size < 0 || size > limit {
		return io.ReadAll(io.LimitReader(r, limit+1))
	}
	// One byte more than announced, so that the read that finds the end
	// has room (a read into no room may return 0, nil).
	b := make([]byte, 0, size+1)
	for {
		if int64(len(b)) > limit {
			return b, nil
		}
		if len(b) == cap(b) {
			b = append(b, 0)[:len(b)] // more than announced: grow
		}
		n, err := r.Read(b[len(b):min(int64(cap(b)), limit+1)]) // not empty: len <= limit
		b = b[:len(b)+n]
		if err == io.EOF {
			return b, nil
		}
		if err != nil {
			return b, err
		}
	}
}

// bodySource hands out readers over one request body, until released.
type bodySource struct {
	mu sync.Mutex
	b  []byte
}

var errBodyReleased = errors.New("request body already released")

// smallBody is the size up to which a request body is handed to the
// transport as a plain in-memory reader. net/http recognises that type and
// writes the headers and the body in one write (one packet for a typical
// chat request); for any other reader it flushes the headers first, which
// costs a second write syscall and a second packet on every call. Keeping
// a body this small referenced by a long stream's request costs nothing
// worth forgetting it for.
const smallBody = 64 << 10

func (s *bodySource) open() (io.ReadCloser, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.b == nil {
		return nil, errBodyReleased
	}
	if len(s.b) <= smallBody {
		return io.NopCloser(bytes.NewReader(s.b)), nil
	}
	return &bodyReader{r: bytes.NewReader(s.b)}, nil
}

func (s *bodySource) release() {
	s.mu.Lock()
	s.b = nil
	s.mu.Unlock()
}

// bodyReader reads a (big) request body and forgets it when closed (the
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

// classify turns a transport error into a *types.Error: the caller's own
// cancellation, our per-attempt timeout, or an unreachable upstream.
func (c *Client) classify(ctx, actx context.Context, timeout time.Duration, err error) *types.Error {
	switch {
	case ctx.Err() != nil:
		return types.WrapError(types.ErrorCode(ctx.Err()), ctx.Err(), "%s", c.name())
	case errors.Is(context.Cause(actx), context.DeadlineExceeded):
		return TimeoutError(c.Name, timeout)
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return TimeoutError(c.Name, timeout)
	}
	return TransportError(c.Name, err, c.Scrub)
}

// RedactHeaders copies h with credentials replaced, for debugging output.
func RedactHeaders(h http.Header) http.Header {
	out := h.Clone()
	for _, k := range []string{"Authorization", "Api-Key", "Proxy-Authorization", "X-Api-Key", "Cookie"} {
		if out.Get(k) != "" {
			out.Set(k, "[redacted]")
		}
	}
	return out
}
