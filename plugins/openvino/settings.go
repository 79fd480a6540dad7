package main

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/roundhouse-ai/roundhouse/sdk"
	"github.com/roundhouse-ai/roundhouse/sdk/engine"
)

// Engine modes, as Info and EngineStatus report them.
const (
	modeManaged  = "managed"
	modeAttached = "attached"
)

const (
	// Not OVMS's usual 8000/9000, so a managed engine never collides
	// with one the user runs.
	defaultEngineHost   = "127.0.0.1:16680"
	defaultStartTimeout = 120 * time.Second
	defaultLoadTimeout  = 10 * time.Minute
)

// rawSettings are the settings as the host config gives them, decoded
// strictly (an unknown key is an error naming it).
type rawSettings struct {
	// EngineHost is host:port of OVMS's REST API (--rest_port).
	EngineHost string `json:"engine_host"`
	// GRPCPort is OVMS's --port; 0 picks a free one at each start.
	GRPCPort int `json:"grpc_port"`
	// ManageEngine: auto (attach if an OVMS answers at engine_host, else
	// run one), true (always run our own), false (attach only).
	ManageEngine string `json:"manage_engine"`
	// OVMSPath is an ovms executable to run instead of the installed one.
	OVMSPath string `json:"ovms_path"`
	// ModelRepository is --model_repository_path (default <data_dir>/models).
	ModelRepository string `json:"model_repository_path"`
	// ConfigPath is --config_path (default <data_dir>/config.json).
	ConfigPath     string `json:"config_path"`
	DownloadURL    string `json:"download_url"`
	DownloadSHA256 string `json:"download_sha256"`
	// Device is CPU, GPU, NPU, AUTO or an OVMS device string
	// ("GPU.1", "HETERO:GPU,CPU"); "" = from detection.
	Device string `json:"device"`
	// PullTasks maps a model to its OVMS --task when its name does not
	// tell (see taskFor).
	PullTasks map[string]string `json:"pull_tasks"`
	// ModelDownloads pulls these models from an archive URL (with its
	// sha256) instead of from Hugging Face.
	ModelDownloads map[string]modelDownload `json:"model_downloads"`
	EngineEnv      map[string]any           `json:"engine_env"`
	// PollSeconds is --file_system_poll_wait_seconds (default 1).
	PollSeconds  *int         `json:"file_system_poll_wait_seconds"`
	StartTimeout sdk.Duration `json:"start_timeout"`
	LoadTimeout  sdk.Duration `json:"load_timeout"`
	// APIKey, when the attached OVMS was started with --api_key_file.
	APIKey string `json:"api_key"`
}

// settings is the configuration, resolved: paths absolute, defaults in.
type settings struct {
	hostPort     string
	grpcPort     int
	manage       string // auto | true | false
	ovmsPath     string
	dataDir      string
	repoDir      string
	configPath   string
	installDir   string
	downloadURL  string
	downloadSHA  string
	device       string
	deviceSource string // "settings" or "detected"
	pullTasks    map[string]string
	downloads    map[string]modelDownload
	engineEnv    map[string]string
	pollSeconds  int
	startTimeout time.Duration
	loadTimeout  time.Duration
	apiKey       string
}

// engineKey changes when a running managed engine must restart to follow
// the configuration.
func (s settings) engineKey() string {
	env := make([]string, 0, len(s.engineEnv))
	for k, v := range s.engineEnv {
		env = append(env, k+"="+v)
	}
	sort.Strings(env)
	return strings.Join([]string{s.hostPort, strconv.Itoa(s.grpcPort), s.manage, s.ovmsPath, s.repoDir, s.configPath,
		strconv.Itoa(s.pollSeconds), s.apiKey, strings.Join(env, "\x00")}, "\x01")
}

var validTasks = map[string]bool{"text_generation": true, "embeddings": true, "rerank": true,
	"image_generation": true, "text2speech": true, "speech2text": true}

