package harness

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/roundhouse-ai/roundhouse/client"
)

// HostOptions say how to run `roundhouse serve`.
type HostOptions struct {
	// Bin is the roundhouse binary.
	Bin string
	// PluginDirs are the plugin roots (plugin_dirs).
	PluginDirs []string
	// Dir holds the config file, the data dir and the log; it must exist.
	Dir string
	// Plugins is the config's plugins map (name → {providers, settings,
	// env, disabled}).
	Plugins map[string]any
	// Limits is the config's limits map (nil: defaults).
	Limits map[string]any
	// LogLevel (default "warn").
	LogLevel string
	// Env is added to the host's environment.
	Env []string
}

// Host is a running `roundhouse serve`.
type Host struct {
	*Proc
	Addr    string // 127.0.0.1:PORT
	URL     string // http://127.0.0.1:PORT
	LogPath string
	Started time.Time // just before exec
	client  *http.Client
}

// writeConfig writes the host config for o listening on addr. YAML is a
// superset of JSON, so the config is JSON.
func writeConfig(o HostOptions, addr string) (string, error) {
	level := o.LogLevel
	if level == "" {
		level = "warn"
	}
	cfg := map[string]any{
		"listen":          addr,
		"plugin_dirs":     o.PluginDirs,
		"data_dir":        filepath.Join(o.Dir, "data"),
		"start":           "eager",
		"log_level":       level,
		"health_interval": "10s",
		"plugins":         o.Plugins,
	}
	if cfg["plugins"] == nil {
		cfg["plugins"] = map[string]any{}
	}
	if o.Limits != nil {
		cfg["limits"] = o.Limits
	}
	b, err := json.MarshalIndent(cfg, "", "  ")
	if err != nil {
		return "", err
	}
	path := filepath.Join(o.Dir, "roundhouse.yaml")
	return path, os.WriteFile(path, b, 0o600)
}

// hostEnv is this process's environment without the variables that would
// override the config (ROUNDHOUSE_*) or send loopback traffic to a proxy.
func hostEnv(extra []string) []string {
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		switch {
		case strings.HasPrefix(k, "ROUNDHOUSE_"):
		case strings.EqualFold(k, "http_proxy"), strings.EqualFold(k, "https_proxy"),
			strings.EqualFold(k, "all_proxy"), strings.EqualFold(k, "no_proxy"):
		default:
			env = append(env, kv)
		}
	}
	return append(env, extra...)
}

// StartHost writes the config and execs `roundhouse serve` on a free
// loopback port. It does not wait for anything: Host.Started is the
// instant before exec, for cold-start timing.
func StartHost(o HostOptions) (*Host, error) {
	if _, err := os.Stat(o.Bin); err != nil {
		return nil, fmt.Errorf("%s: %w (run make build first)", o.Bin, err)
	}
	port, err := FreePort()
	if err != nil {
		return nil, err
	}
	addr := "127.0.0.1:" + strconv.Itoa(port)
	cfgPath, err := writeConfig(o, addr)
	if err != nil {
		return nil, err
	}
	logPath := filepath.Join(o.Dir, "host.log")
	logf, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, err
	}
	defer logf.Close()
	cmd := exec.Command(o.Bin, "serve", "--config", cfgPath, "--listen", addr)
	cmd.Env = hostEnv(o.Env)
	cmd.Dir = o.Dir
	cmd.Stdout = logf
	cmd.Stderr = logf
	h := &Host{Addr: addr, URL: "http://" + addr, LogPath: logPath,
		client: &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{Proxy: nil, MaxIdleConnsPerHost: 4}}}
	h.Started = time.Now()
	if h.Proc, err = Launch("roundhouse serve", cmd); err != nil {
		return nil, err
	}
	return h, nil
}

// Stop stops the host and its plugins (one process group).
func (h *Host) Stop() { h.Proc.Stop(5 * time.Second) }

// LogTail is the end of the host's log.
func (h *Host) LogTail(n int) string {
	b, _ := os.ReadFile(h.LogPath)
	if len(b) > n {
		b = b[len(b)-n:]
	}
	return string(b)
}

