// Package config loads the host's configuration: an embedded default,
// overlaid by a YAML file and by environment variables.
package config

import (
	"bytes"
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/roundhouse-ai/roundhouse/sdk"
	"github.com/roundhouse-ai/roundhouse/sdk/manifest"
)

//go:embed default.yaml
var defaultYAML []byte

// DefaultYAML is the embedded default configuration, as documentation.
func DefaultYAML() []byte { return bytes.Clone(defaultYAML) }

// Config is the host's configuration.
type Config struct {
	// Listen is the HTTP address; keep it on loopback unless you add
	// authentication in front. Env ROUNDHOUSE_HOST overrides.
	Listen string `yaml:"listen"`
	// PluginDirs are roots scanned for <root>/<plugin>/plugin.yaml. Relative
	// roots resolve against the config file's dir (or the working dir for
	// the embedded default).
	PluginDirs []string `yaml:"plugin_dirs"`
	// DataDir holds plugin data (engines, models) and runtime state.
	DataDir string `yaml:"data_dir"`
	// Start is "eager" (start every plugin at host start) or "lazy" (on
	// first use).
	Start string `yaml:"start"`
	// Plugins holds per-plugin settings, by plugin name.
	Plugins map[string]PluginConfig `yaml:"plugins"`
	Limits  Limits                  `yaml:"limits"`
	// AllowedOrigins are the web origins ("http://localhost:3000",
	// "tauri://localhost", "https://*.example.com") whose pages may call
	// the API from a browser. Every other page is refused with 403 before
	// any handler runs: the host listens on loopback, and every web page
	// the user opens can send requests to loopback. Default: none. Env
	// ROUNDHOUSE_ORIGINS (comma-separated) adds to it, like OLLAMA_ORIGINS.
	AllowedOrigins []string `yaml:"allowed_origins"`
	// CORSOrigins is the former name of AllowedOrigins; its entries are
	// added to AllowedOrigins.
	CORSOrigins []string `yaml:"cors_origins"`
	// AdminToken, when set, is required (Authorization: Bearer) on the
	// admin routes: provider and engine management, plugin restarts,
	// pprof. Unset, those routes answer loopback clients only. Env
	// ROUNDHOUSE_ADMIN_TOKEN overrides.
	AdminToken string `yaml:"admin_token"`
	// APIKeys, when any is set, are required on every route but /health
	// and /version (Authorization: Bearer <key>). They are stored hashed:
	// `roundhouse keys new NAME` prints a key and the entry to paste here.
	// Required when Listen is not a loopback address.
	APIKeys []APIKey `yaml:"api_keys"`
	// AllowedHosts are extra Host header values accepted besides loopback
	// names (DNS-rebinding protection for the loopback API).
	AllowedHosts []string `yaml:"allowed_hosts"`
	// LogLevel: debug, info, warn, error.
	LogLevel string `yaml:"log_level"`
	// HealthInterval between plugin health checks.
	HealthInterval time.Duration `yaml:"health_interval"`
	// HealthFailures is how many health checks in a row a plugin may
	// leave unanswered before the supervisor kills and restarts it (a
	// hung plugin). A plugin that answers "not serving" is degraded, not
	// hung, and is not restarted.
	HealthFailures int `yaml:"health_failures"`
	// PlainPluginSocket, when set, talks gRPC to plugins without TLS
	// on their unix socket (go-plugin's AutoMTLS is on by default). The
	// socket lives in a private (0700) directory, so only this user (and
	// root) can reach it, and a plugin binary's sha256 is still checked
	// before it runs; what is given up is that another process of the
	// same user could connect to a plugin and call it. Saves the TLS
	// cost of every host↔plugin byte (5–10 % of throughput here).
	// Applies to plugins started after the change (*restart*).
	PlainPluginSocket bool `yaml:"plain_plugin_socket"`
	// CallTimeout bounds host→plugin calls that are not service calls:
	// model lists, provider lists, health, info, engine status.
	CallTimeout time.Duration `yaml:"call_timeout"`
	// Routing configures the dispatch chain: strategies, model groups,
	// fallbacks, breaker and retries (see routing.go).
	Routing Routing `yaml:"routing"`

	// Usage, pricing, budgets, alerts, cache and metrics: see usage.go.
	Usage   Usage    `yaml:"usage"`
	Pricing []Price  `yaml:"pricing"`
	Budgets []Budget `yaml:"budgets"`
	Alerts  Alerts   `yaml:"alerts"`
	Cache   Cache    `yaml:"cache"`
	Metrics Metrics  `yaml:"metrics"`

	// Path is the file this config was loaded from ("" for the default).
	Path string `yaml:"-"`
}

