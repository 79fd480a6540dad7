package main

import (
	"context"
	"time"

	"github.com/roundhouse-ai/roundhouse/sdk"
)

// This file implements sdk.Engine on top of the engine kit's supervisor (engine.go),
// detection (detect.go) and installation (install.go).

// notManaged is the answer to any attempt to start, stop, install or
// upgrade an engine this plugin does not manage.
func notManaged(s settings, what string) *sdk.Error {
	msg := "Roundhouse is attached to an Ollama it did not start at " + s.hostPort + " and never " + what + " it"
	if s.manage == manageFalse {
		msg += " (settings.manage_engine is false); set manage_engine to auto or true to let Roundhouse run its own"
	} else {
		msg += "; manage it where it was started, or stop it and call StartEngine to let Roundhouse run its own"
	}
	return &sdk.Error{Code: sdk.CodeEngineNotManaged, Message: msg}
}

// EngineStatus reports the engine without starting anything. It runs the
// binary only to learn its version, and only when the engine is down.
func (p *plugin) EngineStatus(ctx context.Context) (*sdk.EngineStatus, error) {
	st := p.snapshot()
	mode := st.mode
	if mode == "" {
		mode = p.decideMode(ctx)
		st = p.snapshot()
	}
	es := &sdk.EngineStatus{Mode: mode, Host: st.set.hostPort}
	if st.sup != nil {
		ss := st.sup.Status()
		es.PID, es.Restarts, es.LastError = ss.PID, ss.Restarts, ss.LastError
	}
	pctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	v, err := probeVersion(pctx, st.set.baseURL)
	cancel()
	if err == nil {
		es.Running, es.Installed, es.Version = true, true, v
	} else if mode == modeAttached && es.LastError == "" {
		es.LastError = "Ollama at " + st.set.hostPort + " does not answer: " + err.Error()
	}
	if mode == modeManaged || !es.Running {
		if exe, _, ferr := findExecutable(st.set); ferr == nil {
			es.Installed, es.Executable = true, exe
			if es.Version == "" {
				es.Version, _ = binaryVersion(ctx, exe)
			}
		} else if mode == modeManaged && es.LastError == "" {
			es.LastError = ferr.Error()
		}
	}
	return es, nil
}

// CheckEngine is EngineStatus that also proves the executable runs.
func (p *plugin) CheckEngine(ctx context.Context) (*sdk.EngineStatus, error) {
	es, err := p.EngineStatus(ctx)
	if err != nil {
		return nil, err
	}
	if es.Executable != "" {
		if _, verr := binaryVersion(ctx, es.Executable); verr != nil {
			es.LastError = "the ollama executable does not run: " + verr.Error()
		}
	}
	return es, nil
}

// StartEngine starts the managed engine and waits until it answers. In
// attached mode there is nothing to start: it reports the engine if it
// answers. If an attached engine has gone away and manage_engine allows,
// it switches to managed and starts Roundhouse's own.
func (p *plugin) StartEngine(ctx context.Context) (*sdk.EngineStatus, error) {
	mode := p.decideMode(ctx)
	if mode == modeAttached {
		st := p.snapshot()
		pctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		_, perr := probeVersion(pctx, st.set.baseURL)
		cancel()
		if perr == nil {
			return p.EngineStatus(ctx)
		}
		if st.set.manage == manageFalse {
			return nil, &sdk.Error{Code: sdk.CodeEngineNotManaged, Err: perr,
				Message: "Ollama at " + st.set.hostPort + " does not answer, and settings.manage_engine is false so Roundhouse does not start one: start Ollama there yourself, or set manage_engine to auto"}
		}
		// The engine we attached to is gone: decide again (now managed).
		p.mu.Lock()
		if p.set.engineKey() == st.set.engineKey() {
			p.mode = ""
		}
		p.mu.Unlock()
	}
	if _, err := p.engine(ctx); err != nil {
		return nil, err
	}
	return p.EngineStatus(ctx)
}

// StopEngine stops the managed engine. It refuses to touch an attached
// one. A later call that needs the engine starts it again.
func (p *plugin) StopEngine(ctx context.Context) (*sdk.EngineStatus, error) {
	mode := p.decideMode(ctx)
	st := p.snapshot()
	if mode == modeAttached {
		return nil, notManaged(st.set, "stops")
	}
	p.startMu.Lock() // not while a start is being set up
	p.mu.Lock()
	sup := p.sup
	p.sup = nil
	p.mu.Unlock()
	p.startMu.Unlock()
	if sup != nil {
		if err := sup.Stop(ctx); err != nil {
			return nil, sdk.WrapError(sdk.CodeInternal, err, "stop the managed ollama engine")
		}
	}
	return p.EngineStatus(ctx)
}

// UpgradeEngine installs the requested engine and, if the managed engine
// was running another binary, restarts it on the new one.
func (p *plugin) UpgradeEngine(ctx context.Context, req *sdk.InstallEngineRequest, progress func(*sdk.Progress) error) error {
	mode := p.decideMode(ctx)
	if mode == modeAttached {
		return notManaged(p.snapshot().set, "upgrades")
	}
	if err := p.install(ctx, req, progress); err != nil {
		return err
	}
	st := p.snapshot()
	exe, _, err := findExecutable(st.set)
	if err != nil {
		return err
	}
	if st.sup == nil || st.sup.Finished() || st.sup.Spec().Exe == exe {
		return send(progress, &sdk.Progress{Status: "success"})
	}
	if err := send(progress, &sdk.Progress{Status: "restarting engine"}); err != nil {
		return err
	}
	if _, err := p.StopEngine(ctx); err != nil {
		return err
	}
	if _, err := p.engine(ctx); err != nil {
		return err
	}
	_ = p.installer(st.set, "").Prune(ctx) // the old binary no longer runs (the previous version stays for rollback)
	return send(progress, &sdk.Progress{Status: "success"})
}

// send calls progress if there is one.
func send(progress func(*sdk.Progress) error, pr *sdk.Progress) error {
	if progress == nil {
		return nil
	}
	return progress(pr)
}
