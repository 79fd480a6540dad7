package main

import (
	"encoding/json"
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/roundhouse-ai/roundhouse/sdk"
	"github.com/roundhouse-ai/roundhouse/sdk/engine"
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

// rawSettings are the settings as the host config gives them, decoded
// strictly by sdk.Config.DecodeSettings: an unknown key is an error naming
// it, since a typo would otherwise be silently ignored.
type rawSettings struct {
	EngineHost   string     `json:"engine_host"`
	ManageEngine manageMode `json:"manage_engine"`
	OllamaPath   string     `json:"ollama_path"`
	// Ollama is the older name of ollama_path.
	Ollama         string         `json:"ollama"`
	ModelsDir      string         `json:"models_dir"`
	DownloadDir    string         `json:"download_dir"`
	DownloadURL    string         `json:"download_url"`
	DownloadSHA256 string         `json:"download_sha256"`
	EngineEnv      map[string]any `json:"engine_env"`
	// StartTimeout: a number of seconds, or a duration such as "90s".
	StartTimeout sdk.Duration `json:"start_timeout"`
	// DataDir is used only when the host gives no data dir.
	DataDir string `json:"data_dir"`
}

// UnmarshalJSON reads manage_engine: auto, true or false, as a bool or a
// string (yes/on/managed and no/off/attached too); null leaves it as is.
func (m *manageMode) UnmarshalJSON(b []byte) error {
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	switch v := v.(type) {
	case nil:
	case bool:
		*m = manageFalse
		if v {
			*m = manageTrue
		}
	case string:
		switch strings.ToLower(strings.TrimSpace(v)) {
		case "", "auto":
			*m = manageAuto
		case "true", "yes", "on", "managed":
			*m = manageTrue
		case "false", "no", "off", "attached":
			*m = manageFalse
		default:
			return sdk.Errorf(sdk.CodeInvalidArgument, "unknown value %q (want auto, true or false)", v)
		}
	default:
		return sdk.Errorf(sdk.CodeInvalidArgument, "must be auto, true or false, not %s", jsonKind(v))
	}
	return nil
}

// jsonKind names the JSON kind of a decoded value, for messages.
func jsonKind(v any) string {
	switch v.(type) {
	case float64:
		return "number"
	case []any:
		return "array"
	case map[string]any:
		return "object"
	}
	return fmt.Sprintf("%T", v)
}

// parseSettings resolves cfg against the manifest's defaults. Errors name
// the setting at fault as "settings.<key>".
func parseSettings(cfg *sdk.Config, m *manifest.Manifest) (settings, error) {
	in := rawSettings{ManageEngine: manageAuto, StartTimeout: sdk.Duration(defaultStartTimeout)}
	var s settings
	if err := cfg.DecodeSettings(&in); err != nil {
		return s, err
	}
	var err error
	dataDir := ""
	if cfg != nil {
		dataDir = cfg.DataDir
	}

	// Paths: settings, then the manifest's resources, then the data dir.
	res := m.Resources.Extra
	if dataDir == "" {
		dataDir = strings.TrimSpace(in.DataDir)
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
	pathSetting := func(v, resource, def string) string {
		v = strings.TrimSpace(v)
		if v == "" {
			v = res[resource]
		}
		if v == "" {
			v = def
		}
		if v == "" {
			return ""
		}
		if !filepath.IsAbs(v) {
			v = filepath.Join(s.dataDir, v)
		}
		return filepath.Clean(v)
	}
	s.ollamaPath = pathSetting(in.OllamaPath, "ollama", "")
	if s.ollamaPath == "" {
		s.ollamaPath = pathSetting(in.Ollama, "ollama", "")
	}
	s.modelsDir = pathSetting(in.ModelsDir, "models_dir", filepath.Join(s.dataDir, "models"))
	s.downloadDir = pathSetting(in.DownloadDir, "download_dir", filepath.Join(s.dataDir, "downloads"))

	host := strings.TrimSpace(in.EngineHost)
	if host == "" {
		host = m.Provider.EngineHost
	}
	if host == "" {
		host = defaultEngineHost
	}
	if s.hostPort, s.baseURL, err = parseEngineHost(host); err != nil {
		return s, sdk.FieldError("settings.engine_host", "%v", err)
	}

	s.manage = in.ManageEngine

	s.downloadURL = strings.TrimSpace(in.DownloadURL)
	s.downloadSHA = strings.TrimSpace(in.DownloadSHA256)
	if s.downloadSHA != "" && !engine.IsSHA256(s.downloadSHA) {
		return s, sdk.FieldError("settings.download_sha256", "must be 64 hex digits")
	}

	s.engineEnv = map[string]string{}
	for k, v := range in.EngineEnv {
		if k == "" || strings.ContainsAny(k, "=\x00") {
			return s, sdk.FieldError("settings.engine_env", "invalid variable name %q", k)
		}
		if k == "OLLAMA_HOST" || k == "OLLAMA_MODELS" {
			return s, sdk.FieldError("settings.engine_env."+k, "set engine_host or models_dir instead")
		}
		s.engineEnv[k] = fmt.Sprint(v)
	}

	s.startTimeout = time.Duration(in.StartTimeout)
	if s.startTimeout <= 0 {
		return s, sdk.FieldError("settings.start_timeout", "must be > 0 seconds")
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
