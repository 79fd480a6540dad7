package main

import (
	"fmt"
	"log/slog"
	"maps"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/roundhouse-ai/roundhouse/sdk"
	"github.com/roundhouse-ai/roundhouse/sdk/manifest"
)

// manageMode is the manage_engine setting.
type manageMode string

const (
	manageAuto  manageMode = "auto"  // attach if an Ollama answers, else run one
	manageTrue  manageMode = "true"  // always run our own; never attach
	manageFalse manageMode = "false" // never run one; attach to engine_host
)

// Engine modes, as Info and EngineStatus report them.
const (
	modeManaged  = "managed"
	modeAttached = "attached"
)

const (
	defaultEngineHost   = "127.0.0.1:16677"
	defaultStartTimeout = 60 * time.Second
)

// settings is the plugin's configuration, resolved: every path absolute,
// every default filled in.
type settings struct {
	hostPort     string   // host:port, what OLLAMA_HOST gets
	baseURL      *url.URL // what the client talks to
	manage       manageMode
	ollamaPath   string // explicit executable; "" = detect
	dataDir      string
	modelsDir    string
	downloadDir  string
	downloadURL  string
	downloadSHA  string
	engineEnv    map[string]string
	startTimeout time.Duration
}

// engineKey is what, when it changes, means a running managed engine must
// be restarted to follow the configuration.
func (s settings) engineKey() string {
	keys := make([]string, 0, len(s.engineEnv))
	for k, v := range s.engineEnv {
		keys = append(keys, k+"="+v)
	}
	sort.Strings(keys)
	return strings.Join([]string{s.hostPort, string(s.manage), s.ollamaPath, s.modelsDir, s.dataDir, strings.Join(keys, "\x00")}, "\x01")
}

// knownSettings lists the keys Configure understands; others are logged,
// since a typo would otherwise be silently ignored.
var knownSettings = map[string]bool{
	"engine_host": true, "manage_engine": true, "ollama_path": true, "ollama": true,
	"models_dir": true, "download_dir": true, "download_url": true, "download_sha256": true,
	"engine_env": true, "start_timeout": true, "data_dir": true,
}

