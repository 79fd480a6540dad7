package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sync"
	"time"

	"github.com/roundhouse-ai/roundhouse/sdk"
)

// engineSpec is what a supervisor runs: `<exe> serve` with env, answering
// at base.
type engineSpec struct {
	exe          string
	env          []string
	dir          string
	base         *url.URL
	logPath      string
	pidFile      string
	startTimeout time.Duration
}

type engineState string

const (
	stateStarting   engineState = "starting"
	stateRunning    engineState = "running"
	stateRestarting engineState = "restarting" // waiting out the backoff after a crash
	stateFailed     engineState = "failed"     // gave up; the next call that needs the engine tries again
	stateStopped    engineState = "stopped"
)

// Restart policy of the watchdog. Variables so tests can shorten them.
var (
	restartBackoffMin = 500 * time.Millisecond
	restartBackoffMax = 30 * time.Second
	stableRunReset    = time.Minute // a run this long resets the backoff
	maxStartFailures  = 5           // consecutive failed restarts before giving up
	stopGrace         = 5 * time.Second
	probeInterval     = 100 * time.Millisecond
)

// supervisor runs one managed engine: it starts `ollama serve`, waits
// until it answers, and restarts it with capped exponential backoff when
// it dies without being asked to. It lives until Stop, or until it gives
// up (the first start failed, or restarts kept failing).
type supervisor struct {
	spec     engineSpec
	stopCh   chan struct{}
	stopOnce sync.Once
	done     chan struct{}

	mu       sync.Mutex
	state    engineState
	proc     *engineProc
	restarts int
	lastErr  string
	err      *sdk.Error // why it gave up
	changed  chan struct{}
	grace    time.Duration
}

// engineProc is one incarnation of the engine process.
type engineProc struct {
	cmd      *exec.Cmd
	pid      int
	startID  string
	exited   chan struct{}
	waitErr  error
	logStart int64
}

func startSupervisor(spec engineSpec) *supervisor {
	s := &supervisor{
		spec:    spec,
		stopCh:  make(chan struct{}),
		done:    make(chan struct{}),
		state:   stateStarting,
		changed: make(chan struct{}),
		grace:   stopGrace,
	}
	go s.run()
	return s
}

// setLocked records a state change and wakes everyone waiting on one.
func (s *supervisor) setLocked(st engineState) {
	s.state = st
	close(s.changed)
	s.changed = make(chan struct{})
}

func (s *supervisor) set(st engineState) {
	s.mu.Lock()
	s.setLocked(st)
	s.mu.Unlock()
}

func (s *supervisor) stopping() bool {
	select {
	case <-s.stopCh:
		return true
	default:
		return false
	}
}

