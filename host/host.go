package host

import (
	"context"
	"io"
	"log/slog"
	"os"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/roundhouse-ai/roundhouse/host/config"
	"github.com/roundhouse-ai/roundhouse/host/route"
	"github.com/roundhouse-ai/roundhouse/sdk"
	"github.com/roundhouse-ai/roundhouse/sdk/pluginhost"
)

// Version is the host's version, set at build time with
// -ldflags "-X github.com/roundhouse-ai/roundhouse/host.Version=…".
var Version = "0.1.0-dev"

// Host owns the plugins: discovery, supervision, configuration and the
// registry the router reads.
type Host struct {
	// cfg is the loaded configuration: immutable, replaced whole by Apply,
	// so readers never lock and never see a half-applied change. Runtime
	// state (providers added through the API, plugins enabled or disabled)
	// lives in provs, with its own lock.
	cfg atomic.Pointer[config.Config]
	log *slog.Logger
	// plainSocket is plain_plugin_socket as the host started with it: a
	// restart key, so plugins added or replaced by a reload use it too.
	plainSocket bool

	mu      sync.RWMutex
	plugins map[string]*Plugin
	order   []string // names, sorted

	models   *modelIndex
	dispatch *route.Dispatcher
	pulls    *PullTracker
	provs    *providerStore
	// provMu serialises provider changes (validate, save, apply).
	provMu sync.Mutex
	// regs are the registry credentials (registries.go), loaded on first
	// use.
	regs    *registryStore
	regOnce sync.Once

	// applyMu serialises Apply (reloads, installs, enable/disable).
	applyMu sync.Mutex
	reload  reloadState
	// onApply are told of every configuration applied (the HTTP API
	// rebuilds its guards from it).
	onApplyMu sync.Mutex
	onApply   []func(*config.Config)
}

// Option tunes New.
type Option func(*Host)

// withLauncher swaps how processes start (tests).
func withLauncher(l launchFunc) Option {
	return func(h *Host) {
		for _, p := range h.plugins {
			p.launch = l
		}
	}
}

// New discovers the plugins of cfg. It starts nothing; call Start.
func New(cfg *config.Config, log *slog.Logger, opts ...Option) *Host {
	if log == nil {
		log = slog.Default()
	}
	h := &Host{log: log, plugins: map[string]*Plugin{}, plainSocket: cfg.PlainPluginSocket}
	h.cfg.Store(cfg)
	if err := h.loadProviders(); err != nil {
		log.Error("saved runtime state not loaded", "error", err)
	}
	for _, c := range Discover(cfg.PluginDirs) {
		p := h.newPlugin(cfg, c)
		if _, dup := h.plugins[p.name]; dup {
			log.Error("duplicate plugin ignored", "plugin", p.name, "dir", c.Dir, "error", c.Err)
			continue
		}
		h.plugins[p.name] = p
		h.order = append(h.order, p.name)
		if c.Err != nil {
			log.Error("plugin unusable", "plugin", p.name, "dir", c.Dir, "error", c.Err)
		}
	}
	sort.Strings(h.order)
	h.models = newModelIndex(h)
	h.dispatch = route.New(cfg.Routing, route.Options{Log: log, Timeout: h.dispatchTimeout})
	h.pulls = NewPullTracker()
	for _, o := range opts {
		o(h)
	}
	return h
}

func (h *Host) newPlugin(cfg *config.Config, c Candidate) *Plugin {
	name := c.Name()
	pc := cfg.Plugins[name]
	dataDir := cfg.PluginDataDir(name)
	p := &Plugin{
		name:     name,
		manifest: c.Manifest,
		cand:     c,
		log:      h.log,
		launch:   pluginhost.Launch,
		env:      pluginEnv(name, dataDir, pc.Env),
		stderr:   io.Discard,
		health:   cfg.HealthInterval,
		state:    StateStopped,
		plain:    h.plainSocket,

		maxHealthFails: cfg.HealthFailures,
		fingerprint:    c.Fingerprint,
		envKey:         envKey(pc.Env),
	}
	p.config = func() *sdk.Config { return h.pluginConfig(name) }
	p.onHealth = func(serving bool) {
		// Health scores of the plugin's targets follow its probes.
		if h.dispatch != nil {
			h.dispatch.Stats().SetPluginServing(name, serving)
		}
	}
	p.refused = func(sent *sdk.Config, err error) bool { return h.skipRefusedProvider(name, sent, err) }
	switch {
	case c.Err != nil:
		p.state = StateInvalid
		p.lastErr = c.Err.Error()
	case h.disabled(cfg, name):
		p.state = StateDisabled
	default:
		p.initDependencies()
	}
	return p
}

