package engine

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/roundhouse-ai/roundhouse/types"
)

// State is where a supervised engine is in its life.
type State string

const (
	StateStarting   State = "starting"
	StateRunning    State = "running"
	StateRestarting State = "restarting" // waiting out the backoff after a crash
	StateFailed     State = "failed"     // gave up; see Supervisor.Err
	StateStopped    State = "stopped"
)

// Status is a snapshot of a supervised engine.
type Status struct {
	State State
	// PID is the engine's process id while one runs (also while it
	// starts), else 0.
	PID int
	// Restarts counts restarts after crashes since Start.
	Restarts int
	// LastError says why the engine last died or failed to start.
	LastError string
}

// Supervisor runs one engine process: it starts it, waits until its probe
// succeeds, and restarts it with backoff when it dies without being asked
// to. It lives until Stop, or until it gives up (the first start failed,
// or restarts kept failing): then Done is closed and Err says why.
type Supervisor struct {
	spec     Spec
	stopCh   chan struct{}
	stopOnce sync.Once
	done     chan struct{}

	mu       sync.Mutex
	state    State
	proc     *process
	restarts int
	lastErr  string
	err      *types.Error // why it gave up
	changed  chan struct{}
	grace    time.Duration
}

// Start starts supervising spec and returns at once; use WaitReady to wait
// for the engine. It fails only for an incomplete spec.
func Start(spec Spec) (*Supervisor, error) {
	spec, err := spec.withDefaults()
	if err != nil {
		return nil, err
	}
	s := &Supervisor{
		spec:    spec,
		stopCh:  make(chan struct{}),
		done:    make(chan struct{}),
		state:   StateStarting,
		changed: make(chan struct{}),
		grace:   spec.StopGrace,
	}
	go s.run()
	return s, nil
}

// Spec returns the spec the supervisor runs, with defaults filled in.
func (s *Supervisor) Spec() Spec { return s.spec }

// Done is closed when the supervisor has ended: stopped or given up.
func (s *Supervisor) Done() <-chan struct{} { return s.done }

// Finished reports whether Done is closed.
func (s *Supervisor) Finished() bool {
	select {
	case <-s.done:
		return true
	default:
		return false
	}
}

// Err is why the supervisor gave up (a *types.Error with
// CodeEngineStartFailed), or nil.
func (s *Supervisor) Err() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.err == nil {
		return nil
	}
	return s.err
}

// Status returns a snapshot.
func (s *Supervisor) Status() Status {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := Status{State: s.state, Restarts: s.restarts, LastError: s.lastErr}
	if s.proc != nil {
		st.PID = s.proc.pid
	}
	return st
}

// WaitReady waits until the engine answers its probe, the supervisor
// gives up (its error), it is stopped (CodeEngineUnavailable, retryable),
// or ctx ends.
func (s *Supervisor) WaitReady(ctx context.Context) error {
	for {
		s.mu.Lock()
		st, err, ch := s.state, s.err, s.changed
		s.mu.Unlock()
		switch st {
		case StateRunning:
			return nil
		case StateFailed:
			return err
		case StateStopped:
			return &types.Error{Code: types.CodeEngineUnavailable, Retryable: true,
				Message: "the managed " + s.spec.Name + " engine was stopped while this call waited for it; retry"}
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// Stop stops the engine (SIGTERM to its process group, SIGKILL after the
// grace period) and the supervisor. The grace shrinks to fit ctx's
// deadline. If ctx ends first, the group is killed at once and ctx's error
// returned.
func (s *Supervisor) Stop(ctx context.Context) error {
	grace := s.spec.StopGrace
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
			_ = killGroup(p.pid)
		}
		return ctx.Err()
	}
}

// setLocked records a state change and wakes everyone waiting on one.
func (s *Supervisor) setLocked(st State) {
	s.state = st
	close(s.changed)
	s.changed = make(chan struct{})
}

func (s *Supervisor) setProc(p *process) {
	s.mu.Lock()
	s.proc = p
	s.mu.Unlock()
}

func (s *Supervisor) stopping() bool {
	select {
	case <-s.stopCh:
		return true
	default:
		return false
	}
}

// sleep waits d, or returns false early when Stop is called.
func (s *Supervisor) sleep(d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-s.stopCh:
		return false
	}
}

func (s *Supervisor) finish(st State, err *types.Error) {
	s.mu.Lock()
	s.proc = nil
	s.err = err
	if err != nil {
		s.lastErr = err.Message
	}
	s.setLocked(st)
	s.mu.Unlock()
}

// errStopped ends a wait because Stop was called.
var errStopped = errors.New("stopped while starting")

// waitReady probes the new process until it answers, it exits, Stop is
// called, or the start timeout passes.
func (s *Supervisor) waitReady(p *process) error {
	deadline := time.Now().Add(s.spec.StartTimeout)
	t := time.NewTicker(s.spec.ProbeInterval)
	defer t.Stop()
	for {
		if s.probe() == nil {
			select {
			case <-p.exited: // answered, but not this process: someone else holds the port
			default:
				return nil
			}
		}
		select {
		case <-p.exited:
			return fmt.Errorf("%s exited during start (%v)%s", s.spec.Name, p.waitErr, logTail(s.spec.LogPath, p.logStart))
		case <-s.stopCh:
			return errStopped
		case <-t.C:
		}
		if time.Now().After(deadline) {
			at := ""
			if s.spec.Addr != "" {
				at = " at " + s.spec.Addr
			}
			return fmt.Errorf("%s did not answer%s within %s%s (raise the start timeout if the machine is slow)",
				s.spec.Name, at, s.spec.StartTimeout, logTail(s.spec.LogPath, p.logStart))
		}
	}
}

func (s *Supervisor) probe() error {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	return s.spec.Probe(ctx)
}

// terminate asks the engine's process group to stop, waits up to grace,
// then kills whatever is left of the group.
func (s *Supervisor) terminate(p *process, grace time.Duration) {
	if grace > 0 {
		_ = terminateGroup(p.pid)
		t := time.NewTimer(grace)
		select {
		case <-p.exited:
		case <-t.C:
			s.spec.Logger.Warn(s.spec.Name+" engine did not stop in time; killing it", "pid", p.pid, "grace", grace)
		}
		t.Stop()
	}
	_ = killGroup(p.pid)
	select {
	case <-p.exited:
	case <-time.After(5 * time.Second):
		s.spec.Logger.Error(s.spec.Name+" engine survived SIGKILL", "pid", p.pid)
	}
	p.closeOutput()
}

func (s *Supervisor) logHint() string {
	if s.spec.LogPath == "" {
		return ""
	}
	return "; full log: " + s.spec.LogPath
}