// PluginConfig is one plugin's host-side configuration.
type PluginConfig struct {
	// Disabled plugins are discovered but never started.
	Disabled bool `yaml:"disabled"`
	// Settings are handed to the plugin's Configure (engine_host,
	// manage_engine, ...).
	Settings map[string]any `yaml:"settings"`
	// Providers are a remote plugin's upstream instances, with credentials.
	Providers []sdk.ProviderConfig `yaml:"providers"`
	// Env adds variables to the plugin's environment (not for secrets:
	// use providers or settings, which travel over Configure).
	Env map[string]string `yaml:"env"`
}

// APIKey is one host API key, stored as the SHA-256 of the key.
type APIKey struct {
	// Name identifies the caller (the "app" in usage records).
	Name string `yaml:"name"`
	// SHA256 is the hex SHA-256 of the key.
	SHA256 string `yaml:"sha256"`
	// Scopes: "invoke" (services and the compatible APIs, reading state)
	// and "admin" (providers, engines, plugins, model pull/delete/load/
	// unload). Empty means invoke.
	Scopes []string `yaml:"scopes"`
}

// Key scopes.
const (
	ScopeInvoke = "invoke"
	ScopeAdmin  = "admin"
)

// Limits protect the host from runaway clients.
type Limits struct {
	// MaxBodyBytes caps bodies of media routes (audio, images).
	MaxBodyBytes int64 `yaml:"max_body_bytes"`
	// MaxJSONBodyBytes caps bodies of every other route (chat, embed,
	// management).
	MaxJSONBodyBytes    int64         `yaml:"max_json_body_bytes"`
	MaxStreamsPerClient int           `yaml:"max_streams_per_client"`
	ReadHeaderTimeout   time.Duration `yaml:"read_header_timeout"`
	// BodyReadTimeout bounds reading one request body: a client that
	// trickles its upload is cut off.
	BodyReadTimeout time.Duration `yaml:"body_read_timeout"`
	// MaxConcurrentRequests and MaxInflightBodyBytes bound what the host
	// holds at once; past them requests get 429 with Retry-After.
	MaxConcurrentRequests int   `yaml:"max_concurrent_requests"`
	MaxInflightBodyBytes  int64 `yaml:"max_inflight_body_bytes"`
	// MaxBlobBytes caps one blob upload (POST /api/blobs/:digest), whose
	// body is streamed to the plugin, never held whole: 0 = no cap. A blob
	// counts one chunk (1 MiB) against MaxInflightBodyBytes, and
	// BodyReadTimeout bounds a pause in it rather than the whole upload.
	MaxBlobBytes int64 `yaml:"max_blob_bytes"`
}

// Load reads the embedded default, then path (if not ""), then applies
// environment overrides, and validates the result.
func Load(path string) (*Config, error) {
	var c Config
	if err := yaml.Unmarshal(defaultYAML, &c); err != nil {
		return nil, fmt.Errorf("embedded default config: %w", err)
	}
	base, _ := os.Getwd()
	if path != "" {
		data, err := os.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("read config: %w", err)
		}
		dec := yaml.NewDecoder(bytes.NewReader(data))
		dec.KnownFields(true)
		// An empty (or comments-only) file is an empty overlay, not the
		// bare "EOF" the decoder reports for it (found by FuzzLoad).
		if err := dec.Decode(&c); err != nil && !errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		abs, err := filepath.Abs(path)
		if err != nil {
			return nil, err
		}
		c.Path = abs
		base = filepath.Dir(abs)
	}
	c.applyEnv()
	c.resolve(base)
	if err := c.Validate(); err != nil {
		return nil, err
	}
	return &c, nil
}

func (c *Config) applyEnv() {
	if v := os.Getenv("ROUNDHOUSE_HOST"); v != "" {
		c.Listen = v
	}
	if v := os.Getenv("ROUNDHOUSE_PLUGIN_DIRS"); v != "" {
		c.PluginDirs = filepath.SplitList(v)
	}
	if v := os.Getenv("ROUNDHOUSE_DATA_DIR"); v != "" {
		c.DataDir = v
	}
	if v := os.Getenv("ROUNDHOUSE_ADMIN_TOKEN"); v != "" {
		c.AdminToken = v
	}
	if v := os.Getenv("ROUNDHOUSE_LOG_LEVEL"); v != "" {
		c.LogLevel = v
	}
	if v := os.Getenv("ROUNDHOUSE_ORIGINS"); v != "" {
		for _, o := range strings.Split(v, ",") {
			if o = strings.TrimSpace(o); o != "" {
				c.AllowedOrigins = append(c.AllowedOrigins, o)
			}
		}
	}
}