// pluginConfig is what Configure sends to the named plugin now.
func (h *Host) pluginConfig(name string) *sdk.Config {
	return h.pluginConfigWith(name, h.Providers(name))
}

func (h *Host) pluginConfigWith(name string, providers []sdk.ProviderConfig) *sdk.Config {
	cfg := h.Config()
	dataDir := cfg.PluginDataDir(name)
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		h.log.Error("plugin data dir not created; the plugin may fail to write", "plugin", name, "dir", dataDir, "error", err)
	}
	return &sdk.Config{Settings: cfg.Plugins[name].Settings, Providers: providers, DataDir: dataDir}
}

// Config is the configuration in force: an immutable snapshot that Apply
// replaces whole. Callers must not modify it.
func (h *Host) Config() *config.Config { return h.cfg.Load() }

// defaultCallTimeout bounds host→plugin calls that are not service calls
// when the config sets none.
const defaultCallTimeout = 10 * time.Second

// CallTimeout is the deadline of host→plugin calls that are not service
// calls (model and provider lists, show, delete, unload): a plugin that
// stops answering must not hold a request, or the requests queued behind
// a shared lookup, forever.
func (h *Host) CallTimeout() time.Duration {
	if t := h.Config().CallTimeout; t > 0 {
		return t
	}
	return defaultCallTimeout
}

// WithCallTimeout bounds ctx by CallTimeout.
func (h *Host) WithCallTimeout(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, h.CallTimeout())
}

// Start starts every enabled plugin when the config says eager, all at
// once, without waiting for them: the API listens while they start.
func (h *Host) Start() {
	if h.Config().Start != "eager" {
		return
	}
	for _, p := range h.Plugins() {
		p.Start()
	}
}

// WaitReady waits until every started plugin is running or failed, or ctx
// ends. It reports whether all are running.
func (h *Host) WaitReady(ctx context.Context) bool {
	all := true
	for _, p := range h.Plugins() {
		if st := p.State(); st == StateDisabled || st == StateInvalid {
			continue
		}
		if _, err := p.Conn(ctx); err != nil {
			all = false
		}
	}
	return all
}

// Plugins lists the plugins by name.
func (h *Host) Plugins() []*Plugin {
	h.mu.RLock()
	defer h.mu.RUnlock()
	out := make([]*Plugin, 0, len(h.order))
	for _, n := range h.order {
		out = append(out, h.plugins[n])
	}
	return out
}

// eachPlugin calls fn for every plugin in name order, without copying the
// list (the router's hot path).
func (h *Host) eachPlugin(fn func(*Plugin)) {
	h.mu.RLock()
	defer h.mu.RUnlock()
	for _, n := range h.order {
		fn(h.plugins[n])
	}
}

// Plugin returns the named plugin, or nil.
func (h *Host) Plugin(name string) *Plugin {
	h.mu.RLock()
	defer h.mu.RUnlock()
	return h.plugins[name]
}

// Pulls tracks model pulls in flight.
func (h *Host) Pulls() *PullTracker { return h.pulls }

// Close stops every plugin (in parallel), waiting at most until ctx ends.
func (h *Host) Close(ctx context.Context) {
	var wg sync.WaitGroup
	for _, p := range h.Plugins() {
		wg.Add(1)
		go func() { defer wg.Done(); p.Close() }()
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
	}
	pluginhost.CleanupProcesses()
}

// uptime helper for /health.
var started = time.Now()

// Uptime is how long the host has run.
func Uptime() time.Duration { return time.Since(started) }