func (s *supervisor) run() {
	defer close(s.done)
	backoff := restartBackoffMin
	failures := 0
	first := true
	for {
		p, err := s.spawn()
		if err == nil {
			s.mu.Lock()
			s.proc = p // known while it starts, so status shows it and Stop can kill it
			s.mu.Unlock()
			err = s.waitReady(p)
		}
		if err != nil {
			if p != nil {
				s.terminate(p, 0)
				s.mu.Lock()
				s.proc = nil
				s.mu.Unlock()
			}
			if s.stopping() {
				s.finish(stateStopped, nil)
				return
			}
			failures++
			if first || failures >= maxStartFailures {
				msg := err.Error()
				if !first {
					msg = fmt.Sprintf("gave up after %d failed restarts: %s", failures, msg)
				}
				s.finish(stateFailed, &sdk.Error{Code: sdk.CodeEngineStartFailed, Err: err, Retryable: !first,
					Message: "could not start ollama: " + msg + "; full log: " + s.spec.logPath})
				return
			}
			s.mu.Lock()
			s.lastErr = err.Error()
			s.setLocked(stateRestarting)
			s.mu.Unlock()
			slog.Warn("ollama engine restart failed", "error", err, "retry_in", backoff)
			if !s.sleep(backoff) {
				s.finish(stateStopped, nil)
				return
			}
			backoff = min(2*backoff, restartBackoffMax)
			continue
		}

		first = false
		started := time.Now()
		writePidFile(s.spec.pidFile, pidRecord{PID: p.pid, StartID: p.startID, Host: s.spec.base.Host, Exe: s.spec.exe})
		s.mu.Lock()
		s.setLocked(stateRunning)
		s.mu.Unlock()
		slog.Info("ollama engine running", "pid", p.pid, "host", s.spec.base.Host, "exe", s.spec.exe)

		select {
		case <-s.stopCh:
			s.mu.Lock()
			grace := s.grace
			s.mu.Unlock()
			s.terminate(p, grace)
			removePidFile(s.spec.pidFile, p.pid)
			s.finish(stateStopped, nil)
			return
		case <-p.exited:
		}

		// It died without being asked to: clean up what it left (runners
		// are in its process group) and start it again.
		_ = killTree(p.cmd.Process)
		if time.Since(started) >= stableRunReset {
			backoff, failures = restartBackoffMin, 0
		} else {
			failures++
		}
		why := fmt.Sprintf("ollama serve (pid %d) exited unexpectedly: %v%s", p.pid, p.waitErr, logTail(s.spec.logPath, p.logStart))
		if failures >= maxStartFailures {
			removePidFile(s.spec.pidFile, p.pid)
			s.mu.Lock()
			s.restarts++
			s.mu.Unlock()
			s.finish(stateFailed, &sdk.Error{Code: sdk.CodeEngineStartFailed, Retryable: true,
				Message: fmt.Sprintf("ollama keeps crashing (%d times in a row), so the watchdog gave up: %s; full log: %s", failures, why, s.spec.logPath)})
			return
		}
		s.mu.Lock()
		s.proc = nil
		s.restarts++
		s.lastErr = why
		n := s.restarts
		s.setLocked(stateRestarting)
		s.mu.Unlock()
		slog.Warn("ollama engine died; restarting", "reason", why, "restarts", n, "retry_in", backoff)
		if !s.sleep(backoff) {
			removePidFile(s.spec.pidFile, p.pid)
			s.finish(stateStopped, nil)
			return
		}
		backoff = min(2*backoff, restartBackoffMax)
		s.set(stateStarting)
	}
}

func (s *supervisor) finish(st engineState, err *sdk.Error) {
	s.mu.Lock()
	s.proc = nil
	s.err = err
	if err != nil {
		s.lastErr = err.Message
	}
	s.setLocked(st)
	s.mu.Unlock()
}

// sleep waits d, or returns false early when Stop is called.
func (s *supervisor) sleep(d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-s.stopCh:
		return false
	}
}

// spawn starts `ollama serve`. The goroutine that starts the child stays
// locked to its OS thread until the child exits: on Linux the child's
// parent-death signal is tied to that thread (see engineSysProcAttr).
// Output goes straight to a log file, not through a pipe, so a runner
// that outlives the leader cannot hold Wait open.
func (s *supervisor) spawn() (*engineProc, error) {
	logf, offset, err := openEngineLog(s.spec.logPath)
	if err != nil {
		return nil, err
	}
	p := &engineProc{exited: make(chan struct{}), logStart: offset}
	started := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		cmd := exec.Command(s.spec.exe, "serve")
		cmd.Env = s.spec.env
		cmd.Dir = s.spec.dir
		cmd.Stdout = logf
		cmd.Stderr = logf
		cmd.SysProcAttr = engineSysProcAttr()
		err := cmd.Start()
		logf.Close()
		if err != nil {
			started <- err
			return
		}
		p.cmd, p.pid = cmd, cmd.Process.Pid
		started <- nil
		p.waitErr = cmd.Wait()
		close(p.exited)
	}()
	if err := <-started; err != nil {
		return nil, fmt.Errorf("start %s serve: %w", s.spec.exe, err)
	}
	p.startID, _ = processStartID(p.pid)
	return p, nil
}

