package regauth

import (
	"bytes"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/roundhouse-ai/roundhouse/types"
)

// kind is the class of access a request needs (a token scope's action).
func kind(method string) string {
	if method == http.MethodGet || method == http.MethodHead {
		return "pull"
	}
	return "push"
}

// send forwards r to u with the registry's authentication: what is known
// is sent up front, and a 401 is answered (Basic, or a fetched Bearer
// token) and the request sent again.
func (p *Proxy) send(r *http.Request, u *url.URL, client *http.Client) (*http.Response, error) {
	ctx := r.Context()
	var body []byte
	var stream io.Reader
	replay := true
	if r.Body != nil && r.Body != http.NoBody {
		buf, err := io.ReadAll(io.LimitReader(r.Body, maxReplay+1))
		if err != nil {
			return nil, err
		}
		if len(buf) > maxReplay {
			replay = false
			stream = io.MultiReader(bytes.NewReader(buf), r.Body)
		}
		body = buf
	}
	k := kind(r.Method)
	authz, err := p.auth.header(ctx, k)
	if err != nil {
		return nil, err
	}
	for attempt := 0; ; attempt++ {
		var rd io.Reader
		switch {
		case stream != nil:
			rd = stream
		case body != nil:
			rd = bytes.NewReader(body)
		}
		out, err := http.NewRequestWithContext(ctx, r.Method, u.String(), rd)
		if err != nil {
			return nil, err
		}
		copyHeader(out.Header, r.Header)
		out.Header.Del("Authorization")
		if authz != "" {
			out.Header.Set("Authorization", authz)
		}
		if rd != nil {
			out.ContentLength = r.ContentLength
			if stream == nil {
				out.ContentLength = int64(len(body))
			}
		}
		resp, err := client.Do(out)
		if err != nil {
			return nil, err
		}
		// Only the registry's own answers speak of its credentials: a
		// refusal from blob storage it redirected to is passed on as is.
		fromRegistry := resp.Request == nil || strings.EqualFold(resp.Request.URL.Host, p.upstream.Host)
		switch {
		case resp.StatusCode == http.StatusForbidden && authz != "" && fromRegistry:
			resp.Body.Close()
			return nil, denied(p.ref.host, p.auth.auth.Username, p.ref.path(), k)
		case resp.StatusCode != http.StatusUnauthorized || !fromRegistry:
			return resp, nil
		}
		c := parseChallenge(resp.Header.Get("WWW-Authenticate"))
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
		resp.Body.Close()
		if attempt >= 2 {
			return nil, refused(p.ref.host, p.auth.auth.Username, "still refused after answering its challenge")
		}
		next, err := p.auth.answer(ctx, k, authz, c)
		if err != nil {
			return nil, err
		}
		if !replay {
			// The body is gone; the engine retries the part and the
			// retry goes out with what was just learnt.
			return nil, &types.Error{Code: types.CodeUnavailable, Retryable: true,
				Message: "registry asked for authentication mid-upload; retry"}
		}
		authz = next
	}
}

// hop-by-hop headers are not forwarded (RFC 9110 7.6.1); Origin and the
// like never reach here.
var hopByHop = map[string]bool{
	"Connection": true, "Keep-Alive": true, "Proxy-Authenticate": true, "Proxy-Authorization": true,
	"Te": true, "Trailer": true, "Transfer-Encoding": true, "Upgrade": true, "Proxy-Connection": true,
}

func copyHeader(dst, src http.Header) {
	for k, vs := range src {
		if hopByHop[k] {
			continue
		}
		dst[k] = append([]string(nil), vs...)
	}
}
