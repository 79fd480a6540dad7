// Package client is the Go client of the Roundhouse host's native HTTP
// API. The roundhouse CLI uses only this package; Go desktop apps can
// import it too (it pulls in neither gRPC nor go-plugin).
//
// It follows the conventions of ollama's api package: one method per
// endpoint; streaming calls take a callback that runs once per event, in
// order, and returning an error from it stops the stream (and, for a
// pull, cancels the pull); a failed call returns a nil result and an
// error, a *StatusError for an answer from the host, whose Code is the
// project's error code (types.CodeModelNotFound ...).
//
// A desktop app (see Example):
//
//	c, _ := client.New("127.0.0.1:7700", nil, client.WithAPIKey(key))
//	_ = c.Pull(ctx, &client.PullRequest{Model: "llama3.2"}, func(ev client.ProgressEvent) error {
//		showProgress(ev.Completed, ev.Total)
//		return nil
//	})
//	ans, err := c.Invoke(ctx, "rerank", req, client.Options{Policy: client.PolicyLocal})
//	err = c.ChatStream(ctx, &types.ChatRequest{Model: "llama3.2", Messages: msgs}, client.Options{},
//		func(ch *types.ChatChunk) error { appendText(ch.Content); return nil })
package client

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"

	"github.com/roundhouse-ai/roundhouse/types"
)

// DefaultHost is where the host listens unless configured otherwise.
const DefaultHost = "127.0.0.1:7700"

// Client talks to one host. It is safe for concurrent use once made (the
// setters are for set-up, before the first call).
type Client struct {
	base  *url.URL
	http  *http.Client
	token string
	// uploads is where UploadBlob keeps its resume state (uploads.go).
	uploads uploadStateDir
}

// Option configures a Client made by New or FromEnvironment.
type Option func(*Client)

// WithAdminToken makes the client send Authorization: Bearer token, which
// the host requires on admin routes when it has an admin_token.
func WithAdminToken(token string) Option { return func(c *Client) { c.token = token } }

// WithAPIKey makes the client send Authorization: Bearer key: a host API
// key (config api_keys), required on every route when the host has keys.
// It is the same header as the admin token; give one or the other (the
// last option given wins).
func WithAPIKey(key string) Option { return func(c *Client) { c.token = key } }

// WithHTTPClient uses hc for every request (timeouts, proxies, TLS).
func WithHTTPClient(hc *http.Client) Option {
	return func(c *Client) {
		if hc != nil {
			c.http = hc
		}
	}
}

// SetAdminToken is WithAdminToken after the fact.
func (c *Client) SetAdminToken(token string) { c.token = token }

// SetAPIKey is WithAPIKey after the fact.
func (c *Client) SetAPIKey(key string) { c.token = key }

// New makes a client for the host at base ("http://127.0.0.1:7700" or
// "127.0.0.1:7700"). hc may be nil (http.DefaultClient); the options
// apply after it.
func New(base string, hc *http.Client, opts ...Option) (*Client, error) {
	if base == "" {
		base = DefaultHost
	}
	if !strings.Contains(base, "://") {
		base = "http://" + base
	}
	u, err := url.Parse(base)
	if err != nil {
		return nil, fmt.Errorf("host address %q: %w", base, err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, fmt.Errorf("host address %q: the scheme must be http or https", base)
	}
	if u.Host == "" {
		return nil, fmt.Errorf("host address %q names no host", base)
	}
	if hc == nil {
		hc = http.DefaultClient
	}
	c := &Client{base: u, http: hc}
	for _, o := range opts {
		o(c)
	}
	return c, nil
}

// FromEnvironment makes a client for $ROUNDHOUSE_HOST, or DefaultHost,
// authenticating with $ROUNDHOUSE_API_KEY, else $ROUNDHOUSE_ADMIN_TOKEN.
// Options given apply after the environment (so they win).
func FromEnvironment(opts ...Option) (*Client, error) {
	env := []Option{WithAdminToken(os.Getenv("ROUNDHOUSE_ADMIN_TOKEN"))}
	if k := os.Getenv("ROUNDHOUSE_API_KEY"); k != "" {
		env = append(env, WithAPIKey(k))
	}
	return New(os.Getenv("ROUNDHOUSE_HOST"), nil, append(env, opts...)...)
}

// Host is the base URL.
func (c *Client) Host() string { return c.base.String() }

// StatusError is an error answer from the host: a non-2xx status, or an
// error event that ended a stream (or live session) after it started.
type StatusError struct {
	// StatusCode is the HTTP status; for an error that ended a stream it
	// is the status the error's code maps to (the stream itself began
	// with 200), and InStream is set.
	StatusCode int
	InStream   bool
	ErrorDetail
}

// streamError is the error event that ended a stream.
func streamError(d ErrorDetail) *StatusError {
	se := &StatusError{InStream: true, ErrorDetail: d}
	se.StatusCode = se.Code().HTTPStatus()
	return se
}

func (e *StatusError) Error() string {
	msg := e.Message
	if msg == "" {
		msg = http.StatusText(e.StatusCode)
	}
	if e.Field != "" {
		msg = e.Field + ": " + msg
	}
	if e.ErrorDetail.Code != "" {
		return fmt.Sprintf("%s (%s, HTTP %d)", msg, e.ErrorDetail.Code, e.StatusCode)
	}
	return fmt.Sprintf("%s (HTTP %d)", msg, e.StatusCode)
}

// Code is the project's error code of the answer (types.CodeModelNotFound
// ...): the code_number the host sent, else its code name, else one
// derived from the HTTP status.
func (e *StatusError) Code() types.Code {
	if e.CodeNumber != 0 {
		return types.Code(e.CodeNumber)
	}
	if c, ok := codeByName()[e.ErrorDetail.Code]; ok {
		return c
	}
	switch e.StatusCode {
	case http.StatusBadRequest:
		return types.CodeInvalidArgument
	case http.StatusUnauthorized:
		return types.CodeUnauthenticated
	case http.StatusForbidden:
		return types.CodePermissionDenied
	case http.StatusNotFound:
		return types.CodeNotFound
	case http.StatusConflict:
		return types.CodeFailedPrecondition
	case http.StatusTooManyRequests:
		return types.CodeRateLimited
	case http.StatusNotImplemented:
		return types.CodeUnimplemented
	case http.StatusServiceUnavailable:
		return types.CodeUnavailable
	case http.StatusGatewayTimeout:
		return types.CodeTimeout
	}
	return types.CodeUnknown
}

// CodeOf is the project's error code of err: a *StatusError's Code,
// CodeUnavailable when the host is not reachable, CodeCanceled or
// CodeTimeout for context errors, CodeOK for nil.
func CodeOf(err error) types.Code {
	var se *StatusError
	switch {
	case err == nil:
		return types.CodeOK
	case errors.As(err, &se):
		return se.Code()
	case errors.Is(err, ErrHostDown):
		return types.CodeUnavailable
	}
	return types.ErrorCode(err)
}

// codeByName maps the codes' names (as error bodies carry them) back to
// codes; types keeps the table private, so it is rebuilt from String over
// the code families' ranges.
var codeByName = sync.OnceValue(func() map[string]types.Code {
	m := map[string]types.Code{}
	for _, base := range []int{0, 1000, 2000, 3000, 4000} {
		for i := base; i < base+100; i++ {
			c := types.Code(i)
			if n := c.String(); !strings.HasPrefix(n, "code_") {
				m[n] = c
			}
		}
	}
	return m
})

// ErrHostDown wraps connection failures: the host is not running there.
var ErrHostDown = errors.New("roundhouse host is not reachable")

func (c *Client) do(ctx context.Context, method, path string, body any, accept string) (*http.Response, error) {
	var rd io.Reader
	size := int64(0)
	ct := ""
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return nil, err
		}
		rd, size, ct = bytes.NewReader(b), int64(len(b)), "application/json"
	}
	return c.send(ctx, method, path, rd, size, ct, accept)
}

