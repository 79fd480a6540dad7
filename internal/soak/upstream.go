package soak

import (
	"context"
	"net"
	"net/http"
	"time"

	"github.com/roundhouse-ai/roundhouse/internal/bench/upstream"
)

// apiKey is the key the upstream requires and the provider sends.
const apiKey = "sk-soak-0001"

// pacedWriter delays every flush of the bench upstream by delay. The
// bench upstream writes a stream as fast as it can; paced, each stream
// lasts long enough that a plugin kill lands in the middle of many of
// them and clients can hang up at a chosen chunk. http.ResponseController
// (which the upstream flushes through) calls FlushError first.
type pacedWriter struct {
	http.ResponseWriter
	rc    *http.ResponseController
	delay time.Duration
	ctx   context.Context
}

func (p *pacedWriter) FlushError() error {
	t := time.NewTimer(p.delay)
	defer t.Stop()
	select {
	case <-t.C:
	case <-p.ctx.Done(): // the plugin hung up: stop pacing a dead stream
		return p.ctx.Err()
	}
	return p.rc.Flush()
}

// Unwrap lets ResponseController reach the real writer for the rest.
func (p *pacedWriter) Unwrap() http.ResponseWriter { return p.ResponseWriter }

// fastUpstream is the bench upstream (internal/bench/upstream) on a
// loopback port, each streamed chunk paced by delay.
type fastUpstream struct {
	srv *http.Server
	URL string // http://127.0.0.1:PORT/v1, the provider's base_url
}

func startUpstream(delay time.Duration) (*fastUpstream, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	up := upstream.New(upstream.Options{APIKey: apiKey})
	h := http.Handler(up)
	if delay > 0 {
		h = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			up.ServeHTTP(&pacedWriter{ResponseWriter: w, rc: http.NewResponseController(w), delay: delay, ctx: r.Context()}, r)
		})
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	return &fastUpstream{srv: srv, URL: "http://" + ln.Addr().String() + "/v1"}, nil
}

func (u *fastUpstream) Close() {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	_ = u.srv.Shutdown(ctx)
	_ = u.srv.Close()
}
