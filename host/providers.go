package host

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"

	"gopkg.in/yaml.v3"

	"github.com/roundhouse-ai/roundhouse/internal/atomicfile"
	"github.com/roundhouse-ai/roundhouse/sdk"
	"github.com/roundhouse-ai/roundhouse/sdk/manifest"
)

// providersFile holds providers added at runtime (POST /v1/providers). It
// lives in the data dir, is written 0600 (it holds API keys), and overlays
// the config file's providers at start, so a restart keeps them.
const providersFile = "providers.yaml"

type providerState struct {
	// Plugins maps plugin name to its runtime providers.
	Plugins map[string][]sdk.ProviderConfig `yaml:"plugins"`
	// Enabled maps plugin name to the state set with POST
	// /v1/plugins/{name}/enable|disable; it overrides the config file's
	// plugins.<name>.disabled.
	Enabled map[string]bool `yaml:"enabled,omitempty"`
}

// providerStore is the runtime state of provider instances: the ones
// added through the API (persisted in providersFile) and the ones set
// aside because their plugin refused them. It has its own lock; the
// configuration it overlays is never written at runtime, so handlers can
// read providers while another request changes them.
type providerStore struct {
	path string
	mu   sync.Mutex
	// saved are the runtime providers by plugin, in the order added.
	saved map[string][]sdk.ProviderConfig
	// skipped are providers (config or saved) that cannot be used, by
	// plugin and provider name, with the reason: they are left out of
	// what the plugin is configured with, so one bad entry cannot keep
	// the plugin from starting.
	skipped map[string]map[string]string
	// enabled are the plugins enabled (true) or disabled (false) through
	// the API, overriding the config file.
	enabled map[string]bool
}

func (h *Host) providersPath() string { return filepath.Join(h.Config().DataDir, providersFile) }

// loadProviders reads the saved runtime providers. Entries that fail the
// host's own checks are reported and skipped, never fatal.
func (h *Host) loadProviders() error {
	h.provs = &providerStore{path: h.providersPath(), saved: map[string][]sdk.ProviderConfig{}, skipped: map[string]map[string]string{}, enabled: map[string]bool{}}
	data, err := os.ReadFile(h.provs.path)
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		return err
	}
	var st providerState
	if err := yaml.Unmarshal(data, &st); err != nil {
		return fmt.Errorf("%s: %w (runtime providers ignored; fix or delete the file)", h.provs.path, err)
	}
	for name, on := range st.Enabled {
		h.provs.enabled[name] = on
	}
	for plugin, ps := range st.Plugins {
		for _, p := range ps {
			if err := checkProvider(p); err != nil {
				h.log.Error("saved provider skipped", "plugin", plugin, "provider", p.Name, "error", err)
				h.provs.skip(plugin, p.Name, err.Error())
				continue
			}
			h.provs.saved[plugin] = append(h.provs.saved[plugin], p)
		}
	}
	return nil
}

// checkProvider is the host's own check of a provider entry; the plugin
// checks the rest (ValidateConfig).
func checkProvider(p sdk.ProviderConfig) error {
	if !manifest.ValidName(p.Name) {
		return sdk.FieldError("name", "%q must be lower case letters, digits, '-' or '_'", p.Name)
	}
	if p.BaseURL == "" {
		return sdk.FieldError("base_url", "required (for example https://api.openai.com/v1)")
	}
	for i, k := range p.APIKeys {
		if k.Value == "" {
			return sdk.FieldError("api_keys["+strconv.Itoa(i)+"].value", "required")
		}
	}
	return nil
}

func (s *providerStore) skip(plugin, name, why string) {
	if s.skipped[plugin] == nil {
		s.skipped[plugin] = map[string]string{}
	}
	s.skipped[plugin][name] = why
}

// Providers is the plugin's provider list as it is configured now: the
// config file's, overlaid by the saved runtime ones (same name replaces),
// without skipped entries.
func (h *Host) Providers(plugin string) []sdk.ProviderConfig {
	h.provs.mu.Lock()
	defer h.provs.mu.Unlock()
	return h.mergedLocked(plugin, nil)
}

// mergedLocked merges the config's and the saved providers, with extra
// put in place of (or after) the one of its name.
func (h *Host) mergedLocked(plugin string, extra *sdk.ProviderConfig) []sdk.ProviderConfig {
	out := slices.Clone(h.Config().Plugins[plugin].Providers)
	put := func(p sdk.ProviderConfig) {
		if i := slices.IndexFunc(out, func(x sdk.ProviderConfig) bool { return x.Name == p.Name }); i >= 0 {
			out[i] = p
		} else {
			out = append(out, p)
		}
	}
	for _, p := range h.provs.saved[plugin] {
		put(p)
	}
	if extra != nil {
		put(*extra)
	}
	skipped := h.provs.skipped[plugin]
	return slices.DeleteFunc(out, func(p sdk.ProviderConfig) bool {
		_, skip := skipped[p.Name]
		return skip && (extra == nil || p.Name != extra.Name)
	})
}

