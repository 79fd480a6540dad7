// Package hosttest starts a real host for tests: real plugin discovery, a
// real plugin subprocess (the test binary re-executed as
// internal/testplugin) and, when asked, the real HTTP API on a loopback
// port. Test binaries that use it must call testplugin.MaybeServe in
// TestMain.
package hosttest

import (
	"context"
	"io"
	"log/slog"
	"net/http/httptest"
	"os"
	"testing"
	"time"

	"github.com/roundhouse-ai/roundhouse/host"
	"github.com/roundhouse-ai/roundhouse/host/api"
	"github.com/roundhouse-ai/roundhouse/host/config"
	"github.com/roundhouse-ai/roundhouse/host/meter"
	"github.com/roundhouse-ai/roundhouse/internal/testplugin"
	"github.com/roundhouse-ai/roundhouse/sdk/manifest"
)

// Host is a running test host.
type Host struct {
	*host.Host
	// URL of the HTTP API ("" unless started with Serve).
	URL     string
	DataDir string
	Server  *httptest.Server
	// Meter is the accounting (usage, budgets, cache, metrics) when
	// started with Options.Meter.
	Meter *meter.Meter
}

// Options configure Start.
type Options struct {
	// Mutate edits the config before the host starts.
	Mutate func(*config.Config)
	// ExtraRoots are more plugin roots (real first-party plugins).
	ExtraRoots []string
	// NoEcho leaves the echo test plugin out.
	NoEcho bool
	// EchoManifest, when set, edits the echo plugin's manifest.
	EchoManifest func(*manifest.Manifest)
	// Log, when set, receives every host log line (plugins' lines are
	// re-logged there too), at debug level.
	Log io.Writer
	// Meter builds the host's accounting from the config (usage store
	// under the data dir, budgets, cache, metrics) and serves its routes.
	Meter bool
}

// Start runs a host with the "echo" test plugin and its HTTP API.
func Start(t testing.TB, o Options) *Host {
	t.Helper()
	cfg, err := config.Load("")
	if err != nil {
		t.Fatal(err)
	}
	cfg.PluginDirs = o.ExtraRoots
	cfg.DataDir = t.TempDir()
	cfg.Plugins = map[string]config.PluginConfig{}
	if !o.NoEcho {
		root := t.TempDir()
		if _, err := testplugin.ManifestWith(root, "echo", o.EchoManifest); err != nil {
			t.Fatal(err)
		}
		cfg.PluginDirs = append([]string{root}, o.ExtraRoots...)
		cfg.Plugins["echo"] = config.PluginConfig{Env: map[string]string{testplugin.EnvServe: "echo"}}
	}
	if o.Mutate != nil {
		o.Mutate(cfg)
	}
	log := Logger(t)
	if o.Log != nil {
		log = slog.New(slog.NewTextHandler(io.MultiWriter(o.Log, logSink(t)), &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	h := host.New(cfg, log)
	var m *meter.Meter
	var opts []api.Option
	if o.Meter {
		var err error
		if m, err = meter.ForHost(context.Background(), h, log); err != nil {
			t.Fatal(err)
		}
		opts = append(opts, api.WithMeter(m))
	}
	h.Start()
	srv := httptest.NewServer(api.New(h, log, opts...))
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		h.Close(ctx)
		srv.Close()
		if m != nil {
			m.Close()
		}
	})
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if !h.WaitReady(ctx) {
		for _, p := range h.Plugins() {
			t.Logf("plugin %s: %+v", p.Name(), p.Status())
		}
		t.Fatal("plugins not ready")
	}
	return &Host{Host: h, URL: srv.URL, DataDir: cfg.DataDir, Server: srv, Meter: m}
}

func logSink(t testing.TB) io.Writer {
	if testing.Verbose() {
		return os.Stderr
	}
	return io.Discard
}

// Logger logs to stderr under -v, nowhere otherwise.
func Logger(t testing.TB) *slog.Logger {
	if testing.Verbose() {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}