// Plugins is GET /v1/plugins.
func (h *Host) Plugins(ctx context.Context) ([]client.PluginStatus, error) {
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, h.URL+"/v1/plugins", nil)
	resp, err := h.client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET /v1/plugins: HTTP %d", resp.StatusCode)
	}
	var l client.PluginList
	if err := json.NewDecoder(resp.Body).Decode(&l); err != nil {
		return nil, err
	}
	return l.Plugins, nil
}

// Version is GET /version.
func (h *Host) Version(ctx context.Context) (client.VersionResponse, error) {
	var v client.VersionResponse
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, h.URL+"/version", nil)
	resp, err := h.client.Do(req)
	if err != nil {
		return v, err
	}
	defer resp.Body.Close()
	return v, json.NewDecoder(resp.Body).Decode(&v)
}

// ErrHostExited means the host process ended while being waited for.
var ErrHostExited = errors.New("roundhouse serve exited")

// WaitPlugins polls GET /v1/plugins every interval until ready says the
// list is complete, the host exits, or ctx ends. It returns the last list
// and when ready first held.
func (h *Host) WaitPlugins(ctx context.Context, interval time.Duration, ready func([]client.PluginStatus) bool) ([]client.PluginStatus, time.Time, error) {
	var last []client.PluginStatus
	var lastErr error
	for {
		ps, err := h.Plugins(ctx)
		now := time.Now()
		if err == nil {
			last = ps
			if ready(ps) {
				return ps, now, nil
			}
		} else {
			lastErr = err
		}
		if h.Exited() {
			return last, now, fmt.Errorf("%w: %v\n%s", ErrHostExited, h.Proc.waitErr, h.LogTail(2000))
		}
		select {
		case <-ctx.Done():
			if last == nil && lastErr != nil {
				return nil, now, fmt.Errorf("host never answered GET /v1/plugins: %v\n%s", lastErr, h.LogTail(2000))
			}
			return last, now, fmt.Errorf("plugins not ready: %s\n%s", Describe(last), h.LogTail(2000))
		case <-time.After(interval):
		}
	}
}

// AllRunning reports whether every plugin that is not disabled runs, and
// there is at least one.
func AllRunning(ps []client.PluginStatus) bool {
	n := 0
	for _, p := range ps {
		switch p.State {
		case "disabled":
			continue
		case "running":
			if p.PID == 0 {
				return false
			}
			n++
		default:
			return false
		}
	}
	return n > 0
}

// Describe lists the plugins' states for error messages.
func Describe(ps []client.PluginStatus) string {
	var b strings.Builder
	for i, p := range ps {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%s=%s", p.Name, p.State)
		if p.LastError != "" {
			fmt.Fprintf(&b, " (%s)", p.LastError)
		}
	}
	if len(ps) == 0 {
		return "no plugins discovered"
	}
	return b.String()
}

// Find returns the named plugin of ps.
func Find(ps []client.PluginStatus, name string) (client.PluginStatus, bool) {
	for _, p := range ps {
		if p.Name == name {
			return p, true
		}
	}
	return client.PluginStatus{}, false
}

// KillPlugin SIGKILLs the named plugin's process and times how long the
// host takes to have it running again under a new pid.
func (h *Host) KillPlugin(ctx context.Context, name string) (time.Duration, int, int, error) {
	ps, err := h.Plugins(ctx)
	if err != nil {
		return 0, 0, 0, err
	}
	p, ok := Find(ps, name)
	if !ok || p.State != "running" || p.PID == 0 {
		return 0, 0, 0, fmt.Errorf("plugin %s not running: %s", name, Describe(ps))
	}
	old := p.PID
	t0 := time.Now()
	if err := syscall.Kill(old, syscall.SIGKILL); err != nil {
		return 0, old, 0, fmt.Errorf("kill %s (pid %d): %w", name, old, err)
	}
	ps, at, err := h.WaitPlugins(ctx, 2*time.Millisecond, func(ps []client.PluginStatus) bool {
		q, ok := Find(ps, name)
		return ok && q.State == "running" && q.PID != 0 && q.PID != old
	})
	if err != nil {
		return 0, old, 0, err
	}
	q, _ := Find(ps, name)
	return at.Sub(t0), old, q.PID, nil
}
