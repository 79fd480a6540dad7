package main

import (
	"context"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/ollama/ollama/api"

	"github.com/roundhouse-ai/roundhouse/sdk"
	"github.com/roundhouse-ai/roundhouse/sdk/engine"
	"github.com/roundhouse-ai/roundhouse/sdk/manifest"
)

// plugin serves Roundhouse through Ollama. It either manages its own
// `ollama serve` (started lazily by the first call that needs it, and
// watched by a supervisor) or attaches to an Ollama someone else runs,
// which it then never starts, stops or upgrades.
type plugin struct {
	sdk.UnimplementedPlugin // services Ollama does not offer answer Unimplemented
	manifest                *manifest.Manifest

	// mu guards the fields below; it is never held across I/O.
	mu     sync.Mutex
	set    settings
	client *ollamaClient
	mode   string             // "" until decided, then modeManaged or modeAttached
	sup    *engine.Supervisor // the managed engine; nil when none was started
	closed bool               // Shutdown ran: start nothing more

	decideMu  sync.Mutex    // one mode decision at a time
	startMu   sync.Mutex    // one engine start at a time
	installMu chan struct{} // one install at a time (a channel, so waiting honours ctx)
}

var (
	_ sdk.LocalPlugin = (*plugin)(nil)
	_ sdk.Shutdowner  = (*plugin)(nil)
)

func newPlugin() *plugin {
	m := loadManifest()
	s, err := parseSettings(&sdk.Config{}, m)
	if err != nil {
		// Only a broken manifest can get here; fall back to the defaults.
		slog.Error("ollama plugin defaults", "error", err)
		s.hostPort, s.baseURL, _ = parseEngineHost(defaultEngineHost)
		s.manage = manageAuto
		s.startTimeout = defaultStartTimeout
	}
	return &plugin{manifest: m, set: s, client: newClient(s), installMu: make(chan struct{}, 1)}
}

