package engine

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"time"
)

// Spec is what a [Supervisor] runs: Exe with Args, answering at Addr.
type Spec struct {
	// Name is the engine's name in messages and logs ("ollama").
	Name string
	// Exe is the executable to run; Args its arguments (without Exe).
	Exe  string
	Args []string
	// Env is the engine's whole environment; nil inherits the plugin's.
	Env []string
	// Dir is the working directory ("" = the plugin's).
	Dir string
	// Addr is where the engine answers (host:port), for messages and the
	// pid file: a leftover is only reaped at the same Addr.
	Addr string

	// Probe says whether the engine is ready: nil when it answers. It is
	// called every ProbeInterval (default 100ms) with a 1s deadline while
	// the engine starts, and every HealthInterval once it runs.
	Probe         func(ctx context.Context) error
	ProbeInterval time.Duration
	// StartTimeout bounds the wait for the first good probe after each
	// start (default 60s).
	StartTimeout time.Duration
	// HealthInterval, when positive, keeps probing the running engine;
	// after HealthFailures (default 3) failed probes in a row it counts
	// as hung: it is killed and restarted like a crashed one.
	HealthInterval time.Duration
	HealthFailures int

	// StopGrace is how long Stop waits after SIGTERM before SIGKILL
	// (default 5s; Stop shortens it to fit its context's deadline).
	StopGrace time.Duration

	// LogPath receives the engine's stdout and stderr, appended, rotated
	// to LogPath+".1" past 20 MB; its last lines go into error messages.
	// Output, if set, receives a copy as well. With neither, the output is
	// discarded.
	LogPath string
	Output  io.Writer

	// PIDFile, if set, records the running engine (see [PIDRecord] and
	// [ReapLeftover]); it is removed when the engine is stopped.
	PIDFile string

	Restart RestartPolicy
	// Logger receives the supervisor's own events (default slog.Default()).
	Logger *slog.Logger
}

func (s Spec) withDefaults() (Spec, error) {
	if s.Exe == "" {
		return s, errors.New("engine: Spec.Exe is empty")
	}
	if s.Probe == nil {
		return s, errors.New("engine: Spec.Probe is nil; the supervisor needs it to know when the engine is ready")
	}
	if s.Name == "" {
		s.Name = "engine"
	}
	if s.ProbeInterval <= 0 {
		s.ProbeInterval = 100 * time.Millisecond
	}
	if s.StartTimeout <= 0 {
		s.StartTimeout = time.Minute
	}
	if s.HealthFailures <= 0 {
		s.HealthFailures = 3
	}
	if s.StopGrace <= 0 {
		s.StopGrace = 5 * time.Second
	}
	if s.Logger == nil {
		s.Logger = slog.Default()
	}
	s.Restart = s.Restart.withDefaults()
	return s, nil
}
