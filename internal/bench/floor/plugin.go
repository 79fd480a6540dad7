package floor

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
)

// PluginOptions configure the plugin side.
type PluginOptions struct {
	// Upstream is the OpenAI-compatible base URL (…/v1); the plugin POSTs
	// to Upstream + "/chat/completions".
	Upstream string
	// APIKey is sent as a bearer token; only the plugin knows it (in
	// lease mode it hands it to the front for a while).
	APIKey string
	// TLS, when set, makes the gRPC server require mutual TLS.
	TLS *tls.Config
	// Path is appended to Upstream (default "/chat/completions").
	Path string
	// NDJSON relays a stream line by line (Ollama's /api/chat) instead of
	// SSE event by event.
	NDJSON bool
}

// plugin is the relay the gRPC server serves.
type plugin struct {
	url, auth string
	ndjson    bool
	hc        *http.Client
}

// NewPluginServer returns the plugin's gRPC server (not yet serving).
func NewPluginServer(o PluginOptions) *grpc.Server {
	opts := []grpc.ServerOption{grpc.ForceServerCodec(rawCodec{})}
	if o.TLS != nil {
		opts = append(opts, grpc.Creds(credentials.NewTLS(o.TLS)))
	}
	s := grpc.NewServer(opts...)
	s.RegisterService(&serviceDesc, newPlugin(o))
	return s
}

func newPlugin(o PluginOptions) *plugin {
	if o.Path == "" {
		o.Path = "/chat/completions"
	}
	p := &plugin{url: o.Upstream + o.Path, ndjson: o.NDJSON, hc: &http.Client{Transport: newTransport()}}
	if o.APIKey != "" {
		p.auth = "Bearer " + o.APIKey
	}
	return p
}

// newTransport is an HTTP client transport for many concurrent calls to
// one loopback upstream.
func newTransport() *http.Transport {
	return &http.Transport{
		Proxy:               nil,
		DialContext:         (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConns:        1024,
		MaxIdleConnsPerHost: 1024,
		IdleConnTimeout:     90 * time.Second,
		DisableCompression:  true,
	}
}

func (p *plugin) post(ctx context.Context, body []byte) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, p.url, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	if p.auth != "" {
		req.Header.Set("Authorization", p.auth)
	}
	resp, err := p.hc.Do(req)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		resp.Body.Close()
		return nil, fmt.Errorf("upstream: HTTP %d: %s", resp.StatusCode, b)
	}
	return resp, nil
}

func (p *plugin) call(ctx context.Context, body []byte) ([]byte, error) {
	resp, err := p.post(ctx, body)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	return io.ReadAll(resp.Body)
}

// stream sends each SSE event (its lines up to and including the blank
// line that ends it), or each NDJSON line, as one message.
func (p *plugin) stream(body []byte, send func([]byte) error, ctx context.Context) error {
	resp, err := p.post(ctx, body)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	br := bufio.NewReaderSize(resp.Body, 32<<10)
	var ev []byte
	for {
		line, err := br.ReadSlice('\n')
		ev = append(ev, line...)
		if p.ndjson && err == nil && len(ev) > 0 {
			if serr := send(ev); serr != nil {
				return serr
			}
			ev = nil // gRPC may still hold the message
			continue
		}
		if blank := len(line) == 1 || (len(line) == 2 && line[0] == '\r'); blank {
			if len(ev) > len(line) {
				if serr := send(ev); serr != nil {
					return serr
				}
				// gRPC may still hold the message after SendMsg returns.
				ev = nil
				continue
			}
			ev = ev[:0]
		}
		if err == bufio.ErrBufferFull {
			continue
		}
		if err == io.EOF {
			if len(ev) > 0 {
				return send(ev)
			}
			return nil
		}
		if err != nil {
			return err
		}
	}
}

// lease hands out the route: URL and Authorization value, one per line.
func (p *plugin) lease(context.Context) ([]byte, error) {
	return []byte(p.url + "\n" + p.auth), nil
}