// waitReady polls /api/version until the new process answers, it exits,
// Stop is called, or the start timeout passes.
func (s *supervisor) waitReady(p *engineProc) error {
	deadline := time.Now().Add(s.spec.startTimeout)
	t := time.NewTicker(probeInterval)
	defer t.Stop()
	for {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		_, err := probeVersion(ctx, s.spec.base)
		cancel()
		if err == nil {
			select {
			case <-p.exited: // answered, but not us: someone else holds the port
			default:
				return nil
			}
		}
		select {
		case <-p.exited:
			return fmt.Errorf("ollama serve exited during start (%v)%s", p.waitErr, logTail(s.spec.logPath, p.logStart))
		case <-s.stopCh:
			return errors.New("stopped while starting")
		case <-t.C:
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("ollama serve did not answer at %s within %s%s (raise settings.start_timeout if the machine is slow)",
				s.spec.base.Host, s.spec.startTimeout, logTail(s.spec.logPath, p.logStart))
		}
	}
}

// terminate asks the engine's process group to stop, waits up to grace,
// then kills whatever is left of the group.
func (s *supervisor) terminate(p *engineProc, grace time.Duration) {
	if grace > 0 {
		_ = terminateTree(p.cmd.Process)
		t := time.NewTimer(grace)
		select {
		case <-p.exited:
		case <-t.C:
			slog.Warn("ollama engine did not stop in time; killing it", "pid", p.pid, "grace", grace)
		}
		t.Stop()
	}
	_ = killTree(p.cmd.Process)
	select {
	case <-p.exited:
	case <-time.After(5 * time.Second):
		slog.Error("ollama engine survived SIGKILL", "pid", p.pid)
	}
}

// Stop stops the engine and the watchdog. The grace period for a clean
// exit shrinks to fit ctx's deadline (the SDK gives Shutdown 1.5 s).
func (s *supervisor) Stop(ctx context.Context) error {
	grace := stopGrace
	if dl, ok := ctx.Deadline(); ok {
		grace = min(grace, max(time.Until(dl)-300*time.Millisecond, 0))
	}
	s.mu.Lock()
	s.grace = grace
	s.mu.Unlock()
	s.stopOnce.Do(func() { close(s.stopCh) })
	select {
	case <-s.done:
		return nil
	case <-ctx.Done():
		s.mu.Lock()
		p := s.proc
		s.mu.Unlock()
		if p != nil {
			_ = killTree(p.cmd.Process)
		}
		return ctx.Err()
	}
}

// finished reports whether the supervisor has ended (stopped or failed).
func (s *supervisor) finished() bool {
	select {
	case <-s.done:
		return true
	default:
		return false
	}
}

// waitRunning waits until the engine answers, the supervisor gives up, or
// ctx ends.
func (s *supervisor) waitRunning(ctx context.Context) error {
	for {
		s.mu.Lock()
		st, err, ch := s.state, s.err, s.changed
		s.mu.Unlock()
		switch st {
		case stateRunning:
			return nil
		case stateFailed:
			return err
		case stateStopped:
			return &sdk.Error{Code: sdk.CodeEngineUnavailable, Retryable: true,
				Message: "the managed ollama engine was stopped while this call waited for it; retry"}
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// supStatus is a snapshot for EngineStatus, Health and Info.
type supStatus struct {
	state    engineState
	pid      int
	restarts int
	lastErr  string
}

func (s *supervisor) status() supStatus {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := supStatus{state: s.state, restarts: s.restarts, lastErr: s.lastErr}
	if s.proc != nil {
		st.pid = s.proc.pid
	}
	return st
}

// pid returns the current engine process id, 0 when none runs.
func (s *supervisor) pid() int { return s.status().pid }

// openEngineLog opens the engine's log for appending, rotating it once it
// passes 20 MB, and returns the offset this run starts at.
func openEngineLog(path string) (*os.File, int64, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, 0, fmt.Errorf("create log dir: %w", err)
	}
	if st, err := os.Stat(path); err == nil && st.Size() > 20<<20 {
		_ = os.Rename(path, path+".1")
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, 0, fmt.Errorf("open engine log: %w", err)
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, 0, err
	}
	return f, st.Size(), nil
}
