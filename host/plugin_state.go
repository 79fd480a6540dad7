package host

import (
	"context"
	"fmt"
	"maps"

	"github.com/roundhouse-ai/roundhouse/host/config"
	"github.com/roundhouse-ai/roundhouse/sdk"
)

// setReloadError records (or clears, with "") why the last reload kept
// this version.
func (p *Plugin) setReloadError(msg string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.reloadErr = msg
}

// ReloadError says why the last reload could not use the plugin's new
// manifest or executable ("" when it could): the version shown keeps
// serving until the files are fixed.
func (p *Plugin) ReloadError() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.reloadErr
}

// InFlight is how many calls to the plugin's process are in flight.
func (p *Plugin) InFlight() int {
	p.mu.Lock()
	proc := p.proc
	p.mu.Unlock()
	if proc == nil {
		return 0
	}
	return proc.InFlight()
}

// Drain waits until the plugin's process has no call in flight, or ctx
// ends; it reports whether it went idle.
func (p *Plugin) Drain(ctx context.Context) bool {
	p.mu.Lock()
	proc := p.proc
	p.mu.Unlock()
	if proc == nil {
		return true
	}
	return proc.Drain(ctx)
}

// Enabled reports whether the plugin may run (not disabled by the config
// or the API).
func (p *Plugin) Enabled() bool { return p.State() != StateDisabled }

// disabled is the plugin's effective state: the API's enable/disable,
// else the config file's plugins.<name>.disabled.
func (h *Host) disabled(cfg *config.Config, name string) bool {
	h.provs.mu.Lock()
	on, set := h.provs.enabled[name]
	h.provs.mu.Unlock()
	if set {
		return !on
	}
	return cfg.Plugins[name].Disabled
}

// setDisabled moves p in or out of StateDisabled; it reports whether the
// state changed.
func (h *Host) setDisabled(p *Plugin, off bool) bool {
	if p.cand.Err != nil {
		return false
	}
	if off {
		if p.State() == StateDisabled {
			return false
		}
		p.Stop()
		p.mu.Lock()
		p.setStateLocked(StateDisabled)
		p.mu.Unlock()
		h.log.Info("plugin disabled", "plugin", p.name)
		return true
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.state != StateDisabled {
		return false
	}
	p.setStateLocked(StateStopped)
	p.lastErr = ""
	h.log.Info("plugin enabled", "plugin", p.name)
	return true
}

// SetPluginEnabled enables or disables a plugin: the choice is saved in
// the runtime state (0600, beside the providers) so it survives restarts
// and reloads, and overrides the config file's plugins.<name>.disabled. A
// disabled plugin is stopped; an enabled one starts on first use (or now,
// with start: eager).
func (h *Host) SetPluginEnabled(ctx context.Context, name string, on bool) error {
	h.applyMu.Lock()
	defer h.applyMu.Unlock()
	p := h.Plugin(name)
	if p == nil {
		return &sdk.Error{Code: sdk.CodePluginNotFound, Field: "name", Message: fmt.Sprintf("no plugin named %q (GET /v1/plugins lists them)", name)}
	}
	if p.cand.Err != nil {
		return sdk.Errorf(sdk.CodeFailedPrecondition, "plugin %s cannot run: %v; fix its manifest first", name, p.cand.Err)
	}
	h.provs.mu.Lock()
	enabled := maps.Clone(h.provs.enabled)
	enabled[name] = on
	err := h.provs.writeLocked(h.provs.saved, enabled)
	if err == nil {
		h.provs.enabled = enabled
	}
	h.provs.mu.Unlock()
	if err != nil {
		return sdk.WrapError(sdk.CodeInternal, err, "save runtime state (nothing was changed)")
	}
	h.models.invalidate(name)
	if h.setDisabled(p, !on) && on && h.Config().Start == "eager" {
		p.Start()
	}
	return nil
}

// EffectiveConfig is the configuration as the host applies it: the
// snapshot in force with the runtime state merged in (providers added
// through the API, plugins enabled or disabled through it). It is a copy;
// secrets are not masked (config.Masked does that).
func (h *Host) EffectiveConfig() *config.Config {
	cfg := h.Config()
	out := cfg.Clone()
	if out.Plugins == nil {
		out.Plugins = map[string]config.PluginConfig{}
	}
	names := map[string]bool{}
	for n := range cfg.Plugins {
		names[n] = true
	}
	for _, p := range h.Plugins() {
		names[p.name] = true
	}
	for n := range names {
		pc := out.Plugins[n]
		pc.Providers = h.Providers(n)
		pc.Disabled = h.disabled(cfg, n)
		out.Plugins[n] = pc
	}
	return out
}
