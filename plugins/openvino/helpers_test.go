package main

import (
	"context"
	"net"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/roundhouse-ai/roundhouse/internal/openaitest/fake"
	"github.com/roundhouse-ai/roundhouse/internal/ovmstest"
	"github.com/roundhouse-ai/roundhouse/sdk"
)

func freeHost(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return "127.0.0.1:" + strconv.Itoa(l.Addr().(*net.TCPAddr).Port)
}

func ctxFor(t testing.TB, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

// upstream is the project's OpenAI fake, standing in for the generation
// the fake OVMS forwards (the e2e tests use the real Ollama instead).
func upstream(t testing.TB) string {
	t.Helper()
	s := fake.NewServer(fake.Options{NoAuth: true})
	t.Cleanup(s.Close)
	return s.URL
}

// managedConfig configures the plugin to run the fake ovms executable.
func managedConfig(t testing.TB, extra map[string]any) *sdk.Config {
	t.Helper()
	settings := map[string]any{
		"engine_host": freeHost(t), "manage_engine": "true", "ovms_path": ovmstest.Build(t),
		"start_timeout": 30.0, "load_timeout": 30.0,
		"engine_env": map[string]any{"OVMS_FAKE_UPSTREAM": upstream(t), "OVMS_FAKE_PULL_STEP_MS": "5", "OVMS_FAKE_LOAD_DELAY_MS": "100"},
	}
	for k, v := range extra {
		settings[k] = v
	}
	return &sdk.Config{DataDir: t.TempDir(), Settings: settings}
}

func newConfigured(t testing.TB, cfg *sdk.Config) *plugin {
	t.Helper()
	p := newPlugin()
	p.sysRoot = t.TempDir() // no GPUs: device CPU
	if err := p.Configure(context.Background(), cfg); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = p.Shutdown(ctx)
	})
	return p
}

// attachedFake runs the fake OVMS in process (an httptest server) over
// a repository in a temp dir, and configures a plugin attached to it.
func attachedFake(t testing.TB, opts ovmstest.Options) (*plugin, *ovmstest.Server, string) {
	t.Helper()
	repo := t.TempDir()
	cfgPath := filepath.Join(repo, "config.json")
	if err := os.WriteFile(cfgPath, []byte(`{"model_config_list": []}`), 0o644); err != nil {
		t.Fatal(err)
	}
	opts.ConfigPath = cfgPath
	s, err := ovmstest.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(s.Handler())
	t.Cleanup(ts.Close)
	p := newConfigured(t, &sdk.Config{DataDir: t.TempDir(), Settings: map[string]any{
		"engine_host": ts.Listener.Addr().String(), "manage_engine": "false",
		"model_repository_path": repo, "config_path": cfgPath, "load_timeout": 10.0,
	}})
	return p, s, repo
}

func eventually(t testing.TB, within time.Duration, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for: %s", within, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
