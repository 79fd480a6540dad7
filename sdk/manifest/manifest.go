package manifest

import (
	"time"

	"github.com/roundhouse-ai/roundhouse/types"
)

// Manifest is a plugin's plugin.yaml: who it is, which services it offers,
// which executable runs it on each platform and what it needs.
type Manifest struct {
	Version   string                    `yaml:"version" json:"version"`
	Provider  ProviderInfo              `yaml:"provider" json:"provider"`
	Services  []ServiceSpec             `yaml:"services" json:"services"`
	Platforms map[string]PlatformConfig `yaml:"platforms" json:"platforms"`
	// GPUTypes the plugin can use; empty means none (CPU only).
	GPUTypes  []types.GPUType `yaml:"gpu_types,omitempty" json:"gpu_types,omitempty"`
	Resources Resources       `yaml:"resources,omitempty" json:"resources,omitempty"`
	// Engine describes the engine a local plugin can install.
	Engine *EngineSpec `yaml:"engine,omitempty" json:"engine,omitempty"`
	// CatalogueEntries are the models the plugin recommends (key
	// catalogue); CatalogueFile names a file in the plugin's directory
	// holding them instead. Read both through Catalogue.
	CatalogueEntries []CatalogueEntry `yaml:"catalogue,omitempty" json:"catalogue,omitempty"`
	CatalogueFile    string           `yaml:"catalogue_file,omitempty" json:"catalogue_file,omitempty"`

	// Dir is the directory the manifest was loaded from; relative paths in
	// the manifest resolve against it.
	Dir string `yaml:"-" json:"-"`
}

// ProviderInfo identifies the plugin.
type ProviderInfo struct {
	// Name is the plugin's identifier: lower case letters, digits, '-' and
	// '_'; it names the plugin in API paths and model references.
	Name        string             `yaml:"name" json:"name"`
	DisplayName string             `yaml:"display_name,omitempty" json:"display_name,omitempty"`
	Version     string             `yaml:"version" json:"version"`
	Type        types.ProviderType `yaml:"type" json:"type"`
	Author      string             `yaml:"author,omitempty" json:"author,omitempty"`
	Description string             `yaml:"description,omitempty" json:"description,omitempty"`
	Homepage    string             `yaml:"homepage,omitempty" json:"homepage,omitempty"`
	// EngineHost is the default address of a local plugin's engine.
	EngineHost string `yaml:"engine_host,omitempty" json:"engine_host,omitempty"`
}

// ServiceSpec declares one service the plugin offers.
//
// Keys older manifests carried (task_type, protocol, expose_protocol,
// endpoint, auth_type, auth_fields, config_ref, middlewares) are refused
// by Parse with a message saying what replaces each; see retired.go.
type ServiceSpec struct {
	// ServiceName is one of the Service* names (chat, embed...).
	ServiceName   string   `yaml:"service_name" json:"service_name"`
	DefaultModel  string   `yaml:"default_model,omitempty" json:"default_model,omitempty"`
	SupportModels []string `yaml:"support_models,omitempty" json:"support_models,omitempty"`
	// Timeout in seconds: 0 = default (60 s unary, 300 s stream), >0 that
	// many seconds, <0 no limit. See UnaryTimeout and StreamTimeout.
	Timeout      int                `yaml:"timeout,omitempty" json:"timeout,omitempty"`
	Capabilities types.Capabilities `yaml:"capabilities,omitempty" json:"capabilities,omitempty"`
}

// PlatformConfig is what runs the plugin on one "<goos>_<goarch>".
type PlatformConfig struct {
	// Executable is the plugin binary, relative to the manifest's dir. It
	// is the default: it runs when no GPUExecutables entry matches a GPU
	// of the machine.
	Executable string `yaml:"executable" json:"executable"`
	// SHA256 of the executable; when set the host refuses a binary that
	// does not match.
	SHA256 string `yaml:"sha256,omitempty" json:"sha256,omitempty"`
	// GPUExecutables are builds for one GPU family (nvidia, amd,
	// intel_arc), each also listed in gpu_types. The host runs the one for
	// the best usable GPU it detects (NVIDIA, then AMD, then Intel Arc),
	// else Executable.
	GPUExecutables map[types.GPUType]GPUExecutable `yaml:"gpu_executables,omitempty" json:"gpu_executables,omitempty"`
	// Dependencies must be present before the plugin starts; a missing
	// one keeps it from starting, with the Install hint in its error.
	Dependencies []Dependency `yaml:"dependencies,omitempty" json:"dependencies,omitempty"`
}

