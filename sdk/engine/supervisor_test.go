//go:build unix

package engine

import (
	"context"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/roundhouse-ai/roundhouse/internal/proctest"
	"github.com/roundhouse-ai/roundhouse/types"
)

// freeAddr returns a 127.0.0.1 address nothing listens on (right now).
func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// probeClient keeps no idle connections, so no goroutine outlives a test.
var probeClient = &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}

func httpProbe(addr string) func(ctx context.Context) error {
	return func(ctx context.Context) error {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+addr+"/ready", nil)
		if err != nil {
			return err
		}
		resp, err := probeClient.Do(req)
		if err != nil {
			return err
		}
		resp.Body.Close()
		return nil
	}
}

// helperSpec runs the test binary as the tiny engine in mode.
func helperSpec(t *testing.T, mode string) (Spec, string) {
	t.Helper()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	addr := freeAddr(t)
	return Spec{
		Name:         "helper",
		Exe:          self,
		Args:         []string{mode, dir, addr},
		Env:          append(os.Environ(), helperEnv+"=1"),
		Addr:         addr,
		Probe:        httpProbe(addr),
		StartTimeout: 20 * time.Second,
		StopGrace:    2 * time.Second,
		LogPath:      filepath.Join(dir, "logs", "helper.log"),
		PIDFile:      filepath.Join(dir, "engine.pid"),
		Restart:      RestartPolicy{InitialInterval: 20 * time.Millisecond, MaxInterval: 100 * time.Millisecond},
		Logger:       quiet,
	}, dir
}

func start(t *testing.T, spec Spec) *Supervisor {
	t.Helper()
	s, err := Start(spec)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := s.Stop(ctx); err != nil {
			t.Errorf("Stop: %v", err)
		}
	})
	return s
}

