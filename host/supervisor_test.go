//go:build unix

package host

import (
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/roundhouse-ai/roundhouse/host/backend"
	"github.com/roundhouse-ai/roundhouse/host/config"
	"github.com/roundhouse-ai/roundhouse/internal/proctest"
	"github.com/roundhouse-ai/roundhouse/internal/testplugin"
	"github.com/roundhouse-ai/roundhouse/sdk"
	"github.com/roundhouse-ai/roundhouse/sdk/manifest"
)

// newTestHost starts a host whose plugin root holds the test plugin
// (this test binary, re-executed).
func newTestHost(t *testing.T, mutate func(*config.Config)) *Host {
	t.Helper()
	root := t.TempDir()
	if _, err := testplugin.Manifest(root, "echo"); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load("")
	if err != nil {
		t.Fatal(err)
	}
	cfg.PluginDirs = []string{root}
	cfg.DataDir = t.TempDir()
	cfg.HealthInterval = 200 * time.Millisecond
	cfg.Plugins = map[string]config.PluginConfig{"echo": {
		Env:      map[string]string{testplugin.EnvServe: "echo"},
		Settings: map[string]any{"greeting": "hi"},
	}}
	if mutate != nil {
		mutate(cfg)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	if testing.Verbose() {
		log = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	h := New(cfg, log)
	h.Start()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		h.Close(ctx)
	})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if !h.WaitReady(ctx) {
		t.Fatalf("plugins not ready: %+v", h.Plugin("echo").Status())
	}
	return h
}

func chat(t *testing.T, h *Host, msg string) (*sdk.ChatResponse, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	return h.Router().Chat(ctx, backend.Route{}, &sdk.ChatRequest{Messages: []sdk.Message{{Role: "user", Content: msg}}})
}

func TestPluginRunsConfiguredWithoutHostSecrets(t *testing.T) {
	t.Setenv("RH_TEST_SECRET", "sk-must-not-leak")
	h := newTestHost(t, nil)
	resp, err := chat(t, h, "hello")
	if err != nil {
		t.Fatal(err)
	}
	if resp.Message.Content != "echo: hello" || resp.Model != "echo-1" {
		t.Fatalf("answer = %+v", resp)
	}
	st := h.Plugin("echo").Status()
	if st.State != string(StateRunning) || st.PID == 0 {
		t.Fatalf("status = %+v", st)
	}
	if st.Details["greeting"] != "hi" {
		t.Errorf("settings did not reach the plugin via Configure: %v", st.Details)
	}
	if st.Details["secret_seen"] != "false" {
		t.Errorf("the plugin saw a host environment secret: %v", st.Details)
	}
}

