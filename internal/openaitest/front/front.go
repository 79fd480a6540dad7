// Package front is an auth/fault front for tests: an HTTP reverse proxy put
// before an OpenAI-compatible upstream (Ollama's /v1 in the real test bed,
// or the fake) that
//
//   - checks "Authorization: Bearer <key>" against a set of allowed keys
//     and answers 401 invalid_api_key, in the OpenAI error format, for
//     any other key;
//   - can be told from Go, per key, to answer 429 with Retry-After (rate
//     limit or insufficient_quota), 401, 500 or any status, to wait before
//     answering, to hang up, or to cut an answer after some bytes — once, n
//     times, or until cleared;
//   - records which key each request used and what it was answered.
//
// The front's URL ends in /v1 and stands for the upstream base URL:
// POST {front}/v1/chat/completions goes to POST {upstream}/chat/completions.
//
//	f, _ := front.Start(ollamaURL+"/v1", front.Options{Keys: []string{keyA, keyB}})
//	defer f.Close()
//	f.Fail(keyA, front.RateLimited("2"), 1) // keyA's next request gets a 429
package front

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"time"
)

// AnyKey, as the key of Fail, makes a fault apply to requests with any
// key (after faults for the specific key).
const AnyKey = "*"

// Options configure a Front.
type Options struct {
	// Keys are the accepted API keys. Empty: any non-empty key.
	Keys []string
	// UpstreamKey, when set, is sent upstream as the Bearer key (the fake
	// checks keys; Ollama ignores them). Otherwise the client's
	// Authorization header is removed, unless PassAuth keeps it.
	UpstreamKey string
	PassAuth    bool
}

// Fault is what the front does instead of (or before) forwarding.
type Fault struct {
	// Status, when not 0, is answered with an OpenAI error body made of
	// Type, Code and Message, plus RetryAfter and Header.
	Status     int
	Type       string
	Code       string
	Message    string
	RetryAfter string // the Retry-After header value: seconds or an HTTP date
	Header     http.Header
	// Delay is waited first (the request's cancellation ends the wait).
	// With Status 0 the request is then forwarded.
	Delay time.Duration
	// Hangup closes the connection without any answer.
	Hangup bool
	// CutAfter, when > 0, forwards the request and closes the connection
	// after that many bytes of the answer body.
	CutAfter int
}

// RateLimited is OpenAI's 429 for a rate limit, with Retry-After
// (seconds or an HTTP date; "" sends none).
func RateLimited(retryAfter string) Fault {
	return Fault{Status: http.StatusTooManyRequests, Type: "requests", Code: "rate_limit_exceeded", RetryAfter: retryAfter,
		Message: "Rate limit reached for requests. Please try again later."}
}

// QuotaExceeded is OpenAI's 429 for an exhausted quota.
func QuotaExceeded() Fault {
	return Fault{Status: http.StatusTooManyRequests, Type: "insufficient_quota", Code: "insufficient_quota",
		Message: "You exceeded your current quota, please check your plan and billing details."}
}

// Unauthorized is OpenAI's 401 for a revoked key.
func Unauthorized() Fault {
	return Fault{Status: http.StatusUnauthorized, Type: "invalid_request_error", Code: "invalid_api_key",
		Message: "Incorrect API key provided."}
}

// ServerError is a 500 server_error.
func ServerError() Fault {
	return Fault{Status: http.StatusInternalServerError, Type: "server_error",
		Message: "The server had an error while processing your request. Sorry about that!"}
}

// Slow waits d, then forwards.
func Slow(d time.Duration) Fault { return Fault{Delay: d} }

// Record is one request the front handled.
type Record struct {
	Time     time.Time
	Method   string
	Path     string // as received, e.g. /v1/chat/completions
	Key      string // the Bearer key ("" if none)
	Status   int    // what the client was answered (0 for a hang-up)
	Fault    string // the fault applied, "" when forwarded untouched
	Duration time.Duration
}

type armed struct {
	fault Fault
	left  int // 0 = until cleared
}

// Front is the proxy; it is an http.Handler.
type Front struct {
	// URL is the front's base URL (ending in /v1) once Start ran.
	URL string

	upstream *url.URL
	proxy    *httputil.ReverseProxy
	srv      *httptest.Server

	mu      sync.Mutex
	opts    Options
	open    bool            // no key list: any key is accepted
	keys    map[string]bool // accepted keys
	revoked map[string]bool // refused even when open
	faults  map[string][]*armed
	records []*Record
}

