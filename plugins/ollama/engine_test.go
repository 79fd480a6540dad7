//go:build unix

package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/roundhouse-ai/roundhouse/internal/proctest"
	"github.com/roundhouse-ai/roundhouse/sdk"
	"github.com/roundhouse-ai/roundhouse/sdk/engine"
)

// gone reports whether pid has exited (a zombie counts: it runs nothing).
func gone(pid int) bool { return !proctest.Alive(pid) }

var readPid = proctest.ReadPID

// shortRestarts makes the watchdog and stop grace fast for a test.
func shortRestarts(t *testing.T) {
	oldPolicy, oldGrace := restartPolicy, stopGrace
	restartPolicy, stopGrace = engine.RestartPolicy{InitialInterval: 50 * time.Millisecond}, 2*time.Second
	t.Cleanup(func() { restartPolicy, stopGrace = oldPolicy, oldGrace })
}

func managedFake(t *testing.T, extra map[string]any) (*plugin, string) {
	t.Helper()
	s := map[string]any{"engine_host": freeHost(t), "ollama_path": fakeEngineExe(t), "start_timeout": 20.0}
	for k, v := range extra {
		s[k] = v
	}
	p := testPlugin(t, s)
	return p, p.snapshot().set.modelsDir
}

func TestManagedLazyStartAndProcessGroup(t *testing.T) {
	shortRestarts(t)
	p, models := managedFake(t, nil)
	ctx := ctxT(t, 60*time.Second)

	// Configure started nothing, and Health says so: serving, as the
	// engine starts on demand.
	if p.snapshot().sup != nil {
		t.Fatal("Configure started the engine")
	}
	h, _ := p.Health(ctx)
	if h.State != sdk.HealthServing || !strings.Contains(h.Message, "first call") {
		t.Errorf("health before start = %+v", h)
	}
	es, err := p.EngineStatus(ctx)
	if err != nil || es.Running || !es.Installed || es.Version != "0.0.0-fake" || es.Mode != modeManaged {
		t.Errorf("status before start = %+v, %v", es, err)
	}

	// The first call that needs the engine starts it.
	if _, err := p.ListModels(ctx); err != nil {
		t.Fatal(err)
	}
	es, err = p.EngineStatus(ctx)
	if err != nil || !es.Running || es.PID == 0 || es.Mode != modeManaged {
		t.Fatalf("status after start = %+v, %v", es, err)
	}
	h, _ = p.Health(ctx)
	if h.State != sdk.HealthServing {
		t.Errorf("health = %+v", h)
	}
	info, _ := p.Info(ctx)
	if info.EngineMode != modeManaged || info.Details["engine_state"] != "running" {
		t.Errorf("info = %+v", info)
	}

	// The engine leads its own process group; its runner is in it.
	leader := es.PID
	runner := readPid(t, filepath.Join(models, "runner.pid"))
	proctest.CheckOwnGroup(t, leader, runner)

	// Stop ends the whole group (the fake leaves its runner behind on
	// SIGTERM, like a crash would).
	es, err = p.StopEngine(ctx)
	if err != nil || es.Running {
		t.Fatalf("StopEngine = %+v, %v", es, err)
	}
	eventually(t, 5*time.Second, "engine and runner gone", func() bool { return gone(leader) && gone(runner) })
	if _, err := os.Stat(filepath.Join(p.snapshot().set.dataDir, "engine.pid")); !os.IsNotExist(err) {
		t.Errorf("pid file left after a clean stop: %v", err)
	}

	// And the next call starts it again.
	if _, err := p.ListRunningModels(ctx); err != nil {
		t.Fatal(err)
	}
	es, _ = p.EngineStatus(ctx)
	if !es.Running || es.PID == leader {
		t.Errorf("restart after stop: %+v", es)
	}
}