// SkippedProviders are the plugin's providers left out, with the reason.
func (h *Host) SkippedProviders(plugin string) map[string]string {
	h.provs.mu.Lock()
	defer h.provs.mu.Unlock()
	out := map[string]string{}
	for n, why := range h.provs.skipped[plugin] {
		out[n] = why
	}
	return out
}

// ProviderPlugin finds the remote plugin that has the named provider
// (only plugin want, when not ""); "" when none has it.
func (h *Host) ProviderPlugin(name, want string) string {
	var plugins []string
	for _, p := range h.Plugins() {
		if p.manifest != nil && !p.IsLocal() && (want == "" || p.name == want) {
			plugins = append(plugins, p.name)
		}
	}
	sort.Strings(plugins)
	for _, plugin := range plugins {
		for _, p := range h.Providers(plugin) {
			if p.Name == name {
				return plugin
			}
		}
	}
	return ""
}

// saveLocked writes the runtime providers to the state file, atomically
// and readable by the owner only.
func (s *providerStore) saveLocked(saved map[string][]sdk.ProviderConfig) error {
	return s.writeLocked(saved, s.enabled)
}

// writeLocked writes the whole runtime state.
func (s *providerStore) writeLocked(saved map[string][]sdk.ProviderConfig, enabled map[string]bool) error {
	st := providerState{Plugins: map[string][]sdk.ProviderConfig{}, Enabled: enabled}
	for name, ps := range saved {
		if len(ps) > 0 {
			st.Plugins[name] = ps
		}
	}
	data, err := yaml.Marshal(st)
	if err != nil {
		return err
	}
	return atomicfile.Write(s.path, data)
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

// PutProvider adds or replaces a provider instance of a remote plugin.
// The plugin checks the resulting configuration first (ValidateConfig);
// only a configuration it accepts is saved and applied, so a rejected
// provider never reaches the state file. Errors name the field of the
// provider as sent ("base_url"), not its index in the merged list.
func (h *Host) PutProvider(ctx context.Context, plugin string, p sdk.ProviderConfig) error {
	if err := checkProvider(p); err != nil {
		return err
	}
	pl := h.Plugin(plugin)
	if pl == nil {
		return &sdk.Error{Code: sdk.CodePluginNotFound, Field: "plugin", Message: fmt.Sprintf("no plugin named %q", plugin)}
	}
	// One change at a time: validation, save and apply must see the same
	// list, or two concurrent puts could each validate without the other.
	h.provMu.Lock()
	defer h.provMu.Unlock()

	h.provs.mu.Lock()
	candidate := h.mergedLocked(plugin, &p)
	h.provs.mu.Unlock()
	idx := slices.IndexFunc(candidate, func(x sdk.ProviderConfig) bool { return x.Name == p.Name })
	cfg := h.pluginConfigWith(plugin, candidate)
	vctx, cancel := h.WithCallTimeout(ctx)
	defer cancel()
	conn, err := pl.Conn(vctx)
	if err != nil {
		return &sdk.Error{Code: sdk.CodePluginUnavailable, Retryable: true, Err: err,
			Message: fmt.Sprintf("plugin %s cannot check the provider now (%v); nothing was saved, retry shortly", plugin, err)}
	}
	applied := false
	switch err := conn.ValidateConfig(vctx, cfg); {
	case sdk.ErrorCode(err) == sdk.CodeUnimplemented:
		// A plugin that cannot check without applying is checked by
		// applying: only a configuration it accepts is saved, and a
		// refused one is taken back.
		if err := conn.Configure(vctx, cfg); err != nil {
			_ = conn.Configure(vctx, h.pluginConfig(plugin))
			return requestFieldError(err, idx, candidate)
		}
		applied = true
	case err != nil:
		return requestFieldError(err, idx, candidate)
	}

	h.provs.mu.Lock()
	saved := cloneSaved(h.provs.saved)
	list := saved[plugin]
	if i := slices.IndexFunc(list, func(x sdk.ProviderConfig) bool { return x.Name == p.Name }); i >= 0 {
		list[i] = p
	} else {
		list = append(list, p)
	}
	saved[plugin] = list
	err = h.provs.saveLocked(saved)
	if err == nil {
		h.provs.saved = saved
		delete(h.provs.skipped[plugin], p.Name)
	}
	h.provs.mu.Unlock()
	if err != nil {
		if applied {
			_ = h.reconfigure(ctx, plugin)
		}
		return sdk.WrapError(sdk.CodeInternal, err, "save providers (nothing was changed)")
	}
	return h.reconfigure(ctx, plugin)
}

func cloneSaved(m map[string][]sdk.ProviderConfig) map[string][]sdk.ProviderConfig {
	out := make(map[string][]sdk.ProviderConfig, len(m))
	for k, v := range m {
		out[k] = slices.Clone(v)
	}
	return out
}

var providerField = regexp.MustCompile(`^providers\[(\d+)\]\.?(.*)$`)

// requestFieldError maps a plugin's "providers[i].field" to the field of
// the request when i is the provider being put, and names the provider
// otherwise.
func requestFieldError(err error, idx int, list []sdk.ProviderConfig) error {
	e := *sdk.AsError(err)
	m := providerField.FindStringSubmatch(e.Field)
	if m == nil {
		return &e
	}
	i, _ := strconv.Atoi(m[1])
	switch {
	case i == idx:
		e.Field = m[2]
		if e.Field == "" {
			e.Field = "body"
		}
	case i >= 0 && i < len(list):
		e.Message = fmt.Sprintf("provider %s (already configured): %s", list[i].Name, e.Message)
		e.Field = ""
	}
	return &e
}

// DeleteProvider removes a provider instance added at runtime.
func (h *Host) DeleteProvider(ctx context.Context, plugin, name string) error {
	h.provMu.Lock()
	defer h.provMu.Unlock()
	h.provs.mu.Lock()
	saved := cloneSaved(h.provs.saved)
	i := slices.IndexFunc(saved[plugin], func(x sdk.ProviderConfig) bool { return x.Name == name })
	cfg := h.Config()
	inConfig := slices.ContainsFunc(cfg.Plugins[plugin].Providers, func(x sdk.ProviderConfig) bool { return x.Name == name })
	if i < 0 {
		h.provs.mu.Unlock()
		if inConfig {
			return sdk.Errorf(sdk.CodeFailedPrecondition, "provider %q is defined in the config file (%s); remove it there", name, cfg.Path)
		}
		return sdk.Errorf(sdk.CodeNotFound, "no provider named %q in plugin %s", name, plugin)
	}
	saved[plugin] = slices.Delete(saved[plugin], i, i+1)
	err := h.provs.saveLocked(saved)
	if err == nil {
		h.provs.saved = saved
		delete(h.provs.skipped[plugin], name)
	}
	h.provs.mu.Unlock()
	if err != nil {
		return sdk.WrapError(sdk.CodeInternal, err, "save providers (nothing was changed)")
	}
	return h.reconfigure(ctx, plugin)
}

func (h *Host) reconfigure(ctx context.Context, plugin string) error {
	h.models.invalidate(plugin)
	p := h.Plugin(plugin)
	if p == nil {
		return nil
	}
	ctx, cancel := h.WithCallTimeout(ctx)
	defer cancel()
	return p.Reconfigure(ctx)
}

// skipRefusedProvider is called when the plugin refuses its configuration
// at start: a refusal that names one provider ("providers[i]...") sets
// that provider aside, so the plugin starts with the others instead of
// failing Configure forever. It reports whether something was set aside
// (and Configure is worth another try).
func (h *Host) skipRefusedProvider(plugin string, sent *sdk.Config, err error) bool {
	m := providerField.FindStringSubmatch(sdk.AsError(err).Field)
	if m == nil || sent == nil {
		return false
	}
	i, _ := strconv.Atoi(m[1])
	if i < 0 || i >= len(sent.Providers) {
		return false
	}
	name := sent.Providers[i].Name
	// The reason is logged and shown in GET /v1/providers: a careless
	// plugin may have quoted the key it refused, so keys are masked.
	why := scrubKeys(sdk.AsError(err).Error(), sent.Providers)
	h.log.Error("provider refused by its plugin; left out until fixed", "plugin", plugin, "provider", name, "error", why)
	h.provs.mu.Lock()
	h.provs.skip(plugin, name, why)
	h.provs.mu.Unlock()
	return true
}

// scrubKeys masks every API key and header value of providers that
// appears in msg.
func scrubKeys(msg string, providers []sdk.ProviderConfig) string {
	for _, p := range providers {
		for _, k := range p.APIKeys {
			if len(k.Value) >= 4 {
				msg = strings.ReplaceAll(msg, k.Value, sdk.MaskKey(k.Value))
			}
		}
		for _, v := range p.Headers {
			if len(v) >= 4 {
				msg = strings.ReplaceAll(msg, v, sdk.MaskKey(v))
			}
		}
	}
	return msg
}
