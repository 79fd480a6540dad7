package host

import (
	"context"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"sort"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/roundhouse-ai/roundhouse/host/config"
)

// drainWait bounds how long a replaced plugin's in-flight calls may run
// before its old process is stopped anyway.
var drainWait = 30 * time.Second

// ApplyReport says what Apply changed.
type ApplyReport struct {
	Added        []string `json:"added"`
	Removed      []string `json:"removed"`
	Restarted    []string `json:"restarted"`
	Reconfigured []string `json:"reconfigured"`
	// Errors are plugins whose new manifest or binary is unusable, by
	// name: the previous version keeps serving (or, for a new plugin, it
	// is listed as invalid).
	Errors map[string]string `json:"errors"`
	// NeedsRestart are config keys that changed but only take effect when
	// the host restarts (the listen address).
	NeedsRestart []string `json:"needs_restart"`
}

func newReport() ApplyReport {
	return ApplyReport{Added: []string{}, Removed: []string{}, Restarted: []string{}, Reconfigured: []string{},
		Errors: map[string]string{}, NeedsRestart: []string{}}
}

// OnApply registers fn to be called with every configuration Apply puts
// in force (after the plugins changed).
func (h *Host) OnApply(fn func(*config.Config)) {
	h.onApplyMu.Lock()
	defer h.onApplyMu.Unlock()
	h.onApply = append(h.onApply, fn)
}

// Apply puts cfg in force: it rediscovers the plugin roots and diffs the
// result against what runs. New plugins are added; plugins gone from the
// roots are stopped and removed; a plugin whose manifest or executable
// changed is replaced: new calls go to the new version while the old
// process drains its in-flight calls (at most drainWait), then stops.
// A plugin whose new manifest is broken keeps its previous version
// serving, with the error recorded. Every other plugin is reconfigured
// when its settings or providers changed.
func (h *Host) Apply(ctx context.Context, cfg *config.Config) ApplyReport {
	h.applyMu.Lock()
	defer h.applyMu.Unlock()
	return h.applyLocked(ctx, cfg, Discover(cfg.PluginDirs))
}

func (h *Host) applyLocked(ctx context.Context, cfg *config.Config, cands []Candidate) ApplyReport {
	rep, _ := h.applyRetiring(ctx, cfg, cands)
	return rep
}

// applyRetiring is applyLocked that also returns, for each plugin it
// retired (replaced or removed), a channel closed once that plugin stopped.
func (h *Host) applyRetiring(ctx context.Context, cfg *config.Config, cands []Candidate) (ApplyReport, map[*Plugin]chan struct{}) {
	rep := newReport()
	old := h.Config()
	for _, k := range restartKeys(old, cfg) {
		rep.NeedsRestart = append(rep.NeedsRestart, k)
		h.log.Warn("config change needs a host restart to take effect", "key", k)
	}
	h.cfg.Store(cfg)
	h.dispatch.SetConfig(cfg.Routing)

	current := h.Plugins()
	byDir := map[string]*Plugin{}
	for _, p := range current {
		byDir[p.cand.Dir] = p
	}
	next := map[string]*Plugin{}
	var replaced, reconf []*Plugin
	var fresh []*Plugin
	for _, c := range cands {
		name := c.Name()
		prev := h.Plugin(name)
		if prev == nil || (c.Err != nil && prev.cand.Dir != c.Dir) {
			// A broken manifest names the plugin after its directory: find
			// the version that runs from that directory.
			if p := byDir[c.Dir]; p != nil {
				prev = p
			}
		}
		if prev != nil && next[prev.name] != nil {
			prev = nil
		}
		switch {
		case next[name] != nil:
			h.log.Error("duplicate plugin ignored", "plugin", name, "dir", c.Dir, "error", c.Err)
			continue
		case prev == nil:
			p := h.newPlugin(cfg, c)
			next[name] = p
			fresh = append(fresh, p)
			rep.Added = append(rep.Added, name)
			if c.Err != nil {
				rep.Errors[name] = c.Err.Error()
				h.log.Error("plugin unusable", "plugin", name, "dir", c.Dir, "error", c.Err)
			}
		case c.Err != nil && prev.cand.Err != nil:
			// Still unusable: show the new error, nothing runs to replace.
			p := h.newPlugin(cfg, c)
			next[name] = p
			replaced = append(replaced, prev)
			rep.Errors[name] = c.Err.Error()
		case c.Err != nil && prev.cand.Err == nil:
			// Keep the last good version serving.
			prev.setReloadError(c.Err.Error())
			next[prev.name] = prev
			rep.Errors[prev.name] = c.Err.Error()
			h.log.Error("plugin update unusable; the previous version keeps serving", "plugin", prev.name, "dir", c.Dir, "error", c.Err)
		case prev.fingerprint != c.Fingerprint || prev.cand.Dir != c.Dir || prev.name != name ||
			prev.envKey != envKey(cfg.Plugins[name].Env) || c.Err != nil:
			p := h.newPlugin(cfg, c)
			next[name] = p
			replaced = append(replaced, prev)
			if c.Err != nil {
				rep.Errors[name] = c.Err.Error()
			}
			rep.Restarted = append(rep.Restarted, name)
		default:
			prev.setReloadError("")
			next[name] = prev
			if h.setDisabled(prev, h.disabled(cfg, name)) || pluginSettingsChanged(old, cfg, name) {
				reconf = append(reconf, prev)
				rep.Reconfigured = append(rep.Reconfigured, name)
			}
		}
	}
	var removed []*Plugin
	for _, p := range current {
		if next[p.name] != p && !slices.Contains(replaced, p) {
			removed = append(removed, p)
			rep.Removed = append(rep.Removed, p.name)
		}
	}

	h.mu.Lock()
	h.plugins = next
	h.order = slices.Sorted(maps.Keys(next))
	h.mu.Unlock()

	for _, p := range removed {
		h.models.invalidate(p.name)
		h.log.Info("plugin removed; stopping it once its calls finish", "plugin", p.name, "in_flight", p.InFlight())
	}
	for _, prev := range replaced {
		h.models.invalidate(prev.name)
		h.log.Info("plugin changed; replacing it once its calls finish", "plugin", prev.name, "in_flight", prev.InFlight())
	}
	// A removed plugin is out of the routing table already; like a replaced
	// one, it finishes the calls it has (a stream in flight is not cut) and
	// then stops.
	retired := h.retire(append(replaced, removed...), next, cfg)
	eager := cfg.Start == "eager"
	for _, p := range fresh {
		h.models.invalidate(p.name)
		if eager {
			p.Start()
		}
	}
	for _, p := range reconf {
		h.models.invalidate(p.name)
		if p.State() == StateRunning {
			cctx, cancel := h.WithCallTimeout(ctx)
			if err := p.Reconfigure(cctx); err != nil {
				rep.Errors[p.name] = err.Error()
			}
			cancel()
		} else if eager {
			p.Start()
		}
	}
	sort.Strings(rep.Added)
	sort.Strings(rep.Removed)
	sort.Strings(rep.Restarted)

	h.onApplyMu.Lock()
	fns := slices.Clone(h.onApply)
	h.onApplyMu.Unlock()
	for _, fn := range fns {
		fn(cfg)
	}
	return rep, retired
}

