package host

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"

	"gopkg.in/yaml.v3"

	"github.com/roundhouse-ai/roundhouse/host/config"
	"github.com/roundhouse-ai/roundhouse/sdk"
)

// providersFile holds providers added at runtime (POST /v1/providers). It
// lives in the data dir, is written 0600 (it holds API keys), and overlays
// the config file's providers at start, so a restart keeps them.
const providersFile = "providers.yaml"

type providerState struct {
	// Plugins maps plugin name to its runtime providers.
	Plugins map[string][]sdk.ProviderConfig `yaml:"plugins"`
}

func (h *Host) providersPath() string { return filepath.Join(h.cfg.DataDir, providersFile) }

// loadProviders overlays the saved runtime providers onto the config.
func (h *Host) loadProviders() error {
	data, err := os.ReadFile(h.providersPath())
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		return err
	}
	var st providerState
	if err := yaml.Unmarshal(data, &st); err != nil {
		return fmt.Errorf("%s: %w", h.providersPath(), err)
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	for plugin, ps := range st.Plugins {
		for _, p := range ps {
			h.putProviderLocked(plugin, p)
		}
	}
	return nil
}

func (h *Host) putProviderLocked(plugin string, p sdk.ProviderConfig) {
	pc := h.cfg.Plugins[plugin]
	i := slices.IndexFunc(pc.Providers, func(x sdk.ProviderConfig) bool { return x.Name == p.Name })
	if i >= 0 {
		pc.Providers = slices.Clone(pc.Providers)
		pc.Providers[i] = p
	} else {
		pc.Providers = append(slices.Clone(pc.Providers), p)
	}
	if h.cfg.Plugins == nil {
		h.cfg.Plugins = map[string]config.PluginConfig{}
	}
	h.cfg.Plugins[plugin] = pc
}

// saveProvidersLocked writes every plugin's providers to the state file,
// atomically and readable by the owner only.
func (h *Host) saveProvidersLocked() error {
	st := providerState{Plugins: map[string][]sdk.ProviderConfig{}}
	for name, pc := range h.cfg.Plugins {
		if len(pc.Providers) > 0 {
			st.Plugins[name] = pc.Providers
		}
	}
	data, err := yaml.Marshal(st)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(h.cfg.DataDir, 0o700); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(h.cfg.DataDir, ".providers-*.yaml")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return err
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), h.providersPath())
}

// RemotePlugin returns the named remote plugin, or the only remote plugin
// when name is "".
func (h *Host) RemotePlugin(name string) (*Plugin, error) {
	var remotes []*Plugin
	for _, p := range h.Plugins() {
		if p.manifest != nil && !p.IsLocal() {
			remotes = append(remotes, p)
		}
	}
	if name != "" {
		p := h.Plugin(name)
		switch {
		case p == nil:
			return nil, &sdk.Error{Code: sdk.CodePluginNotFound, Field: "plugin", Message: fmt.Sprintf("no plugin named %q", name)}
		case p.IsLocal():
			return nil, &sdk.Error{Code: sdk.CodeFailedPrecondition, Field: "plugin", Message: fmt.Sprintf("plugin %s is local: providers belong to remote plugins", name)}
		}
		return p, nil
	}
	switch len(remotes) {
	case 0:
		return nil, sdk.Errorf(sdk.CodeServiceUnavailable, "no remote plugin is installed (build one with `make plugins`)")
	case 1:
		return remotes[0], nil
	}
	return nil, sdk.FieldError("plugin", "required: several remote plugins are installed; name one")
}

// PutProvider adds or replaces a provider instance of a remote plugin,
// saves it and hands the plugin its new configuration without a restart.
func (h *Host) PutProvider(ctx context.Context, plugin string, p sdk.ProviderConfig) error {
	if !sdk.ValidName(p.Name) {
		return sdk.FieldError("name", "%q must be lower case letters, digits, '-' or '_'", p.Name)
	}
	if p.BaseURL == "" {
		return sdk.FieldError("base_url", "required (for example https://api.openai.com/v1)")
	}
	h.mu.Lock()
	old := h.cfg.Plugins[plugin]
	h.putProviderLocked(plugin, p)
	err := h.saveProvidersLocked()
	if err != nil {
		h.cfg.Plugins[plugin] = old
	}
	h.mu.Unlock()
	if err != nil {
		return sdk.WrapError(sdk.CodeInternal, err, "save providers")
	}
	return h.reconfigure(ctx, plugin)
}

// DeleteProvider removes a provider instance.
func (h *Host) DeleteProvider(ctx context.Context, plugin, name string) error {
	h.mu.Lock()
	pc := h.cfg.Plugins[plugin]
	i := slices.IndexFunc(pc.Providers, func(x sdk.ProviderConfig) bool { return x.Name == name })
	if i < 0 {
		h.mu.Unlock()
		return sdk.Errorf(sdk.CodeNotFound, "no provider named %q in plugin %s", name, plugin)
	}
	pc.Providers = slices.Delete(slices.Clone(pc.Providers), i, i+1)
	h.cfg.Plugins[plugin] = pc
	err := h.saveProvidersLocked()
	h.mu.Unlock()
	if err != nil {
		return sdk.WrapError(sdk.CodeInternal, err, "save providers")
	}
	return h.reconfigure(ctx, plugin)
}

func (h *Host) reconfigure(ctx context.Context, plugin string) error {
	h.models.invalidate(plugin)
	p := h.Plugin(plugin)
	if p == nil {
		return nil
	}
	return p.Reconfigure(ctx)
}