func (c *Config) resolve(base string) {
	c.Listen = strings.TrimPrefix(strings.TrimPrefix(c.Listen, "http://"), "https://")
	c.AllowedOrigins = append(c.AllowedOrigins, c.CORSOrigins...)
	c.CORSOrigins = nil
	for i, d := range c.PluginDirs {
		d = expandHome(manifest.ExpandVars(d))
		if !filepath.IsAbs(d) {
			d = filepath.Join(base, d)
		}
		c.PluginDirs[i] = d
	}
	if c.DataDir == "" {
		c.DataDir = defaultDataDir()
	}
	c.DataDir = expandHome(manifest.ExpandVars(c.DataDir))
	if !filepath.IsAbs(c.DataDir) {
		c.DataDir = filepath.Join(base, c.DataDir)
	}
}

// Validate checks the configuration, naming the field at fault.
func (c *Config) Validate() error {
	if _, _, err := net.SplitHostPort(c.Listen); err != nil {
		return fmt.Errorf("listen: %q is not host:port: %v", c.Listen, err)
	}
	switch c.Start {
	case "eager", "lazy":
	default:
		return fmt.Errorf("start: %q must be eager or lazy", c.Start)
	}
	for name, p := range c.Plugins {
		if !manifest.ValidName(name) {
			// Quoted: the bad name may hold spaces, colons or nothing at all.
			return fmt.Errorf("plugins.%q: not a valid plugin name; use lower case letters, digits, '-' or '_'", name)
		}
		seen := map[string]bool{}
		for i, pr := range p.Providers {
			if !manifest.ValidName(pr.Name) {
				return fmt.Errorf("plugins.%s.providers[%d].name: %q must be lower case letters, digits, '-' or '_'", name, i, pr.Name)
			}
			if seen[pr.Name] {
				return fmt.Errorf("plugins.%s.providers[%d].name: duplicate %q", name, i, pr.Name)
			}
			seen[pr.Name] = true
			if pr.BaseURL == "" {
				return fmt.Errorf("plugins.%s.providers[%d].base_url: required", name, i)
			}
		}
	}
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		return fmt.Errorf("log_level: %q must be debug, info, warn or error", c.LogLevel)
	}
	for i, o := range c.AllowedOrigins {
		if err := validOrigin(o); err != nil {
			return fmt.Errorf("allowed_origins[%d]: %q %v", i, o, err)
		}
	}
	names := map[string]bool{}
	for i, k := range c.APIKeys {
		if k.Name == "" || names[k.Name] {
			return fmt.Errorf("api_keys[%d].name: required and unique", i)
		}
		names[k.Name] = true
		if b, err := hex.DecodeString(k.SHA256); err != nil || len(b) != sha256.Size {
			return fmt.Errorf("api_keys[%d].sha256: must be 64 hex digits (roundhouse keys new %s prints it)", i, k.Name)
		}
		for j, s := range k.Scopes {
			if s != ScopeInvoke && s != ScopeAdmin {
				return fmt.Errorf("api_keys[%d].scopes[%d]: %q must be invoke or admin", i, j, s)
			}
		}
	}
	if err := c.validateUsage(); err != nil {
		return err
	}
	if err := c.Routing.Validate(); err != nil {
		return err
	}
	if !IsLoopback(c.Listen) && len(c.APIKeys) == 0 {
		return fmt.Errorf("listen: %s is reachable beyond this machine but no api_keys are set, so anyone on the network could use the host; "+
			"create a key with `roundhouse keys new NAME --scope admin` and add it under api_keys, or listen on 127.0.0.1", c.Listen)
	}
	return nil
}

// IsLoopback reports whether the listen address only accepts connections
// from this machine.
func IsLoopback(listen string) bool {
	host, _, err := net.SplitHostPort(listen)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// validOrigin accepts "scheme://host[:port]" with an optional "*" glob,
// "*" alone and "null".
func validOrigin(o string) error {
	if o == "*" || o == "null" {
		return nil
	}
	scheme, rest, ok := strings.Cut(o, "://")
	if !ok || scheme == "" || rest == "" || strings.ContainsAny(rest, "/?#") {
		return fmt.Errorf("must be an origin like http://localhost:3000 (scheme://host[:port], no path)")
	}
	return nil
}

// PluginDataDir is the writable directory of one plugin.
func (c *Config) PluginDataDir(name string) string {
	return filepath.Join(c.DataDir, "plugins", name)
}

func defaultDataDir() string {
	if d := os.Getenv("XDG_DATA_HOME"); d != "" {
		return filepath.Join(d, "roundhouse")
	}
	if h, err := os.UserHomeDir(); err == nil {
		return filepath.Join(h, ".roundhouse")
	}
	return filepath.Join(os.TempDir(), "roundhouse")
}

func expandHome(p string) string {
	if p == "~" || strings.HasPrefix(p, "~/") {
		if h, err := os.UserHomeDir(); err == nil {
			return filepath.Join(h, p[1:])
		}
	}
	return p
}
