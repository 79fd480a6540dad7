package floor

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
)

// Mode is how the front reaches the upstream.
type Mode string

const (
	// Relay: every call crosses the plugin (the floor).
	Relay Mode = "relay"
	// Lease: the front asks the plugin for a short-lived route and calls
	// the upstream itself (the prototype below the floor).
	Lease Mode = "lease"
)

// leaseTTL is how long the front uses a route before asking again.
const leaseTTL = 30 * time.Second

// Front is the HTTP server in the host's place.
type Front struct {
	cc     *grpc.ClientConn
	mode   Mode
	ndjson bool // streams are NDJSON, not SSE

	hc    *http.Client
	route atomic.Pointer[route]
	mu    sync.Mutex // one lease request at a time
}

type route struct {
	url, auth string
	until     time.Time
}

// DialPlugin connects to the plugin's unix socket, with mutual TLS when
// tc is set.
func DialPlugin(socket string, tc *tls.Config) (*grpc.ClientConn, error) {
	creds := insecure.NewCredentials()
	if tc != nil {
		creds = credentials.NewTLS(tc)
	}
	return grpc.NewClient("unix:"+socket, grpc.WithTransportCredentials(creds),
		grpc.WithDefaultCallOptions(grpc.ForceCodec(rawCodec{})))
}

// NewFront serves HTTP over cc.
func NewFront(cc *grpc.ClientConn, mode Mode) *Front {
	return &Front{cc: cc, mode: mode, hc: &http.Client{Transport: newTransport()}}
}

// NDJSON makes the front label streams application/x-ndjson (the plugin
// must relay them line by line: PluginOptions.NDJSON).
func (f *Front) NDJSON() *Front { f.ndjson = true; return f }

var streamFlag = []byte(`"stream":true`)

func (f *Front) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	stream := bytes.Contains(body, streamFlag)
	if f.mode == Lease {
		f.direct(w, r.Context(), body, stream)
		return
	}
	if stream {
		f.relayStream(w, r.Context(), body)
		return
	}
	var out []byte
	if err := f.cc.Invoke(r.Context(), methodCall, &body, &out); err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(out)
}

func (f *Front) relayStream(w http.ResponseWriter, ctx context.Context, body []byte) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	cs, err := f.cc.NewStream(ctx, &serviceDesc.Streams[0], methodStream)
	if err == nil {
		err = cs.SendMsg(&body)
	}
	if err == nil {
		err = cs.CloseSend()
	}
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	fl, _ := w.(http.Flusher)
	var msg []byte
	for i := 0; ; i++ {
		if err := cs.RecvMsg(&msg); err != nil {
			if i == 0 && !errors.Is(err, io.EOF) {
				http.Error(w, err.Error(), http.StatusBadGateway)
			}
			return
		}
		if i == 0 {
			ct := "text/event-stream"
			if f.ndjson {
				ct = "application/x-ndjson"
			}
			w.Header().Set("Content-Type", ct)
		}
		if _, err := w.Write(msg); err != nil {
			return
		}
		if fl != nil {
			fl.Flush()
		}
	}
}

// lease returns the current route, asking the plugin when it has none
// or it ran out.
func (f *Front) lease(ctx context.Context) (*route, error) {
	if rt := f.route.Load(); rt != nil && time.Now().Before(rt.until) {
		return rt, nil
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if rt := f.route.Load(); rt != nil && time.Now().Before(rt.until) {
		return rt, nil
	}
	var in, out []byte
	if err := f.cc.Invoke(ctx, methodLease, &in, &out); err != nil {
		return nil, err
	}
	u, a, _ := strings.Cut(string(out), "\n")
	rt := &route{url: u, auth: a, until: time.Now().Add(leaseTTL)}
	f.route.Store(rt)
	return rt, nil
}

var copyBufs = sync.Pool{New: func() any { b := make([]byte, 32<<10); return &b }}

// direct calls the upstream on a leased route and copies its answer,
// flushing after every read for a stream.
func (f *Front) direct(w http.ResponseWriter, ctx context.Context, body []byte, stream bool) {
	rt, err := f.lease(ctx)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, rt.url, bytes.NewReader(body))
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	req.Header.Set("Content-Type", "application/json")
	if rt.auth != "" {
		req.Header.Set("Authorization", rt.auth)
	}
	resp, err := f.hc.Do(req)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	defer resp.Body.Close()
	w.Header().Set("Content-Type", resp.Header.Get("Content-Type"))
	w.WriteHeader(resp.StatusCode)
	bp := copyBufs.Get().(*[]byte)
	defer copyBufs.Put(bp)
	fl, _ := w.(http.Flusher)
	for {
		n, err := resp.Body.Read(*bp)
		if n > 0 {
			if _, werr := w.Write((*bp)[:n]); werr != nil {
				return
			}
			if stream && fl != nil {
				fl.Flush()
			}
		}
		if err != nil {
			return
		}
	}
}

// ListenFront serves f on ln until ctx ends.
func ListenFront(ctx context.Context, ln net.Listener, f *Front) error {
	srv := &http.Server{Handler: f, ReadHeaderTimeout: 10 * time.Second}
	go func() { <-ctx.Done(); _ = srv.Close() }()
	err := srv.Serve(ln)
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return err
}