// GPUExecutable is a build of the plugin for one GPU family.
type GPUExecutable struct {
	// Executable is relative to the manifest's dir, like
	// PlatformConfig.Executable.
	Executable string `yaml:"executable" json:"executable"`
	SHA256     string `yaml:"sha256,omitempty" json:"sha256,omitempty"`
}

// Dependency is something outside the plugin it needs to run: exactly
// one of Command (an executable looked up on PATH, or a path) or File (a
// file or directory that must exist; relative to the manifest's dir,
// ${VAR} expanded).
type Dependency struct {
	Command string `yaml:"command,omitempty" json:"command,omitempty"`
	File    string `yaml:"file,omitempty" json:"file,omitempty"`
	// Install tells the user how to get it ("apt install ffmpeg", a URL).
	Install string `yaml:"install,omitempty" json:"install,omitempty"`
}

// Name is the command or file the dependency names.
func (d Dependency) Name() string {
	if d.Command != "" {
		return d.Command
	}
	return d.File
}

// Resources are paths and engine-specific settings. DataDir is the
// plugin's writable directory; Extra holds the rest (models_dir,
// download_dir, ollama executable...). Values may use ${VAR}.
type Resources struct {
	DataDir string            `yaml:"data_dir,omitempty" json:"data_dir,omitempty"`
	Extra   map[string]string `yaml:",inline" json:"extra,omitempty"`
}

// EngineSpec says where a local plugin downloads its engine, per platform.
type EngineSpec struct {
	Name      string                    `yaml:"name,omitempty" json:"name,omitempty"`
	Version   string                    `yaml:"version,omitempty" json:"version,omitempty"`
	Downloads map[string]EngineDownload `yaml:"downloads,omitempty" json:"downloads,omitempty"`
}

// EngineDownload is one platform's engine archive (.tgz, .tar.gz or .zip).
type EngineDownload struct {
	URL    string `yaml:"url" json:"url"`
	SHA256 string `yaml:"sha256" json:"sha256"`
}

// Default timeouts when a service's Timeout is 0.
const (
	DefaultUnaryTimeout  = 60 * time.Second
	DefaultStreamTimeout = 300 * time.Second
)

// UnaryTimeout is the deadline for a unary call; 0 means no limit.
func (s *ServiceSpec) UnaryTimeout() time.Duration { return timeoutOf(s.Timeout, DefaultUnaryTimeout) }

// StreamTimeout is the deadline for a streaming call; 0 means no limit.
func (s *ServiceSpec) StreamTimeout() time.Duration {
	return timeoutOf(s.Timeout, DefaultStreamTimeout)
}

func timeoutOf(seconds int, def time.Duration) time.Duration {
	switch {
	case seconds == 0:
		return def
	case seconds < 0:
		return 0
	default:
		return time.Duration(seconds) * time.Second
	}
}

// PlatformKey is "<goos>_<goarch>", the key of Platforms.
func PlatformKey(goos, goarch string) string { return goos + "_" + goarch }

// GetPlatformConfig returns the platform entry for goos/goarch.
func (m *Manifest) GetPlatformConfig(goos, goarch string) (PlatformConfig, bool) {
	p, ok := m.Platforms[PlatformKey(goos, goarch)]
	return p, ok
}

// GetServiceByName returns the named service, or nil.
func (m *Manifest) GetServiceByName(name string) *ServiceSpec {
	for i := range m.Services {
		if m.Services[i].ServiceName == name {
			return &m.Services[i]
		}
	}
	return nil
}

// ListServiceNames lists the declared services in manifest order.
func (m *Manifest) ListServiceNames() []string {
	names := make([]string, 0, len(m.Services))
	for _, s := range m.Services {
		names = append(names, s.ServiceName)
	}
	return names
}
