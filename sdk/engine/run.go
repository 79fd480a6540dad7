package engine

import (
	"fmt"
	"time"

	"github.com/roundhouse-ai/roundhouse/types"
)

// run is the supervisor's loop: start, wait until ready, watch, and after
// a crash wait out the backoff and start again.
func (s *Supervisor) run() {
	defer close(s.done)
	pol := s.spec.Restart
	bo := pol.NewBackOff()
	name := s.spec.Name
	failures := 0
	first := true
	for {
		p, err := s.spawn()
		if err == nil {
			s.setProc(p) // known while it starts, so Status shows it and Stop can kill it
			err = s.waitReady(p)
		}
		if err != nil {
			if p != nil {
				s.terminate(p, 0)
				s.setProc(nil)
			}
			if s.stopping() {
				s.finish(StateStopped, nil)
				return
			}
			failures++
			if first || failures >= pol.MaxFailures {
				msg := err.Error()
				if !first {
					msg = fmt.Sprintf("gave up after %d failed restarts: %s", failures, msg)
				}
				s.finish(StateFailed, &types.Error{Code: types.CodeEngineStartFailed, Err: err, Retryable: !first,
					Message: "could not start " + name + ": " + msg + s.logHint()})
				return
			}
			if !s.backoff(bo.NextBackOff(), err.Error()) {
				return
			}
			continue
		}

		first = false
		started := time.Now()
		// Recorded after the probe: a wrapper script has exec'd by now, so
		// the image is the engine's own.
		rec := RecordProcess(p.pid, s.spec.Addr, s.spec.Exe)
		rec.StartID = p.startID
		if err := WritePIDFile(s.spec.PIDFile, rec); err != nil {
			s.spec.Logger.Warn("could not write the engine's pid file; a leftover from a crash will not be recognised",
				"engine", name, "path", s.spec.PIDFile, "error", err)
		}
		s.mu.Lock()
		s.setLocked(StateRunning)
		s.mu.Unlock()
		s.spec.Logger.Info(name+" engine running", "pid", p.pid, "addr", s.spec.Addr, "exe", s.spec.Exe)

		why, stop := s.watch(p)
		if stop {
			s.mu.Lock()
			grace := s.grace
			s.mu.Unlock()
			s.terminate(p, grace)
			removePIDFile(s.spec.PIDFile, p.pid)
			s.finish(StateStopped, nil)
			return
		}

		// It died (or hung) without being asked to: clean up what it left
		// in its process group and start it again.
		s.terminate(p, 0)
		removePIDFile(s.spec.PIDFile, p.pid)
		if time.Since(started) >= pol.StableRun {
			bo.Reset()
			failures = 0
		} else {
			failures++
		}
		why += logTail(s.spec.LogPath, p.logStart)
		s.mu.Lock()
		s.restarts++
		n := s.restarts
		s.mu.Unlock()
		if failures >= pol.MaxFailures {
			s.finish(StateFailed, &types.Error{Code: types.CodeEngineStartFailed, Retryable: true,
				Message: fmt.Sprintf("%s keeps crashing (%d times in a row), so the watchdog gave up: %s%s", name, failures, why, s.logHint())})
			return
		}
		s.spec.Logger.Warn(name+" engine died; restarting", "reason", why, "restarts", n)
		if !s.backoff(bo.NextBackOff(), why) {
			return
		}
	}
}

// backoff records why the engine is down, waits d in StateRestarting and
// reports whether to go on (false: Stop was called, the supervisor ended).
func (s *Supervisor) backoff(d time.Duration, why string) bool {
	s.mu.Lock()
	s.proc = nil
	s.lastErr = why
	s.setLocked(StateRestarting)
	s.mu.Unlock()
	s.spec.Logger.Warn(s.spec.Name+" engine restart pending", "reason", why, "retry_in", d)
	if !s.sleep(d) {
		s.finish(StateStopped, nil)
		return false
	}
	s.mu.Lock()
	s.setLocked(StateStarting)
	s.mu.Unlock()
	return true
}

// watch waits while the engine runs. It returns stop=true when Stop was
// called, else why the engine is gone: it exited, or (with
// Spec.HealthInterval) stopped answering its probe.
func (s *Supervisor) watch(p *process) (why string, stop bool) {
	var tick <-chan time.Time
	if s.spec.HealthInterval > 0 {
		t := time.NewTicker(s.spec.HealthInterval)
		defer t.Stop()
		tick = t.C
	}
	missed := 0
	for {
		select {
		case <-s.stopCh:
			return "", true
		case <-p.exited:
			return fmt.Sprintf("%s (pid %d) exited unexpectedly: %v", s.spec.Name, p.pid, p.waitErr), false
		case <-tick:
			err := s.probe()
			if err == nil {
				missed = 0
				continue
			}
			if missed++; missed >= s.spec.HealthFailures {
				return fmt.Sprintf("%s (pid %d) did not answer %d health probes in a row (last: %v), so it was killed",
					s.spec.Name, p.pid, missed, err), false
			}
		}
	}
}