func TestSupervisorRestartsKilledPlugin(t *testing.T) {
	h := newTestHost(t, nil)
	p := h.Plugin("echo")
	pid := p.Status().PID
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(15 * time.Second)
	for {
		st := p.Status()
		if st.State == string(StateRunning) && st.PID != pid && st.PID != 0 {
			if st.Restarts != 1 {
				t.Errorf("restarts = %d, want 1", st.Restarts)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("plugin not restarted: %+v", st)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if _, err := chat(t, h, "after restart"); err != nil {
		t.Fatalf("call after restart: %v", err)
	}
	if proctest.Alive(pid) {
		t.Errorf("old plugin process %d still alive", pid)
	}
}

func TestCrashDuringCallIsACleanError(t *testing.T) {
	h := newTestHost(t, nil)
	_, err := chat(t, h, "CRASH")
	if code := sdk.ErrorCode(err); code != sdk.CodePluginCrashed && code != sdk.CodeServiceUnavailable {
		t.Fatalf("error = %v (code %v), want plugin_crashed", err, code)
	}
	// The next call waits for the restart and succeeds.
	if _, err := chat(t, h, "again"); err != nil {
		t.Fatalf("call after crash: %v", err)
	}
}

func TestPanicInPluginIsAnErrorNotACrash(t *testing.T) {
	h := newTestHost(t, nil)
	pid := h.Plugin("echo").Status().PID
	_, err := chat(t, h, "PANIC")
	if sdk.ErrorCode(err) != sdk.CodeInternal {
		t.Fatalf("error = %v, want internal", err)
	}
	if st := h.Plugin("echo").Status(); st.PID != pid || st.Restarts != 0 {
		t.Fatalf("plugin restarted after a panic: %+v", st)
	}
}

func TestStopLeavesNoProcess(t *testing.T) {
	h := newTestHost(t, nil)
	pid := h.Plugin("echo").Status().PID
	h.Plugin("echo").Stop()
	deadline := time.Now().Add(3 * time.Second)
	for proctest.Alive(pid) {
		if time.Now().After(deadline) {
			t.Fatalf("plugin %d alive after Stop", pid)
		}
		time.Sleep(20 * time.Millisecond)
	}
	// A stopped plugin starts again on demand.
	if _, err := chat(t, h, "lazy"); err != nil {
		t.Fatal(err)
	}
}

func TestLazyStart(t *testing.T) {
	h := newTestHost(t, func(c *config.Config) { c.Start = "lazy" })
	if _, err := chat(t, h, "first"); err != nil {
		t.Fatal(err)
	}
}

func TestRouterErrors(t *testing.T) {
	h := newTestHost(t, nil)
	ctx := context.Background()
	tests := []struct {
		name string
		rt   backend.Route
		req  *sdk.ChatRequest
		code sdk.Code
	}{
		{"remote policy has nobody", backend.Route{Policy: backend.PolicyRemote}, &sdk.ChatRequest{}, sdk.CodeServiceUnavailable},
		{"unknown plugin pin", backend.Route{Plugin: "nope"}, &sdk.ChatRequest{}, sdk.CodePluginNotFound},
		{"plugin error code travels", backend.Route{}, &sdk.ChatRequest{Model: "missing", Messages: []sdk.Message{{Role: "user", Content: "x"}}}, sdk.CodeModelNotFound},
		{"qualified model", backend.Route{}, &sdk.ChatRequest{Model: "echo/echo-2", Messages: []sdk.Message{{Role: "user", Content: "x"}}}, sdk.CodeOK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := h.Router().Chat(ctx, tt.rt, tt.req)
			if got := sdk.ErrorCode(err); got != tt.code {
				t.Fatalf("code = %v (%v), want %v", got, err, tt.code)
			}
		})
	}
	if _, err := h.Router().Embed(ctx, backend.Route{}, &sdk.EmbedRequest{Input: []string{"a"}}); err != nil {
		t.Fatal(err)
	}
}

// A manifest sha256 that does not match the binary keeps the plugin from
// running, with an error that says so.
func TestChecksumMismatchRefused(t *testing.T) {
	root := t.TempDir()
	dir, err := testplugin.Manifest(root, "echo")
	if err != nil {
		t.Fatal(err)
	}
	m, err := manifest.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	key := manifest.PlatformKey(runtime.GOOS, runtime.GOARCH)
	pc := m.Platforms[key]
	pc.SHA256 = strings.Repeat("ab", 32)
	m.Platforms[key] = pc
	if err := manifest.Save(dir, m, "yaml"); err != nil {
		t.Fatal(err)
	}
	cfg, _ := config.Load("")
	cfg.PluginDirs, cfg.DataDir = []string{root}, t.TempDir()
	cfg.Plugins = map[string]config.PluginConfig{"echo": {Env: map[string]string{testplugin.EnvServe: "echo"}}}
	h := New(cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	defer h.Close(context.Background())
	h.Start()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, err = h.Plugin("echo").Conn(ctx)
	if sdk.ErrorCode(err) != sdk.CodePluginStartFailed || !strings.Contains(err.Error(), "checksum") {
		t.Fatalf("start with a wrong sha256: %v", err)
	}
}

// A missing platform dependency keeps the plugin from starting: state
// missing_dependency, last_error and the call's error name it and how to
// install it. Installing it is enough: the next call starts the plugin.
func TestMissingDependency(t *testing.T) {
	root := t.TempDir()
	dir, err := testplugin.Manifest(root, "echo")
	if err != nil {
		t.Fatal(err)
	}
	m, err := manifest.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	key := manifest.PlatformKey(runtime.GOOS, runtime.GOARCH)
	pc := m.Platforms[key]
	pc.Dependencies = []manifest.Dependency{
		{Command: "sh"},
		{Command: "roundhouse-test-tool", Install: "apt install roundhouse-test-tool"},
		{File: "models/voice.onnx", Install: "roundhouse-test-tool fetch voice"},
	}
	m.Platforms[key] = pc
	if err := manifest.Save(dir, m, "yaml"); err != nil {
		t.Fatal(err)
	}
	bin := t.TempDir()
	t.Setenv("PATH", os.Getenv("PATH")+string(os.PathListSeparator)+bin)
	cfg, _ := config.Load("")
	cfg.PluginDirs, cfg.DataDir, cfg.Start = []string{root}, t.TempDir(), "eager"
	cfg.Plugins = map[string]config.PluginConfig{"echo": {Env: map[string]string{testplugin.EnvServe: "echo"}}}
	h := New(cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	defer h.Close(context.Background())
	h.Start()
	p := h.Plugin("echo")

	st := p.Status()
	if st.State != string(StateMissingDependency) {
		t.Fatalf("state = %s (%s)", st.State, st.LastError)
	}
	for _, want := range []string{
		`command "roundhouse-test-tool" not found on PATH (install: apt install roundhouse-test-tool)`,
		`file models/voice.onnx does not exist (install: roundhouse-test-tool fetch voice)`,
	} {
		if !strings.Contains(st.LastError, want) {
			t.Errorf("last_error %q lacks %q", st.LastError, want)
		}
	}
	if len(st.Dependencies) != 3 || st.Dependencies[0].Kind != "command" || st.Dependencies[0].Found == "" ||
		st.Dependencies[1].Found != "" || st.Dependencies[1].Install == "" || st.Dependencies[2].Kind != "file" || st.Dependencies[2].Found != "" {
		t.Errorf("dependencies = %+v", st.Dependencies)
	}
	if st.GPU == nil || st.GPU.Using != "cpu" {
		t.Errorf("gpu = %+v (the test plugin declares no gpu_types)", st.GPU)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if _, err := p.Conn(ctx); sdk.ErrorCode(err) != sdk.CodePluginStartFailed || !strings.Contains(err.Error(), "roundhouse-test-tool") {
		t.Fatalf("call with a missing dependency: %v", err)
	}
	if _, err := chat(t, h, "hi"); err == nil || !strings.Contains(err.Error(), "apt install roundhouse-test-tool") {
		t.Fatalf("routed call: %v", err)
	}

	// Install both; no restart of the host needed.
	if err := os.WriteFile(filepath.Join(bin, "roundhouse-test-tool"), []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(dir, "models"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "models", "voice.onnx"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := p.Conn(ctx); err != nil {
		t.Fatalf("after installing: %v", err)
	}
	st = p.Status()
	if st.State != string(StateRunning) || st.LastError != "" || st.Dependencies[1].Found != filepath.Join(bin, "roundhouse-test-tool") {
		t.Fatalf("after installing: %+v", st)
	}
}

// A manifest that declares a service the plugin has no method for stops
// the plugin at start, naming the service, instead of failing the first
// call with "unimplemented"; the plugin is invalid, not restarted.
func TestManifestServiceNotImplementedFailsStart(t *testing.T) {
	root := t.TempDir()
	if _, err := testplugin.ManifestWith(root, "echo", func(m *manifest.Manifest) {
		m.Services = append(m.Services, manifest.ServiceSpec{ServiceName: sdk.ServiceTextToImage, DefaultModel: "echo-1"})
	}); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load("")
	if err != nil {
		t.Fatal(err)
	}
	cfg.PluginDirs = []string{root}
	cfg.DataDir = t.TempDir()
	cfg.Plugins = map[string]config.PluginConfig{"echo": {Env: map[string]string{testplugin.EnvServe: "echo"}}}
	h := New(cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	h.Start()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		h.Close(ctx)
	})
	const want = "manifest declares text-to-image but the plugin implements no TextToImage"
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	_, err = h.Plugin("echo").Conn(ctx)
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("Conn: %v, want an error saying %q", err, want)
	}
	st := h.Plugin("echo").Status()
	if st.State != string(StateInvalid) || !strings.Contains(st.LastError, want) || st.PID != 0 {
		t.Fatalf("status = %+v, want invalid with %q", st, want)
	}
	time.Sleep(300 * time.Millisecond) // no restart follows
	if st := h.Plugin("echo").Status(); st.State != string(StateInvalid) || st.Restarts != 0 {
		t.Fatalf("after a while: %+v", st)
	}
	// A call for a service it declares says why nobody serves it.
	_, err = chat(t, h, "hello")
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("chat: %v, want it to name the cause", err)
	}
}

func TestCheckImplemented(t *testing.T) {
	m := &manifest.Manifest{Services: []manifest.ServiceSpec{{ServiceName: sdk.ServiceChat}, {ServiceName: sdk.ServiceSpeechToText}}}
	if err := checkImplemented(m, &sdk.Info{}); err != nil {
		t.Errorf("unreported (older SDK): %v", err)
	}
	if err := checkImplemented(m, &sdk.Info{Implemented: []string{"chat", "speech-to-text", "embed"}}); err != nil {
		t.Errorf("all there: %v", err)
	}
	err := checkImplemented(m, &sdk.Info{Implemented: []string{}})
	for _, want := range []string{"manifest declares chat but the plugin implements neither Chat nor ChatStream",
		"manifest declares speech-to-text but the plugin implements neither SpeechToText nor SpeechToTextLive", "it implements no service"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("err = %v, want %q", err, want)
		}
	}
}

// Between the monitor seeing the process dead (proc set to nil) and the
// restart loop moving the state on, the plugin is still "running". A call
// in that window must wait, not dereference nil while holding the lock
// (which deadlocked the whole host under make soak).
func TestConnInTheExitWindowWaits(t *testing.T) {
	p := &Plugin{name: "x", state: StateRunning, log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	if _, err := p.Conn(ctx); sdk.ErrorCode(err) != sdk.CodeTimeout {
		t.Fatalf("Conn in the exit window: %v", err)
	}
	if err := p.Reconfigure(context.Background()); err != nil {
		t.Fatalf("Reconfigure in the exit window: %v", err)
	}
	_ = p.Status() // the lock is free again
}
