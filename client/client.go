// Package client is the Go client of the Roundhouse host's native HTTP
// API. The roundhouse CLI uses only this package; Go desktop apps can
// import it too. Streaming calls take a callback that runs once per event,
// in order; returning an error from it stops the stream (and, for a pull,
// cancels the pull).
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
)

// DefaultHost is where the host listens unless configured otherwise.
const DefaultHost = "127.0.0.1:7700"

// Client talks to one host.
type Client struct {
	base  *url.URL
	http  *http.Client
	token string
}

// SetAdminToken makes the client send Authorization: Bearer token, which
// the host requires on admin routes when it has an admin_token.
func (c *Client) SetAdminToken(token string) { c.token = token }

// SetAPIKey makes the client send Authorization: Bearer key: a host API
// key (config api_keys), required on every route when the host has keys.
// It is the same header as the admin token; set one or the other.
func (c *Client) SetAPIKey(key string) { c.token = key }

// New makes a client for the host at base ("http://127.0.0.1:7700" or
// "127.0.0.1:7700"). hc may be nil.
func New(base string, hc *http.Client) (*Client, error) {
	if !strings.Contains(base, "://") {
		base = "http://" + base
	}
	u, err := url.Parse(base)
	if err != nil {
		return nil, fmt.Errorf("host address %q: %w", base, err)
	}
	if hc == nil {
		hc = http.DefaultClient
	}
	return &Client{base: u, http: hc}, nil
}

// FromEnvironment makes a client for $ROUNDHOUSE_HOST, or DefaultHost,
// authenticating with $ROUNDHOUSE_API_KEY, else $ROUNDHOUSE_ADMIN_TOKEN.
func FromEnvironment() (*Client, error) {
	h := os.Getenv("ROUNDHOUSE_HOST")
	if h == "" {
		h = DefaultHost
	}
	c, err := New(h, nil)
	if err == nil {
		c.SetAdminToken(os.Getenv("ROUNDHOUSE_ADMIN_TOKEN"))
		if k := os.Getenv("ROUNDHOUSE_API_KEY"); k != "" {
			c.SetAPIKey(k)
		}
	}
	return c, err
}

// Host is the base URL.
func (c *Client) Host() string { return c.base.String() }

// StatusError is a non-2xx answer from the host.
type StatusError struct {
	StatusCode int
	ErrorDetail
}

func (e *StatusError) Error() string {
	msg := e.Message
	if msg == "" {
		msg = http.StatusText(e.StatusCode)
	}
	if e.Field != "" {
		msg = e.Field + ": " + msg
	}
	if e.Code != "" {
		return fmt.Sprintf("%s (%s, HTTP %d)", msg, e.Code, e.StatusCode)
	}
	return fmt.Sprintf("%s (HTTP %d)", msg, e.StatusCode)
}

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
// returns the response, or a *StatusError for a non-2xx answer.
func (c *Client) send(ctx context.Context, method, path string, rd io.Reader, size int64, contentType, accept string) (*http.Response, error) {
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
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		var op *net.OpError
		if errors.As(err, &op) && op.Op == "dial" {
			return nil, fmt.Errorf("%w at %s (start it with `roundhouse serve`, or set ROUNDHOUSE_HOST): %v", ErrHostDown, c.base, err)
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
				return &StatusError{StatusCode: http.StatusOK, ErrorDetail: eb.Error}
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