// New makes a front for the upstream base URL (such as
// http://127.0.0.1:11434/v1) without listening.
func New(upstream string, opts Options) (*Front, error) {
	u, err := url.Parse(strings.TrimRight(upstream, "/"))
	if err != nil || u.Scheme == "" || u.Host == "" {
		return nil, fmt.Errorf("front: upstream %q is not an absolute URL", upstream)
	}
	f := &Front{upstream: u, opts: opts, faults: map[string][]*armed{}}
	f.SetKeys(opts.Keys...)
	f.proxy = &httputil.ReverseProxy{
		Rewrite:       f.rewrite,
		FlushInterval: -1, // stream SSE at once
		ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
			if r.Context().Err() != nil {
				return
			}
			writeError(w, http.StatusBadGateway, "server_error", "", "front: upstream unreachable: "+err.Error(), nil)
		},
	}
	return f, nil
}

// Start makes a front and serves it on a loopback port.
func Start(upstream string, opts Options) (*Front, error) {
	f, err := New(upstream, opts)
	if err != nil {
		return nil, err
	}
	f.srv = httptest.NewServer(f)
	f.URL = f.srv.URL + "/v1"
	return f, nil
}

// Close stops a started front.
func (f *Front) Close() {
	if f.srv != nil {
		f.srv.CloseClientConnections()
		f.srv.Close()
	}
}

// SetKeys replaces the accepted keys; with none, any key is accepted.
// Revoked keys are forgiven.
func (f *Front) SetKeys(keys ...string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.open = len(keys) == 0
	f.keys, f.revoked = map[string]bool{}, map[string]bool{}
	for _, k := range keys {
		f.keys[k] = true
	}
}

// AllowKey accepts key (again).
func (f *Front) AllowKey(key string) {
	f.mu.Lock()
	f.keys[key] = true
	delete(f.revoked, key)
	f.mu.Unlock()
}

// RevokeKey refuses key from now on: its requests get 401 invalid_api_key,
// as OpenAI answers for a deleted key.
func (f *Front) RevokeKey(key string) {
	f.mu.Lock()
	delete(f.keys, key)
	f.revoked[key] = true
	f.mu.Unlock()
}

// Fail arms a fault for requests with key (or AnyKey): the next times
// requests get it; times <= 0 means every request until Clear. Faults
// armed for a key are used in the order they were armed.
func (f *Front) Fail(key string, fault Fault, times int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if times < 0 {
		times = 0
	}
	f.faults[key] = append(f.faults[key], &armed{fault: fault, left: times})
}

// Clear disarms the faults of key; ClearAll those of every key.
func (f *Front) Clear(key string) {
	f.mu.Lock()
	delete(f.faults, key)
	f.mu.Unlock()
}

func (f *Front) ClearAll() {
	f.mu.Lock()
	f.faults = map[string][]*armed{}
	f.mu.Unlock()
}

// Records lists the requests in the order they arrived. A request still
// being handled has Status 0 and Duration 0.
func (f *Front) Records() []Record {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make([]Record, len(f.records))
	for i, r := range f.records {
		out[i] = *r
	}
	return out
}

// KeysUsed lists the key of each request in arrival order.
func (f *Front) KeysUsed() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make([]string, len(f.records))
	for i, r := range f.records {
		out[i] = r.Key
	}
	return out
}

// Count is the number of requests made with key.
func (f *Front) Count(key string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, r := range f.records {
		if r.Key == key {
			n++
		}
	}
	return n
}

// Reset forgets the records (faults and keys stay).
func (f *Front) Reset() {
	f.mu.Lock()
	f.records = nil
	f.mu.Unlock()
}

// take returns the fault for key, using up one of its times.
func (f *Front) take(key string) *Fault {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, k := range []string{key, AnyKey} {
		list := f.faults[k]
		if len(list) == 0 {
			continue
		}
		a := list[0]
		if a.left > 0 {
			a.left--
			if a.left == 0 {
				if len(list) == 1 {
					delete(f.faults, k)
				} else {
					f.faults[k] = list[1:]
				}
			}
		}
		fault := a.fault
		return &fault
	}
	return nil
}

func (f *Front) allowed(key string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return !f.revoked[key] && (f.open || f.keys[key])
}