func TestWatchdogRestartsKilledEngine(t *testing.T) {
	shortRestarts(t)
	p, models := managedFake(t, nil)
	ctx := ctxT(t, 60*time.Second)
	es, err := p.StartEngine(ctx)
	if err != nil {
		t.Fatal(err)
	}
	old := es.PID
	runner := readPid(t, filepath.Join(models, "runner.pid"))
	if err := syscall.Kill(old, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	eventually(t, 20*time.Second, "restart", func() bool {
		es, err = p.EngineStatus(ctx)
		return err == nil && es.Running && es.PID != 0 && es.PID != old && es.Restarts == 1
	})
	if !strings.Contains(es.LastError, "killed") {
		t.Errorf("last error = %q, want the reason", es.LastError)
	}
	// The dead engine's runner was cleaned up with its group.
	eventually(t, 5*time.Second, "old runner gone", func() bool { return gone(runner) })
	if _, err := p.ListModels(ctx); err != nil {
		t.Fatalf("after restart: %v", err)
	}
}

func TestStopKillsEngineIgnoringSIGTERM(t *testing.T) {
	shortRestarts(t)
	stopGrace = 300 * time.Millisecond
	p, _ := managedFake(t, map[string]any{"engine_env": map[string]any{"FAKE_OLLAMA_IGNORE_TERM": "1"}})
	ctx := ctxT(t, 60*time.Second)
	es, err := p.StartEngine(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Now()
	if _, err := p.StopEngine(ctx); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(t0); d > 5*time.Second {
		t.Errorf("stop took %v", d)
	}
	eventually(t, 5*time.Second, "engine gone", func() bool { return gone(es.PID) })
}

func TestShutdownStopsManagedEngine(t *testing.T) {
	shortRestarts(t)
	p, _ := managedFake(t, nil)
	es, err := p.StartEngine(ctxT(t, 60*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 1500*time.Millisecond) // what Serve gives
	defer cancel()
	if err := p.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	eventually(t, 3*time.Second, "engine gone", func() bool { return gone(es.PID) })
}

func TestStartFailureIsReported(t *testing.T) {
	shortRestarts(t)
	p, _ := managedFake(t, map[string]any{"engine_env": map[string]any{"FAKE_OLLAMA_FAIL": "1"}})
	ctx := ctxT(t, 60*time.Second)
	_, err := p.StartEngine(ctx)
	e := wantCode(t, err, sdk.CodeEngineStartFailed)
	if !strings.Contains(e.Message, "address already in use") || !strings.Contains(e.Message, "ollama-serve.log") {
		t.Errorf("message does not show the engine's own error and log: %q", e.Message)
	}
	// Not a restart loop: the supervisor gave up; the next call tries again.
	if st := p.snapshot().sup.Status(); st.State != engine.StateFailed || st.Restarts != 0 {
		t.Errorf("supervisor = %+v", st)
	}
	_, err = p.Chat(ctx, &sdk.ChatRequest{Model: "tiny", Messages: []sdk.Message{{Role: "user", Content: "hi"}}})
	wantCode(t, err, sdk.CodeEngineStartFailed)
	h, _ := p.Health(ctx)
	if h.State != sdk.HealthNotServing || !strings.Contains(h.Message, "address already in use") {
		t.Errorf("health = %+v", h)
	}
}

func TestReconfigureRestartsEngine(t *testing.T) {
	shortRestarts(t)
	p, _ := managedFake(t, nil)
	ctx := ctxT(t, 60*time.Second)
	es, err := p.StartEngine(ctx)
	if err != nil {
		t.Fatal(err)
	}
	st := p.snapshot().set
	newModels := filepath.Join(t.TempDir(), "models2")
	err = p.Configure(ctx, &sdk.Config{DataDir: st.dataDir, Settings: map[string]any{
		"engine_host": st.hostPort, "ollama_path": st.ollamaPath, "models_dir": newModels,
	}})
	if err != nil {
		t.Fatal(err)
	}
	eventually(t, 5*time.Second, "old engine gone", func() bool { return gone(es.PID) })
	if _, err := p.ListModels(ctx); err != nil {
		t.Fatal(err)
	}
	readPid(t, filepath.Join(newModels, "runner.pid")) // the new engine uses the new models dir
}

func TestNotInstalled(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	p := testPlugin(t, map[string]any{"engine_host": freeHost(t)})
	ctx := ctxT(t, 10*time.Second)
	_, err := p.StartEngine(ctx)
	e := wantCode(t, err, sdk.CodeEngineNotInstalled)
	if !strings.Contains(e.Message, "InstallEngine") {
		t.Errorf("message does not say how to install: %q", e.Message)
	}
	es, err := p.CheckEngine(ctx)
	if err != nil || es.Installed || es.LastError == "" {
		t.Errorf("CheckEngine = %+v, %v", es, err)
	}
	p2 := testPlugin(t, map[string]any{"engine_host": freeHost(t), "ollama_path": "/nonexistent/ollama"})
	_, err = p2.StartEngine(ctx)
	wantCode(t, err, sdk.CodeEngineNotInstalled)
}

// Attach mode: an Ollama that already answers is used, and never stopped,
// upgraded or replaced.
func TestAttachAutoNeverTouchesEngine(t *testing.T) {
	f := newFakeOllama(t)
	p := testPlugin(t, map[string]any{"engine_host": f.host()}) // manage_engine: auto
	ctx := ctxT(t, 10*time.Second)
	info, err := p.Info(ctx)
	if err != nil || info.EngineMode != modeAttached {
		t.Fatalf("info = %+v, %v", info, err)
	}
	_, err = p.StopEngine(ctx)
	wantCode(t, err, sdk.CodeEngineNotManaged)
	wantCode(t, p.InstallEngine(ctx, &sdk.InstallEngineRequest{URL: "http://127.0.0.1:1/x.tgz", SHA256: strings.Repeat("a", 64)}, nil), sdk.CodeEngineNotManaged)
	wantCode(t, p.UpgradeEngine(ctx, &sdk.InstallEngineRequest{}, nil), sdk.CodeEngineNotManaged)
	es, err := p.StartEngine(ctx)
	if err != nil || !es.Running || es.Mode != modeAttached || es.PID != 0 {
		t.Errorf("StartEngine attached = %+v, %v", es, err)
	}
	if _, err := p.Chat(ctx, &sdk.ChatRequest{Model: "tiny", Messages: []sdk.Message{{Role: "user", Content: "hi"}}}); err != nil {
		t.Fatal(err)
	}
	if err := p.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := probeVersion(ctx, p.snapshot().set.baseURL); err != nil {
		t.Fatalf("the attached engine stopped answering after Shutdown: %v", err)
	}
	if p.snapshot().sup != nil {
		t.Error("a managed engine was started while attached")
	}
}

// manage_engine true never attaches: someone else's Ollama on the port is
// an error, not something to use or kill.
func TestManagedRefusesForeignEngine(t *testing.T) {
	f := newFakeOllama(t)
	p := testPlugin(t, map[string]any{"engine_host": f.host(), "manage_engine": "true", "ollama_path": fakeEngineExe(t)})
	_, err := p.StartEngine(ctxT(t, 10*time.Second))
	e := wantCode(t, err, sdk.CodeEngineStartFailed)
	if !strings.Contains(e.Message, "another Ollama") {
		t.Errorf("message = %q", e.Message)
	}
}

// An engine a crashed plugin process left behind is recognised by the pid
// file (pid + start time) and replaced, not attached to.
func TestLeftoverEngineIsReaped(t *testing.T) {
	if engine.RecordProcess(os.Getpid(), "", "").StartID == "" {
		t.Skip("process identity not available here")
	}
	shortRestarts(t)
	exe := fakeEngineExe(t)
	host := freeHost(t)
	p := testPlugin(t, map[string]any{"engine_host": host, "ollama_path": exe})
	st := p.snapshot().set

	// A previous plugin's engine, still running.
	models := t.TempDir()
	cmd := exec.Command(exe, "serve")
	cmd.Env = append(os.Environ(), "OLLAMA_HOST=http://"+host, "OLLAMA_MODELS="+models)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go cmd.Wait()
	t.Cleanup(func() { syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) })
	ctx := ctxT(t, 30*time.Second)
	eventually(t, 10*time.Second, "leftover engine up", func() bool { _, err := probeVersion(ctx, st.baseURL); return err == nil })
	if err := engine.WritePIDFile(pidFilePath(st), engine.RecordProcess(cmd.Process.Pid, host, exe)); err != nil {
		t.Fatal(err)
	}

	es, err := p.StartEngine(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if es.Mode != modeManaged || es.PID == cmd.Process.Pid {
		t.Fatalf("status = %+v, want a new managed engine", es)
	}
	eventually(t, 5*time.Second, "leftover gone", func() bool { return gone(cmd.Process.Pid) })

	// A pid file naming a process that is not the recorded incarnation is
	// ignored: that engine is someone else's.
	f := newFakeOllama(t)
	p2 := testPlugin(t, map[string]any{"engine_host": f.host()})
	if err := engine.WritePIDFile(pidFilePath(p2.snapshot().set), engine.PIDRecord{PID: os.Getpid(), StartID: "1", Addr: f.host()}); err != nil {
		t.Fatal(err)
	}
	if mode := p2.decideMode(ctx); mode != modeAttached {
		t.Errorf("mode = %s, want attached", mode)
	}
}

func TestHealthStartingWhileEngineStarts(t *testing.T) {
	shortRestarts(t)
	p, _ := managedFake(t, map[string]any{"engine_env": map[string]any{"FAKE_OLLAMA_DELAY": "1500ms"}})
	ctx := ctxT(t, 30*time.Second)
	done := make(chan error, 1)
	go func() { _, err := p.StartEngine(ctx); done <- err }()
	// While the (slow) engine starts: health says starting, the status
	// has a pid but is not running yet. The pid appears a moment after the
	// state turns to starting, so wait for both.
	eventually(t, 5*time.Second, "health starting with an engine pid", func() bool {
		h, _ := p.Health(ctx)
		es, _ := p.EngineStatus(ctx)
		return h.State == sdk.HealthStarting && es != nil && es.PID != 0
	})
	if es, _ := p.EngineStatus(ctx); es.Running {
		t.Errorf("status while starting = %+v", es)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if h, _ := p.Health(ctx); h.State != sdk.HealthServing {
		t.Errorf("health after start = %+v", h)
	}
}
