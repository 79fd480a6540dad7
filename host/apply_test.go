package host

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/roundhouse-ai/roundhouse/host/config"
	"github.com/roundhouse-ai/roundhouse/internal/testplugin"
	"github.com/roundhouse-ai/roundhouse/sdk"
	"github.com/roundhouse-ai/roundhouse/sdk/manifest"
)

// nextConfig is a copy of the host's config with edit applied, as a
// reload would produce it.
func nextConfig(h *Host, edit func(*config.Config)) *config.Config {
	c := h.Config().Clone()
	if edit != nil {
		edit(c)
	}
	return c
}

// A broken manifest keeps the running version serving, with the error
// recorded; fixing it (a new version) replaces the plugin.
func TestApplyKeepsLastGoodVersion(t *testing.T) {
	h := newTestHost(t, nil)
	ctx := context.Background()
	old := h.Plugin("echo")
	dir := old.cand.Dir
	if err := os.WriteFile(filepath.Join(dir, manifest.FileYAML), []byte("version: [broken"), 0o644); err != nil {
		t.Fatal(err)
	}
	rep := h.Apply(ctx, nextConfig(h, nil))
	if rep.Errors["echo"] == "" || len(rep.Restarted)+len(rep.Removed) != 0 {
		t.Fatalf("report: %+v", rep)
	}
	if h.Plugin("echo") != old || old.ReloadError() == "" {
		t.Fatalf("the running version was replaced or the error not recorded (%q)", old.ReloadError())
	}
	if _, err := chat(t, h, "still here"); err != nil {
		t.Fatalf("chat with the last good version: %v", err)
	}

	root := filepath.Dir(dir)
	if _, err := testplugin.ManifestWith(root, "echo", func(m *manifest.Manifest) { m.Provider.Version = "2.0.0" }); err != nil {
		t.Fatal(err)
	}
	rep = h.Apply(ctx, nextConfig(h, nil))
	if len(rep.Restarted) != 1 || rep.Restarted[0] != "echo" || len(rep.Errors) != 0 {
		t.Fatalf("report after the fix: %+v", rep)
	}
	p := h.Plugin("echo")
	if p == old || p.Status().Version != "2.0.0" || p.ReloadError() != "" {
		t.Fatalf("echo after the fix: %+v (same object %v)", p.Status(), p == old)
	}
	if _, err := chat(t, h, "new version"); err != nil {
		t.Fatalf("chat with the new version: %v", err)
	}
}

// Apply adds a plugin dir that appeared and removes one that went away;
// a settings change reconfigures without a restart.
func TestApplyAddsRemovesReconfigures(t *testing.T) {
	h := newTestHost(t, nil)
	ctx := context.Background()
	root := h.Config().PluginDirs[0]
	if _, err := testplugin.Manifest(root, "second"); err != nil {
		t.Fatal(err)
	}
	rep := h.Apply(ctx, nextConfig(h, func(c *config.Config) {
		c.Plugins["second"] = config.PluginConfig{Env: map[string]string{testplugin.EnvServe: "second"}}
	}))
	if len(rep.Added) != 1 || rep.Added[0] != "second" || h.Plugin("second") == nil {
		t.Fatalf("add: %+v", rep)
	}
	pid := h.Plugin("echo").Status().PID
	rep = h.Apply(ctx, nextConfig(h, func(c *config.Config) {
		pc := c.Plugins["echo"]
		pc.Settings = map[string]any{"greeting": "hello"}
		c.Plugins["echo"] = pc
	}))
	if len(rep.Reconfigured) != 1 || rep.Reconfigured[0] != "echo" || h.Plugin("echo").Status().PID != pid {
		t.Fatalf("reconfigure: %+v (pid %d → %d)", rep, pid, h.Plugin("echo").Status().PID)
	}
	if err := os.RemoveAll(filepath.Join(root, "second")); err != nil {
		t.Fatal(err)
	}
	rep = h.Apply(ctx, nextConfig(h, nil))
	if len(rep.Removed) != 1 || rep.Removed[0] != "second" || h.Plugin("second") != nil {
		t.Fatalf("remove: %+v", rep)
	}
	rep = h.Apply(ctx, nextConfig(h, func(c *config.Config) { c.Listen = "127.0.0.1:1" }))
	if len(rep.NeedsRestart) != 1 || rep.NeedsRestart[0] != "listen" {
		t.Fatalf("listen change: %+v", rep)
	}
}

// A reload whose config does not load changes nothing and says why.
func TestReloadBrokenConfigKeepsServing(t *testing.T) {
	h := newTestHost(t, nil)
	before := h.Config()
	h.SetLoader(func() (*config.Config, error) { return config.Load(filepath.Join(t.TempDir(), "missing.yaml")) })
	res := h.Reload(context.Background())
	if res.Error == "" || h.Config() != before || h.LastReload() == nil || h.LastReload().Error == "" {
		t.Fatalf("reload of a missing config: %+v", res)
	}
	if _, err := chat(t, h, "ok"); err != nil {
		t.Fatal(err)
	}
}

// The in-flight accounting drains: a call in flight holds Drain until it
// ends.
func TestDrainWaitsForInFlightCall(t *testing.T) {
	h := newTestHost(t, nil)
	p := h.Plugin("echo")
	conn, err := p.Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	started := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		slow := &sdk.ChatRequest{Model: "echo-1", Messages: []sdk.Message{{Role: "user", Content: "SLOW"}}}
		_ = conn.ChatStream(ctx, slow, func(*sdk.ChatChunk) error {
			select {
			case <-started:
			default:
				close(started)
			}
			return nil
		})
	}()
	<-started
	if n := p.InFlight(); n < 1 {
		t.Fatalf("in flight: %d, want the stream counted", n)
	}
	short, cancelShort := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancelShort()
	if p.Drain(short) {
		t.Fatal("Drain returned while a stream was in flight")
	}
	cancel()
	<-done
	if !p.Drain(context.Background()) || p.InFlight() != 0 {
		t.Fatalf("after the stream: in flight %d", p.InFlight())
	}
}

// plain_plugin_socket is a restart key: a reload that flips it reports it
// in needs_restart, and plugins the reload adds still use the setting the
// host started with.
func TestPlainSocketIsARestartKey(t *testing.T) {
	h := newTestHost(t, nil)
	root := h.Config().PluginDirs[0]
	if _, err := testplugin.Manifest(root, "later"); err != nil {
		t.Fatal(err)
	}
	next := *h.Config()
	next.PlainPluginSocket = true
	rep := h.Apply(context.Background(), &next)
	if !slices.Contains(rep.NeedsRestart, "plain_plugin_socket") || !slices.Contains(rep.Added, "later") {
		t.Fatalf("report %+v", rep)
	}
	if p := h.Plugin("later"); p == nil || p.plain {
		t.Fatal("a plugin added by the reload uses the new socket setting before a restart")
	}
}