// resolveSettings validates cfg and fills in defaults. Every error names
// the setting at fault.
func resolveSettings(cfg *sdk.Config, detect func() (string, bool)) (settings, error) {
	raw := rawSettings{ManageEngine: "auto"}
	if err := cfg.DecodeSettings(&raw); err != nil {
		return settings{}, err
	}
	s := settings{manage: raw.ManageEngine, grpcPort: raw.GRPCPort, ovmsPath: raw.OVMSPath,
		downloadURL: raw.DownloadURL, downloadSHA: strings.ToLower(raw.DownloadSHA256),
		pullTasks: raw.PullTasks, downloads: raw.ModelDownloads, engineEnv: map[string]string{}, pollSeconds: 1,
		startTimeout: defaultStartTimeout, loadTimeout: defaultLoadTimeout, apiKey: raw.APIKey}
	bad := func(field, format string, args ...any) error {
		return &sdk.Error{Code: sdk.CodeInvalidArgument, Field: "settings." + field, Message: fmt.Sprintf(format, args...)}
	}
	switch s.manage {
	case "auto", "true", "false":
	default:
		return settings{}, bad("manage_engine", "must be auto, true or false, not %q", s.manage)
	}
	s.hostPort = raw.EngineHost
	if s.hostPort == "" {
		s.hostPort = defaultEngineHost
	}
	host, port, err := net.SplitHostPort(s.hostPort)
	if p, perr := strconv.Atoi(port); err != nil || perr != nil || p <= 0 || p > 65535 || host == "" {
		return settings{}, bad("engine_host", "must be host:port (such as 127.0.0.1:16680), not %q", raw.EngineHost)
	}
	if s.grpcPort < 0 || s.grpcPort > 65535 {
		return settings{}, bad("grpc_port", "must be a port number (0 = a free one), not %d", s.grpcPort)
	}
	if (s.downloadURL == "") != (s.downloadSHA == "") {
		return settings{}, bad("download_sha256", "download_url and download_sha256 go together: a download is only installed when its sha256 matches")
	}
	if s.downloadSHA != "" && !isHex64(s.downloadSHA) {
		return settings{}, bad("download_sha256", "must be 64 hex digits")
	}
	if raw.Device != "" {
		s.device, s.deviceSource = strings.ToUpper(raw.Device), "settings"
		if !validDevice(s.device) {
			return settings{}, bad("device", "must be CPU, GPU, NPU, AUTO or an OVMS device such as GPU.1 or HETERO:GPU,CPU, not %q", raw.Device)
		}
	} else {
		s.device, s.deviceSource = "CPU", "detected"
		if d, ok := detect(); ok {
			s.device = d
		}
	}
	for m, task := range raw.PullTasks {
		if !validTasks[task] {
			return settings{}, bad("pull_tasks."+m, "must be one of text_generation, embeddings, rerank, image_generation, text2speech, speech2text, not %q", task)
		}
	}
	for m, d := range raw.ModelDownloads {
		if err := checkName(m); err != nil {
			return settings{}, bad("model_downloads."+m, "%s", err.(*sdk.Error).Message)
		}
		if err := engine.CheckDownload(engine.Download{URL: d.URL, SHA256: d.SHA256}); err != nil {
			return settings{}, bad("model_downloads."+m+"."+err.(*sdk.Error).Field, "%s", err.(*sdk.Error).Message)
		}
	}
	for k, v := range raw.EngineEnv {
		str, ok := v.(string)
		if !ok {
			return settings{}, bad("engine_env."+k, "must be a string")
		}
		s.engineEnv[k] = str
	}
	if raw.PollSeconds != nil {
		if *raw.PollSeconds < 0 {
			return settings{}, bad("file_system_poll_wait_seconds", "must be >= 0")
		}
		s.pollSeconds = *raw.PollSeconds
	}
	if raw.StartTimeout > 0 {
		s.startTimeout = time.Duration(raw.StartTimeout)
	}
	if raw.LoadTimeout > 0 {
		s.loadTimeout = time.Duration(raw.LoadTimeout)
	}
	s.dataDir = cfg.DataDir
	if s.dataDir == "" {
		base, err := os.UserCacheDir()
		if err != nil {
			base = os.TempDir()
		}
		s.dataDir = filepath.Join(base, "roundhouse", "openvino")
	}
	abs := func(field, p, def string) (string, error) {
		if p == "" {
			p = def
		}
		a, err := filepath.Abs(p)
		if err != nil {
			return "", bad(field, "%v", err)
		}
		return a, nil
	}
	if s.dataDir, err = abs("data_dir", s.dataDir, ""); err != nil {
		return settings{}, err
	}
	if s.repoDir, err = abs("model_repository_path", raw.ModelRepository, filepath.Join(s.dataDir, "models")); err != nil {
		return settings{}, err
	}
	if s.configPath, err = abs("config_path", raw.ConfigPath, filepath.Join(s.dataDir, "config.json")); err != nil {
		return settings{}, err
	}
	s.installDir = filepath.Join(s.dataDir, "engine")
	if s.ovmsPath != "" {
		if s.ovmsPath, err = abs("ovms_path", s.ovmsPath, ""); err != nil {
			return settings{}, err
		}
	}
	return s, nil
}

func isHex64(s string) bool {
	if len(s) != 64 {
		return false
	}
	for _, c := range s {
		if !strings.ContainsRune("0123456789abcdef", c) {
			return false
		}
	}
	return true
}

// validDevice accepts OVMS's --target_device values (docs/parameters.md):
// CPU, GPU, NPU, AUTO, GPU.<index>, HETERO:<...>, AUTO:<...>.
func validDevice(d string) bool {
	switch {
	case d == "CPU" || d == "GPU" || d == "NPU" || d == "AUTO":
		return true
	case strings.HasPrefix(d, "GPU."):
		_, err := strconv.Atoi(d[4:])
		return err == nil
	case strings.HasPrefix(d, "HETERO:") || strings.HasPrefix(d, "AUTO:") || strings.HasPrefix(d, "MULTI:"):
		for _, part := range strings.Split(d[strings.Index(d, ":")+1:], ",") {
			if !validDevice(part) || strings.Contains(part, ":") {
				return false
			}
		}
		return true
	}
	return false
}