// send does a request with a raw body of size bytes (rd may be nil) and
// returns the response, or a *StatusError for a non-2xx answer. hdr are
// more headers, name then value.
func (c *Client) send(ctx context.Context, method, path string, rd io.Reader, size int64, contentType, accept string, hdr ...string) (*http.Response, error) {
	u := c.base.JoinPath(path)
	if i := strings.IndexByte(path, '?'); i >= 0 {
		u = c.base.JoinPath(path[:i])
		u.RawQuery = path[i+1:]
	}
	req, err := http.NewRequestWithContext(ctx, method, u.String(), rd)
	if err != nil {
		return nil, err
	}
	if rd != nil {
		req.ContentLength = size
		req.Header.Set("Content-Type", contentType)
	}
	req.Header.Set("Accept", accept)
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		var op *net.OpError
		if errors.As(err, &op) && op.Op == "dial" {
			return nil, fmt.Errorf("%w at %s (start it with `roundhouse serve`, or point --host or ROUNDHOUSE_HOST at it): %v", ErrHostDown, c.base, err)
		}
		return nil, err
	}
	if resp.StatusCode >= 300 {
		defer resp.Body.Close()
		return nil, readError(resp)
	}
	return resp, nil
}

func readError(resp *http.Response) error {
	se := &StatusError{StatusCode: resp.StatusCode}
	data, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	var eb ErrorBody
	if json.Unmarshal(data, &eb) == nil && eb.Error.Message != "" {
		se.ErrorDetail = eb.Error
	} else {
		se.Message = strings.TrimSpace(string(data))
	}
	return se
}

// call does a JSON request and decodes a JSON answer into out (if not nil).
func (c *Client) call(ctx context.Context, method, path string, body, out any) error {
	resp, err := c.do(ctx, method, path, body, "application/json")
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if out == nil {
		_, _ = io.Copy(io.Discard, resp.Body)
		return nil
	}
	return json.NewDecoder(resp.Body).Decode(out)
}

// callJSON does a JSON request and returns the decoded answer, or nil and
// the error.
func callJSON[T any](ctx context.Context, c *Client, method, path string, body any) (*T, error) {
	var out T
	if err := c.call(ctx, method, path, body, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// stream does a request answered with NDJSON and calls fn per line. A line
// of the form {"error": {...}} ends the stream with a *StatusError.
func stream[T any](ctx context.Context, c *Client, method, path string, body any, fn func(T) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	resp, err := c.do(ctx, method, path, body, "application/x-ndjson")
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 0, 64<<10), 64<<20)
	for sc.Scan() {
		line := sc.Bytes()
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		if bytes.HasPrefix(line, []byte(`{"error"`)) {
			var eb ErrorBody
			if json.Unmarshal(line, &eb) == nil && eb.Error.Message != "" {
				return streamError(eb.Error)
			}
		}
		var v T
		if err := json.Unmarshal(line, &v); err != nil {
			return fmt.Errorf("malformed stream event: %w", err)
		}
		if err := fn(v); err != nil {
			return err
		}
	}
	return sc.Err()
}

func readAll(resp *http.Response) ([]byte, error) {
	defer resp.Body.Close()
	return io.ReadAll(io.LimitReader(resp.Body, 64<<20))
}

func decodeBody[T any](resp *http.Response) (*T, error) {
	defer resp.Body.Close()
	var out T
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		return nil, err
	}
	return &out, nil
}
