package main

import (
	"context"
	"log/slog"
	"path/filepath"
	"time"

	"github.com/roundhouse-ai/roundhouse/sdk/engine"
)

// The managed engine is `ollama serve` run by an engine.Supervisor (own
// process group, parent-death signal, pid file, restart with jittered
// backoff); this file only says how Ollama is run.

// Restart policy of the watchdog and the stop grace. Variables so tests
// can shorten them.
var (
	restartPolicy = engine.RestartPolicy{} // the kit's defaults: 500ms doubling to 30s, 5 failures in a row
	stopGrace     = 5 * time.Second
)

func pidFilePath(s settings) string { return filepath.Join(s.dataDir, "engine.pid") }

func engineLogPath(s settings) string {
	return filepath.Join(s.dataDir, "logs", "ollama-serve.log")
}

// engineSpec is how the managed engine runs: `<exe> serve` with env,
// ready when /api/version answers at the configured host.
func engineSpec(s settings, exe string) engine.Spec {
	return engine.Spec{
		Name:         "ollama",
		Exe:          exe,
		Args:         []string{"serve"},
		Env:          engineEnv(s),
		Dir:          s.dataDir,
		Addr:         s.hostPort,
		Probe:        func(ctx context.Context) error { _, err := probeVersion(ctx, s.baseURL); return err },
		StartTimeout: s.startTimeout,
		StopGrace:    stopGrace,
		LogPath:      engineLogPath(s),
		PIDFile:      pidFilePath(s),
		Restart:      restartPolicy,
		Logger:       slog.Default(),
	}
}

// reapLeftover stops an engine a previous run of this plugin started and
// could not stop (it crashed), if the pid file proves it is that very
// process. It reports whether it did.
func reapLeftover(ctx context.Context, s settings) bool {
	r, reaped, err := engine.ReapLeftover(ctx, pidFilePath(s), s.hostPort, stopGrace)
	if reaped {
		slog.Warn("stopped an ollama engine left behind by a previous plugin process", "pid", r.PID, "host", r.Addr, "error", err)
	}
	return reaped
}