// newClient makes the Ollama client. No overall timeout: streams last as
// long as the answer; callers' contexts bound every call instead.
func newClient(s settings) *ollamaClient {
	tr := &http.Transport{
		Proxy:               nil, // the engine is local; never send its traffic to a proxy
		DialContext:         (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConnsPerHost: 16,
		IdleConnTimeout:     90 * time.Second,
	}
	hc := &http.Client{Transport: tr}
	return &ollamaClient{Client: api.NewClient(s.baseURL, hc), base: s.baseURL, http: hc}
}

// state is a consistent snapshot of the plugin's mutable fields.
type state struct {
	set    settings
	client *ollamaClient
	mode   string
	sup    *engine.Supervisor
}

func (p *plugin) snapshot() state {
	p.mu.Lock()
	defer p.mu.Unlock()
	return state{set: p.set, client: p.client, mode: p.mode, sup: p.sup}
}

// Configure applies settings. It may run again at any time: if what the
// managed engine depends on changed (host, paths, environment, mode), the
// engine this plugin started is stopped and the next call starts it anew
// with the new settings. It never starts anything itself.
func (p *plugin) Configure(ctx context.Context, cfg *sdk.Config) error {
	s, err := parseSettings(cfg, p.manifest)
	if err != nil {
		return err
	}
	p.mu.Lock()
	changed := s.engineKey() != p.set.engineKey()
	hostChanged := s.baseURL.String() != p.set.baseURL.String()
	p.set = s
	if hostChanged {
		p.client = newClient(s)
	}
	var old *engine.Supervisor
	if changed {
		p.mode = ""
		old, p.sup = p.sup, nil
	}
	p.mu.Unlock()
	if old != nil {
		slog.Info("ollama settings changed; stopping the managed engine, the next call starts it again")
		if err := old.Stop(ctx); err != nil {
			return sdk.WrapError(sdk.CodeInternal, err, "stop the managed ollama engine after a settings change")
		}
	}
	return nil
}

// Shutdown stops the engine this plugin started; an attached one is left
// alone.
func (p *plugin) Shutdown(ctx context.Context) error {
	p.mu.Lock()
	p.closed = true
	sup := p.sup
	p.sup = nil
	p.mu.Unlock()
	if sup == nil {
		return nil
	}
	return sup.Stop(ctx)
}

// decideMode settles managed vs attached once per configuration:
//   - manage_engine false: attached, always;
//   - manage_engine true: managed, always;
//   - auto: attached if an Ollama already answers at engine_host, else
//     managed. The answer sticks, so an attached Ollama that restarts is
//     not raced for its port. An engine a crashed predecessor of this
//     plugin left running (recognised by the pid file) is not "someone
//     else's": it is stopped and the mode is managed.
func (p *plugin) decideMode(ctx context.Context) string {
	p.decideMu.Lock()
	defer p.decideMu.Unlock()
	st := p.snapshot()
	if st.mode != "" {
		return st.mode
	}
	mode := modeManaged
	switch st.set.manage {
	case manageFalse:
		mode = modeAttached
	case manageAuto:
		if st.sup == nil {
			pctx, cancel := context.WithTimeout(ctx, 2*time.Second)
			_, err := probeVersion(pctx, st.set.baseURL)
			cancel()
			if err == nil && !reapLeftover(ctx, st.set) {
				mode = modeAttached
			}
		}
	}
	p.mu.Lock()
	if p.set.engineKey() == st.set.engineKey() { // not reconfigured meanwhile
		p.mode = mode
	}
	p.mu.Unlock()
	if mode == modeAttached {
		slog.Info("ollama plugin attached to an existing engine; it will never start or stop it", "host", st.set.hostPort)
	}
	return mode
}

// engine returns a client for a working engine, starting the managed one
// if it is not running yet (lazy start) and waiting while it (re)starts.
// In attached mode it returns at once; a dead engine shows up as a
// CodeEngineUnavailable error of the call itself.
func (p *plugin) engine(ctx context.Context) (*ollamaClient, error) {
	mode := p.decideMode(ctx)
	st := p.snapshot()
	if mode == modeAttached {
		return st.client, nil
	}
	sup := st.sup
	if sup == nil || sup.Finished() {
		var err error
		if sup, err = p.startManaged(ctx); err != nil {
			return nil, err
		}
	}
	if err := sup.WaitReady(ctx); err != nil {
		return nil, err
	}
	return p.snapshot().client, nil
}

// startManaged starts the managed engine's supervisor unless one is
// already running, and returns it without waiting for the engine.
func (p *plugin) startManaged(ctx context.Context) (*engine.Supervisor, error) {
	p.startMu.Lock()
	defer p.startMu.Unlock()
	st := p.snapshot()
	if st.sup != nil && !st.sup.Finished() {
		return st.sup, nil
	}
	exe, _, err := findExecutable(st.set)
	if err != nil {
		return nil, err
	}
	// The port must be free: whatever answers there is not ours.
	pctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	_, perr := probeVersion(pctx, st.set.baseURL)
	cancel()
	if perr == nil && !reapLeftover(ctx, st.set) {
		hint := "stop it, or set manage_engine to auto (use it) or change engine_host"
		return nil, sdk.Errorf(sdk.CodeEngineStartFailed,
			"cannot start ollama at %s: another Ollama already answers there, which Roundhouse did not start; %s", st.set.hostPort, hint)
	}
	for _, d := range []string{st.set.dataDir, st.set.modelsDir} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return nil, sdk.WrapError(sdk.CodeEngineStartFailed, err, "create %s (check settings.models_dir and the data dir's permissions)", d)
		}
	}
	sup, err := engine.Start(engineSpec(st.set, exe))
	if err != nil {
		return nil, sdk.WrapError(sdk.CodeInternal, err, "start the managed ollama engine")
	}
	p.mu.Lock()
	// Registering and Shutdown's check share the lock: either Shutdown
	// sees this supervisor and stops it, or we see closed and stop it.
	if p.closed || p.set.engineKey() != st.set.engineKey() {
		closed := p.closed
		p.mu.Unlock()
		_ = sup.Stop(ctx)
		if closed {
			return nil, sdk.Errorf(sdk.CodeUnavailable, "the plugin is shutting down")
		}
		// Reconfigured while we started: this engine follows old settings.
		return nil, &sdk.Error{Code: sdk.CodeEngineUnavailable, Retryable: true, Message: "settings changed while the engine was starting; retry"}
	}
	p.sup = sup
	p.mode = modeManaged
	p.mu.Unlock()
	return sup, nil
}

// engineEnv is the managed engine's environment: the plugin's own (the
// host already filtered it), with OLLAMA_HOST and OLLAMA_MODELS ours,
// settings.engine_env on top, and HOME set if missing, since Ollama keeps
// its key pair under $HOME/.ollama.
func engineEnv(s settings) []string {
	var env []string
	_, hasHome := s.engineEnv["HOME"]
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if k == "OLLAMA_HOST" || k == "OLLAMA_MODELS" {
			continue
		}
		if _, override := s.engineEnv[k]; override {
			continue
		}
		if k == "HOME" || k == "USERPROFILE" {
			hasHome = true
		}
		env = append(env, kv)
	}
	env = append(env, "OLLAMA_HOST="+s.baseURL.Scheme+"://"+s.hostPort, "OLLAMA_MODELS="+s.modelsDir)
	for k, v := range s.engineEnv {
		env = append(env, k+"="+v)
	}
	if !hasHome {
		env = append(env, "HOME="+s.dataDir)
	}
	return env
}