// parseSettings resolves cfg against the manifest's defaults. Errors name
// the setting at fault as "settings.<key>".
func parseSettings(cfg *sdk.Config, m *manifest.Manifest) (settings, error) {
	in := map[string]any{}
	var err error
	dataDir := ""
	if cfg != nil {
		maps.Copy(in, cfg.Settings)
		dataDir = cfg.DataDir
	}
	for k := range in {
		if !knownSettings[k] {
			slog.Warn("unknown ollama plugin setting ignored", "setting", k)
		}
	}
	str := func(key string) (string, error) {
		v, ok := in[key]
		if !ok || v == nil {
			return "", nil
		}
		s, ok := v.(string)
		if !ok {
			return "", sdk.FieldError("settings."+key, "must be a string, got %T", v)
		}
		return strings.TrimSpace(s), nil
	}
	var s settings

	// Paths: settings, then the manifest's resources, then the data dir.
	res := m.Resources.Extra
	if dataDir == "" {
		if dataDir, err = str("data_dir"); err != nil {
			return s, err
		}
	}
	if dataDir == "" && os.Getenv("ROUNDHOUSE_DATA_DIR") != "" {
		dataDir = m.Resources.DataDir
	}
	if dataDir == "" {
		base, err := os.UserCacheDir()
		if err != nil {
			base = os.TempDir()
		}
		dataDir = filepath.Join(base, "roundhouse", "ollama")
	}
	if s.dataDir, err = filepath.Abs(dataDir); err != nil {
		return s, sdk.FieldError("settings.data_dir", "%v", err)
	}
	pathSetting := func(key, resource, def string) (string, error) {
		v, err := str(key)
		if err != nil {
			return "", err
		}
		if v == "" {
			v = res[resource]
		}
		if v == "" {
			v = def
		}
		if v == "" {
			return "", nil
		}
		if !filepath.IsAbs(v) {
			v = filepath.Join(s.dataDir, v)
		}
		return filepath.Clean(v), nil
	}
	if s.ollamaPath, err = pathSetting("ollama_path", "ollama", ""); err != nil {
		return s, err
	}
	if s.ollamaPath == "" {
		if s.ollamaPath, err = pathSetting("ollama", "ollama", ""); err != nil {
			return s, err
		}
	}
	if s.modelsDir, err = pathSetting("models_dir", "models_dir", filepath.Join(s.dataDir, "models")); err != nil {
		return s, err
	}
	if s.downloadDir, err = pathSetting("download_dir", "download_dir", filepath.Join(s.dataDir, "downloads")); err != nil {
		return s, err
	}

	host, err := str("engine_host")
	if err != nil {
		return s, err
	}
	if host == "" {
		host = m.Provider.EngineHost
	}
	if host == "" {
		host = defaultEngineHost
	}
	if s.hostPort, s.baseURL, err = parseEngineHost(host); err != nil {
		return s, sdk.FieldError("settings.engine_host", "%v", err)
	}

	s.manage = manageAuto
	switch v := in["manage_engine"].(type) {
	case nil:
	case bool:
		s.manage = manageFalse
		if v {
			s.manage = manageTrue
		}
	case string:
		switch strings.ToLower(strings.TrimSpace(v)) {
		case "", "auto":
		case "true", "yes", "on", "managed":
			s.manage = manageTrue
		case "false", "no", "off", "attached":
			s.manage = manageFalse
		default:
			return s, sdk.FieldError("settings.manage_engine", "unknown value %q (want auto, true or false)", v)
		}
	default:
		return s, sdk.FieldError("settings.manage_engine", "must be auto, true or false, got %T", v)
	}

	if s.downloadURL, err = str("download_url"); err != nil {
		return s, err
	}
	if s.downloadSHA, err = str("download_sha256"); err != nil {
		return s, err
	}
	if s.downloadSHA != "" && !isSHA256(s.downloadSHA) {
		return s, sdk.FieldError("settings.download_sha256", "must be 64 hex digits")
	}

	s.engineEnv = map[string]string{}
	if raw, ok := in["engine_env"]; ok && raw != nil {
		envMap, ok := raw.(map[string]any)
		if !ok {
			return s, sdk.FieldError("settings.engine_env", "must be an object of environment variables, such as {\"OLLAMA_NUM_PARALLEL\": \"2\"}")
		}
		for k, v := range envMap {
			if k == "" || strings.ContainsAny(k, "=\x00") {
				return s, sdk.FieldError("settings.engine_env", "invalid variable name %q", k)
			}
			if k == "OLLAMA_HOST" || k == "OLLAMA_MODELS" {
				return s, sdk.FieldError("settings.engine_env."+k, "set engine_host or models_dir instead")
			}
			s.engineEnv[k] = fmt.Sprint(v)
		}
	}

	s.startTimeout = defaultStartTimeout
	switch v := in["start_timeout"].(type) {
	case nil:
	case float64:
		if v <= 0 {
			return s, sdk.FieldError("settings.start_timeout", "must be > 0 seconds")
		}
		s.startTimeout = time.Duration(v * float64(time.Second))
	case string:
		f, err := strconv.ParseFloat(v, 64)
		if err != nil || f <= 0 {
			return s, sdk.FieldError("settings.start_timeout", "must be a number of seconds > 0")
		}
		s.startTimeout = time.Duration(f * float64(time.Second))
	default:
		return s, sdk.FieldError("settings.start_timeout", "must be a number of seconds")
	}
	return s, nil
}

// parseEngineHost accepts host:port, a bare host (Ollama's port 11434), or
// an http(s) URL, like OLLAMA_HOST does.
func parseEngineHost(s string) (string, *url.URL, error) {
	raw := s
	if !strings.Contains(s, "://") {
		raw = "http://" + s
	}
	u, err := url.Parse(raw)
	if err != nil {
		return "", nil, fmt.Errorf("%q is not host:port or a URL: %v", s, err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return "", nil, fmt.Errorf("%q: scheme must be http or https", s)
	}
	if u.Hostname() == "" {
		return "", nil, fmt.Errorf("%q has no host", s)
	}
	if (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.User != nil {
		return "", nil, fmt.Errorf("%q: give only host:port (no path, query or credentials)", s)
	}
	port := u.Port()
	if port == "" {
		port = "11434"
	}
	if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
		return "", nil, fmt.Errorf("%q: port must be 1-65535", s)
	}
	hp := net.JoinHostPort(u.Hostname(), port)
	return hp, &url.URL{Scheme: u.Scheme, Host: hp}, nil
}

func isSHA256(s string) bool {
	if len(s) != 64 {
		return false
	}
	for _, c := range s {
		if !strings.ContainsRune("0123456789abcdefABCDEF", c) {
			return false
		}
	}
	return true
}
