//go:build linux

package main

import (
	"context"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/roundhouse-ai/roundhouse/internal/testbed"
	"github.com/roundhouse-ai/roundhouse/sdk"
	"github.com/roundhouse-ai/roundhouse/sdk/manifest"
	"github.com/roundhouse-ai/roundhouse/sdk/pluginhost"
)

// TestHostLaunch runs the built plugin binary the way the host does (its
// directory with plugin.yaml, pluginhost.Launch, Configure over gRPC), drives the
// engine and model RPCs, and checks that killing the plugin takes its
// managed engine down.
func TestHostLaunch(t *testing.T) {
	bin := requireBed(t)
	bed := testbed.NewBed(t)
	path, m := buildPlugin(t)
	ctx := ctxT(t, 5*time.Minute)
	proc := launchPlugin(t, ctx, path)
	defer proc.Kill()
	conn := proc.Conn()
	host := freeHost(t)
	dataDir := t.TempDir()
	err := conn.Configure(ctx, &sdk.Config{DataDir: dataDir, Settings: map[string]any{
		"engine_host": host, "manage_engine": "auto", "ollama_path": bin, "engine_env": realEnv(t),
	}})
	if err != nil {
		t.Fatal(err)
	}
	err = conn.Configure(ctx, &sdk.Config{Settings: map[string]any{"manage_engine": "sometimes"}})
	if e := sdk.AsError(err); e == nil || e.Field != "settings.manage_engine" {
		t.Errorf("bad setting over gRPC: %v", err)
	}
	// Idle: serving, as the managed engine starts on the first call.
	if h, err := conn.Health(ctx); err != nil || h.State != sdk.HealthServing || !strings.Contains(h.Message, "first call") {
		t.Errorf("health before the first call = %+v, %v", h, err)
	}
	es, err := conn.StartEngine(ctx)
	if err != nil || !es.Running || es.Mode != modeManaged || es.PID == 0 {
		t.Fatalf("StartEngine = %+v, %v", es, err)
	}
	var events int
	if err := conn.PullModel(ctx, &sdk.PullRequest{Model: bed.Ref("tiny"), Insecure: true}, func(*sdk.Progress) error { events++; return nil }); err != nil {
		t.Fatal(err)
	}
	var chunks int
	err = conn.ChatStream(ctx, &sdk.ChatRequest{Model: bed.Ref("tiny"), Messages: []sdk.Message{{Role: "user", Content: "hi"}},
		Options: &sdk.Options{MaxTokens: ptr(8)}}, func(*sdk.ChatChunk) error { chunks++; return nil })
	if err != nil || chunks < 2 {
		t.Fatalf("ChatStream: %d chunks, %v", chunks, err)
	}
	_, err = conn.ShowModel(ctx, "../../etc/passwd")
	if e := sdk.AsError(err); e == nil || e.Code != sdk.CodeModelInvalidName || e.Field != "model" {
		t.Errorf("invalid name over gRPC: %+v", e)
	}
	info, err := conn.Info(ctx)
	if err != nil || info.EngineMode != modeManaged || info.EngineHost != host || info.Version != m.Provider.Version {
		t.Errorf("Info = %+v, %v", info, err)
	}
	t.Logf("pull: %d progress events, chat: %d chunks", events, chunks)

	proc.Kill()
	eventually(t, 10*time.Second, "engine gone with the plugin", func() bool { return len(groupMembers(es.PID)) == 0 })
	_, base, _ := parseEngineHost(host)
	if _, err := probeVersion(context.Background(), base); err == nil {
		t.Error("the engine still answers after the plugin stopped")
	}
}

// A plugin killed outright (no Shutdown) must not leave its engine
// running: the engine's parent-death signal ends it.
func TestPluginCrashTakesEngineDown(t *testing.T) {
	bin := requireBed(t)
	path, _ := buildPlugin(t)
	ctx := ctxT(t, 2*time.Minute)
	proc := launchPlugin(t, ctx, path)
	defer proc.Kill()
	err := proc.Conn().Configure(ctx, &sdk.Config{DataDir: t.TempDir(), Settings: map[string]any{
		"engine_host": freeHost(t), "ollama_path": bin, "engine_env": realEnv(t),
	}})
	if err != nil {
		t.Fatal(err)
	}
	// Let the plugin's Go runtime shuffle threads for a while first: the
	// death signal must follow the process, not the thread that forked.
	es, err := proc.Conn().StartEngine(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for range 20 {
		proc.Conn().Health(ctx)
		proc.Conn().ListModels(ctx)
	}
	if err := syscall.Kill(proc.Pid(), syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	eventually(t, 15*time.Second, "engine gone after the plugin was killed", func() bool { return len(groupMembers(es.PID)) == 0 })
}

// buildPlugin builds the plugin into a directory laid out as the host
// expects (binary + plugin.yaml) and returns the executable and manifest.
func buildPlugin(t *testing.T) (string, *manifest.Manifest) {
	t.Helper()
	dir := t.TempDir()
	exe := filepath.Join(dir, "roundhouse-plugin-ollama")
	if out, err := exec.Command("go", "build", "-o", exe, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	yaml, err := os.ReadFile("plugin.yaml")
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "plugin.yaml"), yaml, 0o644)
	m, err := manifest.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Validate("linux", "amd64"); err != nil {
		t.Fatal(err)
	}
	path, err := m.ExecutablePath("linux", "amd64")
	if err != nil {
		t.Fatal(err)
	}

	return path, m
}

func launchPlugin(t *testing.T, ctx context.Context, path string) *pluginhost.Process {
	t.Helper()
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	if testing.Verbose() {
		logger = slog.Default()
	}
	proc, err := pluginhost.Launch(ctx, pluginhost.LaunchConfig{Name: "ollama", Executable: path, Dir: filepath.Dir(path), Logger: logger,
		Env: []string{"PATH=/usr/bin:/bin", "HOME=" + t.TempDir()}})
	if err != nil {
		t.Fatal(err)
	}
	return proc
}