func (f *Front) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	key, _ := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	key = strings.TrimSpace(key)
	rw := &recorder{ResponseWriter: w}
	rec := &Record{Time: start, Method: r.Method, Path: r.URL.Path, Key: key}
	f.mu.Lock()
	f.records = append(f.records, rec)
	f.mu.Unlock()
	var fault *Fault
	defer func() {
		f.mu.Lock()
		rec.Status, rec.Duration = rw.status, time.Since(start)
		if fault != nil {
			rec.Fault = describe(fault)
		}
		f.mu.Unlock()
	}()

	if key == "" {
		fault = &Fault{Status: http.StatusUnauthorized, Code: "no key"}
		writeError(rw, http.StatusUnauthorized, "invalid_request_error", "",
			"You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).", nil)
		return
	}
	if !f.allowed(key) {
		fault = &Fault{Status: http.StatusUnauthorized, Code: "invalid_api_key"}
		writeError(rw, http.StatusUnauthorized, "invalid_request_error", "invalid_api_key",
			"Incorrect API key provided: "+starKey(key)+". You can find your API key at https://platform.openai.com/account/api-keys.", nil)
		return
	}
	fault = f.take(key)
	if fault != nil {
		if fault.Delay > 0 {
			// Read the body first: Go's HTTP/1 server notices a client
			// that hangs up only once the request body was read.
			body, err := io.ReadAll(r.Body)
			if err != nil {
				return
			}
			r.Body = io.NopCloser(bytes.NewReader(body))

			t := time.NewTimer(fault.Delay)
			select {
			case <-r.Context().Done():
				t.Stop()
				return
			case <-t.C:
			}
		}
		switch {
		case fault.Hangup:
			if hj, ok := w.(http.Hijacker); ok {
				if conn, _, err := hj.Hijack(); err == nil {
					conn.Close()
					return
				}
			}
			panic(http.ErrAbortHandler)
		case fault.Status != 0:
			h := fault.Header.Clone()
			if h == nil {
				h = http.Header{}
			}
			if fault.RetryAfter != "" {
				h.Set("Retry-After", fault.RetryAfter)
			}
			writeError(rw, fault.Status, fault.Type, fault.Code, fault.Message, h)
			return
		case fault.CutAfter > 0:
			rw.cutAfter = fault.CutAfter
		}
	}
	f.proxy.ServeHTTP(rw, r)
}

func describe(f *Fault) string {
	var parts []string
	if f.Delay > 0 {
		parts = append(parts, "delay "+f.Delay.String())
	}
	switch {
	case f.Hangup:
		parts = append(parts, "hangup")
	case f.Status != 0:
		parts = append(parts, fmt.Sprintf("status %d %s", f.Status, f.Code))
	case f.CutAfter > 0:
		parts = append(parts, fmt.Sprintf("cut after %d bytes", f.CutAfter))
	}
	return strings.Join(parts, ", ")
}

// rewrite maps {front}/v1/X to {upstream}/X and sets the upstream's
// credentials.
func (f *Front) rewrite(pr *httputil.ProxyRequest) {
	out := pr.Out
	rest := strings.TrimPrefix(pr.In.URL.Path, "/v1")
	out.URL.Scheme = f.upstream.Scheme
	out.URL.Host = f.upstream.Host
	out.URL.Path = f.upstream.Path + rest
	out.URL.RawPath = ""
	out.Host = f.upstream.Host
	f.mu.Lock()
	opts := f.opts
	f.mu.Unlock()
	switch {
	case opts.UpstreamKey != "":
		out.Header.Set("Authorization", "Bearer "+opts.UpstreamKey)
	case !opts.PassAuth:
		out.Header.Del("Authorization")
	}
	pr.SetXForwarded()
}

// recorder remembers the status and can cut the body short.
type recorder struct {
	http.ResponseWriter
	status   int
	written  int
	cutAfter int
}

func (r *recorder) WriteHeader(code int) {
	if r.status == 0 {
		r.status = code
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *recorder) Write(p []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	if r.cutAfter > 0 && r.written+len(p) >= r.cutAfter {
		n, _ := r.ResponseWriter.Write(p[:r.cutAfter-r.written])
		r.written += n
		r.Flush()
		// Closes the connection mid-answer: the client sees a truncated
		// body (a chunked stream that never ends properly).
		panic(http.ErrAbortHandler)
	}
	n, err := r.ResponseWriter.Write(p)
	r.written += n
	return n, err
}

func (r *recorder) Flush() {
	if fl, ok := r.ResponseWriter.(http.Flusher); ok {
		fl.Flush()
	}
}

func (r *recorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

func writeError(w http.ResponseWriter, status int, typ, code, msg string, h http.Header) {
	for k, vs := range h {
		for _, v := range vs {
			w.Header().Add(k, v)
		}
	}
	var c any
	if code != "" {
		c = code
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{"error": map[string]any{"message": msg, "type": typ, "param": nil, "code": c}})
}

// starKey shows a key the way OpenAI's 401 message does.
func starKey(k string) string {
	if len(k) < 12 {
		return strings.Repeat("*", len(k))
	}
	return k[:6] + strings.Repeat("*", len(k)-10) + k[len(k)-4:]
}