func ctxT(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

var (
	eventually = proctest.Eventually
	readPid    = proctest.ReadPID
)

func gone(pid int) bool { return !proctest.Alive(pid) }

// The engine leads its own process group, its helpers belong to it, and
// Stop ends all of them even though the leader leaves its child behind.
func TestSupervisorProcessGroupStop(t *testing.T) {
	spec, dir := helperSpec(t, "serve")
	out, err := os.Create(filepath.Join(t.TempDir(), "output"))
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	spec.Output = out // any io.Writer; a file is simply safe to read back
	s := start(t, spec)
	if err := s.WaitReady(ctxT(t, 30*time.Second)); err != nil {
		t.Fatal(err)
	}
	st := s.Status()
	if st.State != StateRunning || st.PID == 0 || st.Restarts != 0 {
		t.Fatalf("status = %+v", st)
	}
	leader, child := st.PID, readPid(t, filepath.Join(dir, "child.pid"))
	proctest.CheckOwnGroup(t, leader, child)
	rec, ok := ReadPIDFile(spec.PIDFile)
	if !ok || rec.PID != leader || rec.Addr != spec.Addr || rec.Exe != spec.Exe {
		t.Errorf("pid file = %+v, %v", rec, ok)
	}

	if err := s.Stop(ctxT(t, 10*time.Second)); err != nil {
		t.Fatal(err)
	}
	eventually(t, 5*time.Second, "engine and child gone", func() bool { return gone(leader) && gone(child) })
	if _, err := os.Stat(spec.PIDFile); !os.IsNotExist(err) {
		t.Errorf("pid file left after a clean stop: %v", err)
	}
	if st := s.Status(); st.State != StateStopped || st.PID != 0 || !s.Finished() {
		t.Errorf("status after stop = %+v", st)
	}
	// Output went both to the writer and the log file.
	if b, _ := os.ReadFile(out.Name()); !strings.Contains(string(b), "helper: listening on "+spec.Addr) {
		t.Errorf("output = %q", b)
	}
	if b, _ := os.ReadFile(spec.LogPath); !strings.Contains(string(b), "helper: listening") {
		t.Errorf("log = %q", b)
	}
	wantCode(t, s.WaitReady(context.Background()), types.CodeEngineUnavailable)
}

// A killed engine is restarted (after a backoff), and what it left in its
// group is cleaned up.
func TestSupervisorRestartsKilledEngine(t *testing.T) {
	spec, dir := helperSpec(t, "serve")
	s := start(t, spec)
	ctx := ctxT(t, 30*time.Second)
	if err := s.WaitReady(ctx); err != nil {
		t.Fatal(err)
	}
	old := s.Status().PID
	child := readPid(t, filepath.Join(dir, "child.pid"))
	os.Remove(filepath.Join(dir, "child.pid"))
	if err := syscall.Kill(old, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	var st Status
	eventually(t, 20*time.Second, "restart", func() bool {
		st = s.Status()
		return st.State == StateRunning && st.PID != 0 && st.PID != old && st.Restarts == 1
	})
	if !strings.Contains(st.LastError, "killed") {
		t.Errorf("last error = %q, want the reason", st.LastError)
	}
	eventually(t, 5*time.Second, "old child gone", func() bool { return gone(child) })
	if rec, _ := ReadPIDFile(spec.PIDFile); rec.PID != st.PID {
		t.Errorf("pid file names %d, want the new engine %d", rec.PID, st.PID)
	}
	readPid(t, filepath.Join(dir, "child.pid")) // the new engine runs its own child
}

// The first start failing is reported at once, with the engine's own
// words and the log's path, and is not retried.
func TestSupervisorFirstStartFailure(t *testing.T) {
	spec, dir := helperSpec(t, "crash")
	s := start(t, spec)
	err := s.WaitReady(ctxT(t, 30*time.Second))
	e := wantCode(t, err, types.CodeEngineStartFailed)
	if !strings.Contains(e.Message, "out of widgets") || !strings.Contains(e.Message, spec.LogPath) {
		t.Errorf("message = %q", e.Message)
	}
	<-s.Done()
	if st := s.Status(); st.State != StateFailed || st.Restarts != 0 {
		t.Errorf("status = %+v", st)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "crashes")); string(b) != "x" {
		t.Errorf("started %d times, want once", len(b))
	}
	if s.Err() == nil {
		t.Error("Err() = nil after giving up")
	}
}

// An engine that keeps dying is restarted with backoff until MaxFailures,
// then the supervisor gives up with a retryable error.
func TestSupervisorGivesUpAfterRepeatedCrashes(t *testing.T) {
	spec, dir := helperSpec(t, "serve")
	spec.Restart.MaxFailures = 3
	// Each incarnation is killed as soon as it runs; the restarts that
	// follow fail the same way.
	s := start(t, spec)
	ctx := ctxT(t, 60*time.Second)
	killed := map[int]bool{}
	for !s.Finished() {
		st := s.Status()
		if st.State == StateRunning && st.PID != 0 && !killed[st.PID] {
			killed[st.PID] = true
			syscall.Kill(st.PID, syscall.SIGKILL)
		}
		select {
		case <-s.Done():
		case <-ctx.Done():
			t.Fatal("the supervisor never gave up")
		case <-time.After(10 * time.Millisecond):
		}
	}
	e := wantCode(t, s.Err(), types.CodeEngineStartFailed)
	if !e.Retryable || !strings.Contains(e.Message, "keeps crashing (3 times in a row)") {
		t.Errorf("error = %+v", e)
	}
	if st := s.Status(); st.State != StateFailed || st.Restarts != 3 || len(killed) != 3 {
		t.Errorf("status = %+v, killed %d", st, len(killed))
	}
	_ = dir
}

// An engine that ignores SIGTERM is killed after the grace period.
func TestSupervisorKillsStubbornEngine(t *testing.T) {
	spec, dir := helperSpec(t, "stubborn")
	spec.StopGrace = 200 * time.Millisecond
	s := start(t, spec)
	if err := s.WaitReady(ctxT(t, 30*time.Second)); err != nil {
		t.Fatal(err)
	}
	pid, child := s.Status().PID, readPid(t, filepath.Join(dir, "child.pid"))
	if err := s.Stop(ctxT(t, 10*time.Second)); err != nil {
		t.Fatal(err)
	}
	eventually(t, 5*time.Second, "engine and child gone", func() bool { return gone(pid) && gone(child) })
}

// A hung engine (alive, not answering) is killed and restarted when
// health probing is on.
func TestSupervisorRestartsHungEngine(t *testing.T) {
	spec, _ := helperSpec(t, "serve")
	var hung sync.Mutex
	hang := false
	probe := spec.Probe
	spec.Probe = func(ctx context.Context) error {
		hung.Lock()
		h := hang
		hung.Unlock()
		if h {
			return context.DeadlineExceeded
		}
		return probe(ctx)
	}
	spec.HealthInterval, spec.HealthFailures = 20*time.Millisecond, 2
	s := start(t, spec)
	if err := s.WaitReady(ctxT(t, 30*time.Second)); err != nil {
		t.Fatal(err)
	}
	old := s.Status().PID
	hung.Lock()
	hang = true
	hung.Unlock()
	eventually(t, 10*time.Second, "hung engine killed", func() bool { return gone(old) })
	hung.Lock()
	hang = false
	hung.Unlock()
	eventually(t, 20*time.Second, "restart", func() bool {
		st := s.Status()
		return st.State == StateRunning && st.PID != old && st.Restarts == 1 && strings.Contains(st.LastError, "health probes")
	})
}

// Only the engine the pid file proves to be ours is reaped.
func TestReapLeftover(t *testing.T) {
	if _, err := processStartID(os.Getpid()); err != nil {
		t.Skip("process identity not available here:", err)
	}
	spec, dir := helperSpec(t, "serve")
	s := start(t, spec)
	if err := s.WaitReady(ctxT(t, 30*time.Second)); err != nil {
		t.Fatal(err)
	}
	pid, child := s.Status().PID, readPid(t, filepath.Join(dir, "child.pid"))
	rec, ok := ReadPIDFile(spec.PIDFile)
	if !ok || rec.Image == "" || rec.StartID == "" {
		t.Fatalf("pid file = %+v", rec)
	}
	ctx := ctxT(t, 30*time.Second)

	// Records that do not prove the process is ours reap nothing.
	for name, mutate := range map[string]func(r *PIDRecord){
		"other start time": func(r *PIDRecord) { r.StartID = "1" },
		"other image":      func(r *PIDRecord) { r.Image = "/usr/bin/other" },
		"other addr":       func(r *PIDRecord) { r.Addr = "127.0.0.1:1" },
		"no start time":    func(r *PIDRecord) { r.StartID = "" },
	} {
		r := rec
		mutate(&r)
		path := filepath.Join(t.TempDir(), "engine.pid")
		if err := WritePIDFile(path, r); err != nil {
			t.Fatal(err)
		}
		if _, reaped, err := ReapLeftover(ctx, path, spec.Addr, time.Second); reaped || err != nil {
			t.Errorf("%s: reaped = %v, %v", name, reaped, err)
		}
		if gone(pid) {
			t.Fatalf("%s: the engine was stopped", name)
		}
	}
	if _, reaped, _ := ReapLeftover(ctx, filepath.Join(dir, "missing.pid"), spec.Addr, time.Second); reaped {
		t.Error("reaped without a pid file")
	}

	// The true record: the engine and its group are stopped, the pid file
	// removed. (Here the supervisor then restarts it, as it would any
	// engine that died unasked.)
	got, reaped, err := ReapLeftover(ctx, spec.PIDFile, spec.Addr, time.Second)
	if err != nil || !reaped || got.PID != pid {
		t.Fatalf("ReapLeftover = %+v, %v, %v", got, reaped, err)
	}
	eventually(t, 5*time.Second, "leftover and its child gone", func() bool { return gone(pid) && gone(child) })
}

func TestStartRejectsIncompleteSpec(t *testing.T) {
	if _, err := Start(Spec{Probe: func(context.Context) error { return nil }}); err == nil {
		t.Error("Start without Exe")
	}
	if _, err := Start(Spec{Exe: "/bin/true"}); err == nil {
		t.Error("Start without Probe")
	}
}

// Cancelling a Command's context kills its whole process group.
func TestCommandCancelKillsGroup(t *testing.T) {
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	cmd := Command(ctx, self, "stubborn", dir, freeAddr(t))
	cmd.Env = append(os.Environ(), helperEnv+"=1")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	child := readPid(t, filepath.Join(dir, "child.pid"))
	proctest.CheckOwnGroup(t, cmd.Process.Pid, child)
	cancel()
	if err := <-done; err == nil {
		t.Error("Wait = nil after cancel")
	}
	eventually(t, 5*time.Second, "child gone", func() bool { return gone(child) })
}
