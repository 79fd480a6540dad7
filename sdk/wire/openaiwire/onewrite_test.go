package openaiwire_test

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/roundhouse-ai/roundhouse/internal/bench/upstream"
	"github.com/roundhouse-ai/roundhouse/sdk/wire/openaiwire"
)

// countingConn counts the writes made on a connection.
type countingConn struct {
	net.Conn
	writes *atomic.Int32
}

func (c countingConn) Write(p []byte) (int, error) {
	c.writes.Add(1)
	return c.Conn.Write(p)
}

// A small request goes out in one write, headers and body together (a
// second write per call is a second syscall and a second packet); a big
// one still goes out whole.
func TestSmallRequestIsOneWrite(t *testing.T) {
	up := httptest.NewServer(upstream.New(upstream.Options{}))
	t.Cleanup(up.Close)
	var writes atomic.Int32
	tr := openaiwire.NewTransport()
	tr.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := (&net.Dialer{}).DialContext(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		return countingConn{Conn: c, writes: &writes}, nil
	}
	t.Cleanup(tr.CloseIdleConnections)
	c := &openaiwire.Client{HTTP: &http.Client{Transport: tr}, BaseURL: up.URL + "/v1", Name: "bench"}

	r, err := c.Chat(context.Background(), user(upstream.Model, "ping"))
	if err != nil {
		t.Fatal(err)
	}
	if r.Message.Content != upstream.Reply {
		t.Fatalf("answer %q", r.Message.Content)
	}
	if n := writes.Load(); n != 1 {
		t.Errorf("a small chat request took %d writes, want 1", n)
	}

	writes.Store(0)
	big := strings.Repeat("x", 256<<10)
	if r, err = c.Chat(context.Background(), user(upstream.Model, big)); err != nil {
		t.Fatal(err)
	}
	if r.Message.Content != upstream.Reply {
		t.Fatalf("answer %q", r.Message.Content)
	}
	if writes.Load() < 2 {
		t.Errorf("a %d KiB request took %d writes", len(big)>>10, writes.Load())
	}
}
