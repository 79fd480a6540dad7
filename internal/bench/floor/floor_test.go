package floor

import (
	"context"
	"crypto/tls"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"

	"github.com/roundhouse-ai/roundhouse/internal/bench/harness"
	"github.com/roundhouse-ai/roundhouse/internal/bench/load"
	"github.com/roundhouse-ai/roundhouse/internal/bench/upstream"
)

func TestMain(m *testing.M) {
	Main() // the test binary re-executed as a floor process
	code := m.Run()
	harness.StopAll()
	os.Exit(code)
}

const key = "sk-floor-test"

func newUpstream(t *testing.T) string {
	t.Helper()
	up := httptest.NewServer(upstream.New(upstream.Options{APIKey: key}))
	t.Cleanup(up.Close)
	return up.URL + "/v1"
}

// inProcess wires a front to a plugin over a real unix socket.
func inProcess(t *testing.T, up string, useTLS bool, mode Mode) string {
	t.Helper()
	o := PluginOptions{Upstream: up, APIKey: key}
	var ctc = (*clientTLSArgs)(nil)
	if useTLS {
		srv, srvPEM, err := newCert()
		if err != nil {
			t.Fatal(err)
		}
		cli, cliPEM, err := newCert()
		if err != nil {
			t.Fatal(err)
		}
		if o.TLS, err = serverTLS(srv, cliPEM); err != nil {
			t.Fatal(err)
		}
		ctc = &clientTLSArgs{cli: cli, srvPEM: srvPEM}
	}
	sock := filepath.Join(t.TempDir(), "p.sock")
	ln, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	gs := NewPluginServer(o)
	go func() { _ = gs.Serve(ln) }()
	t.Cleanup(gs.Stop)
	var tc = ctc.config(t)
	cc, err := DialPlugin(sock, tc)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cc.Close() })
	fs := httptest.NewServer(NewFront(cc, mode))
	t.Cleanup(fs.Close)
	return fs.URL
}

type clientTLSArgs struct {
	cli    tls.Certificate
	srvPEM []byte
}

func (a *clientTLSArgs) config(t *testing.T) *tls.Config {
	if a == nil {
		return nil
	}
	tc, err := clientTLS(a.cli, a.srvPEM)
	if err != nil {
		t.Fatal(err)
	}
	return tc
}

// check sends one unary call and one numbered stream through base.
func check(t *testing.T, base string) {
	t.Helper()
	c := load.NewClient(2)
	ctx := context.Background()
	s := load.Unary(c, load.Request{URL: base + "/v1/chat/completions",
		Body: []byte(`{"model":"bench","messages":[{"role":"user","content":"ping"}]}`)}, []byte(upstream.Reply))(ctx, 0)
	if s.Err != nil {
		t.Fatalf("unary: %v", s.Err)
	}
	st := load.Stream(c, load.StreamSpec{Numbered: true, WantChunks: 40, Request: load.Request{URL: base + "/v1/chat/completions",
		Body: []byte(`{"model":"bench","stream":true,"max_tokens":40,"messages":[{"role":"user","content":"ping"}]}`)}})(ctx, 0)
	if st.Err != nil || st.OrderErr != nil || st.Chunks != 40 {
		t.Fatalf("stream: err %v, order %v, %d chunks (want 40)", st.Err, st.OrderErr, st.Chunks)
	}
}

func TestFloorInProcess(t *testing.T) {
	up := newUpstream(t)
	for _, tc := range []struct {
		name string
		tls  bool
		mode Mode
	}{{"relay", false, Relay}, {"relay+tls", true, Relay}, {"lease+tls", true, Lease}} {
		t.Run(tc.name, func(t *testing.T) { check(t, inProcess(t, up, tc.tls, tc.mode)) })
	}
}

func TestFloorUpstreamErrorIsBadGateway(t *testing.T) {
	base := inProcess(t, newUpstream(t)+"/nowhere", false, Relay)
	resp, err := http.Post(base+"/v1/chat/completions", "application/json", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadGateway {
		t.Fatalf("status %d, want 502", resp.StatusCode)
	}
}

// TestFloorProcesses runs the floor as the benchmark does: front and
// plugin as separate processes, with mutual TLS.
func TestFloorProcesses(t *testing.T) {
	up := newUpstream(t)
	for _, useTLS := range []bool{false, true} {
		p, err := Start(Options{Upstream: up, APIKey: key, TLS: useTLS})
		if err != nil {
			t.Fatal(err)
		}
		if p.PluginPid == 0 || p.PluginPid == p.Pid() {
			t.Errorf("plugin pid %d, front pid %d: want a separate plugin process", p.PluginPid, p.Pid())
		}
		check(t, p.URL)
		p.Stop()
	}
}

// An NDJSON upstream (Ollama's /api/chat) is relayed line by line.
func TestFloorNDJSON(t *testing.T) {
	const n = 30
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/api/chat" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/x-ndjson")
		for i := range n {
			_, _ = w.Write([]byte(`{"message":{"role":"assistant","content":"` + load.ChunkToken(i) + `"},"done":false}` + "\n"))
			w.(http.Flusher).Flush()
		}
		_, _ = w.Write([]byte(`{"message":{"role":"assistant","content":""},"done":true}` + "\n"))
	}))
	t.Cleanup(up.Close)
	sock := filepath.Join(t.TempDir(), "p.sock")
	ln, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	gs := NewPluginServer(PluginOptions{Upstream: up.URL, Path: "/api/chat", NDJSON: true})
	go func() { _ = gs.Serve(ln) }()
	t.Cleanup(gs.Stop)
	cc, err := DialPlugin(sock, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cc.Close() })
	fs := httptest.NewServer(NewFront(cc, Relay).NDJSON())
	t.Cleanup(fs.Close)
	st := load.Stream(load.NewClient(1), load.StreamSpec{NDJSON: true, Numbered: true, WantChunks: n,
		Request: load.Request{URL: fs.URL + "/api/chat", Body: []byte(`{"model":"tiny","stream":true}`)}})(context.Background(), 0)
	if st.Err != nil || st.OrderErr != nil || st.Chunks != n {
		t.Fatalf("stream: err %v, order %v, %d chunks (want %d)", st.Err, st.OrderErr, st.Chunks, n)
	}
}
