package main

import (
	"context"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/roundhouse-ai/roundhouse/internal/proctest"
	"github.com/roundhouse-ai/roundhouse/sdk"
)

// testPlugin is a configured plugin with its own data dir, shut down (its
// managed engine stopped) when the test ends.
func testPlugin(t *testing.T, settings map[string]any) *plugin {
	t.Helper()
	p := newPlugin()
	if err := p.Configure(context.Background(), &sdk.Config{DataDir: t.TempDir(), Settings: settings}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := p.Shutdown(ctx); err != nil {
			t.Errorf("Shutdown: %v", err)
		}
	})
	return p
}

// freeHost returns a 127.0.0.1 address nothing listens on (right now).
func freeHost(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return "127.0.0.1:" + strconv.Itoa(l.Addr().(*net.TCPAddr).Port)
}

func ctxT(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

// wantCode fails unless err carries code.
func wantCode(t *testing.T, err error, code sdk.Code) *sdk.Error {
	t.Helper()
	if err == nil {
		t.Fatalf("got no error, want %v", code)
	}
	e := sdk.AsError(err)
	if e.Code != code {
		t.Fatalf("got %v (%v), want %v", e.Code, err, code)
	}
	return e
}

// eventually polls cond until it holds or d passes.
var eventually = proctest.Eventually

func TestEngineEnv(t *testing.T) {
	t.Setenv("OLLAMA_HOST", "0.0.0.0:1")
	t.Setenv("OLLAMA_MODELS", "/elsewhere")
	t.Setenv("KEEP_ME", "1")
	s, err := parseSettings(&sdk.Config{DataDir: "/data", Settings: map[string]any{
		"engine_host": "127.0.0.1:5555", "engine_env": map[string]any{"HOME": "/h", "KEEP_ME": "2"},
	}}, loadManifest())
	if err != nil {
		t.Fatal(err)
	}
	got := map[string][]string{}
	for _, kv := range engineEnv(s) {
		k, v, _ := strings.Cut(kv, "=")
		got[k] = append(got[k], v)
	}
	want := map[string]string{"OLLAMA_HOST": "http://127.0.0.1:5555", "OLLAMA_MODELS": "/data/models", "HOME": "/h", "KEEP_ME": "2"}
	for k, v := range want {
		if len(got[k]) != 1 || got[k][0] != v {
			t.Errorf("%s = %v, want exactly %q", k, got[k], v)
		}
	}
}