// retire drains each replaced or removed plugin in the background and
// stops it; a successor starts then (or earlier, on its first call), so a
// stream in flight finishes on the version that began it. The returned
// channels close when each plugin has stopped.
func (h *Host) retire(replaced []*Plugin, next map[string]*Plugin, cfg *config.Config) map[*Plugin]chan struct{} {
	done := make(map[*Plugin]chan struct{}, len(replaced))
	for _, prev := range replaced {
		succ := next[prev.name]
		wasRunning := prev.State() == StateRunning
		stopped := make(chan struct{})
		done[prev] = stopped
		go func() {
			defer close(stopped)
			ctx, cancel := context.WithTimeout(context.Background(), drainWait)
			defer cancel()
			if !prev.Drain(ctx) {
				h.log.Warn("plugin calls still in flight after the drain wait; stopping the old version anyway", "plugin", prev.name, "in_flight", prev.InFlight())
			}
			prev.Close()
			if succ == nil {
				h.log.Info("plugin stopped", "plugin", prev.name)
				return
			}
			if wasRunning || cfg.Start == "eager" {
				succ.Start()
			}
			h.log.Info("plugin replaced", "plugin", prev.name)
		}()
	}
	return done
}

// restartKeys are the config keys that changed but need a host restart.
func restartKeys(old, cfg *config.Config) []string {
	var out []string
	if old.Listen != cfg.Listen {
		out = append(out, "listen")
	}
	if old.DataDir != cfg.DataDir {
		out = append(out, "data_dir")
	}
	if old.Limits.ReadHeaderTimeout != cfg.Limits.ReadHeaderTimeout {
		out = append(out, "limits.read_header_timeout")
	}
	if old.PlainPluginSocket != cfg.PlainPluginSocket {
		out = append(out, "plain_plugin_socket")
	}
	// The meter's usage store and metrics are built at start (pricing,
	// budgets, alerts and the cache follow reloads: meter.Reconfigure).
	for key, v := range map[string][2]any{"usage": {old.Usage, cfg.Usage}, "metrics": {old.Metrics, cfg.Metrics}} {
		if yamlOf(v[0]) != yamlOf(v[1]) {
			out = append(out, key)
		}
	}
	slices.Sort(out)
	return out
}

// pluginSettingsChanged reports whether what Configure sends changed.
func pluginSettingsChanged(old, cfg *config.Config, name string) bool {
	a, b := old.Plugins[name], cfg.Plugins[name]
	// Compared as YAML: an empty list and no list are the same setting.
	return yamlOf(a.Settings) != yamlOf(b.Settings) || yamlOf(a.Providers) != yamlOf(b.Providers)
}

func yamlOf(v any) string {
	switch rv := reflect.ValueOf(v); rv.Kind() {
	case reflect.Map, reflect.Slice, reflect.Array, reflect.String:
		if rv.Len() == 0 {
			return ""
		}
	}
	b, err := yaml.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}

// envKey is a comparable form of a plugin's environment: a change
// restarts the plugin (a process's environment is fixed at start).
func envKey(env map[string]string) string {
	keys := slices.Sorted(maps.Keys(env))
	var b strings.Builder
	for _, k := range keys {
		b.WriteString(k + "=" + env[k] + "\x00")
	}
	return b.String()
}
