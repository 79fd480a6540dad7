package client

import (
	"time"

	"github.com/roundhouse-ai/roundhouse/types"
)

// These are the wire types of the host's native API. The host serves them
// and this client reads them, so the two cannot drift apart.

// ErrorBody is the native API's error shape:
//
//	{"error": {"message": "...", "code": "model_not_found", "field": "model"}}
type ErrorBody struct {
	Error ErrorDetail `json:"error"`
}

// ErrorDetail describes one error.
type ErrorDetail struct {
	Message    string  `json:"message"`
	Code       string  `json:"code"`
	CodeNumber int     `json:"code_number"`
	Field      string  `json:"field,omitempty"`
	Retryable  bool    `json:"retryable,omitempty"`
	RetryAfter float64 `json:"retry_after_seconds,omitempty"`
}

// HealthResponse is GET /health.
type HealthResponse struct {
	// Status is "ok", or "degraded" when a plugin is restarting, starting
	// or failing its health checks (Plugins says which).
	Status  string            `json:"status"`
	Version string            `json:"version"`
	Uptime  float64           `json:"uptime_seconds"`
	Plugins map[string]string `json:"plugins"`
}

// VersionResponse is GET /version.
type VersionResponse struct {
	Version         string `json:"version"`
	SDKVersion      string `json:"sdk_version"`
	ProtocolVersion int    `json:"protocol_version"`
	GoVersion       string `json:"go_version"`
	Platform        string `json:"platform"`
}

// PluginStatus is one plugin in GET /v1/plugins.
type PluginStatus struct {
	Name        string            `json:"name"`
	DisplayName string            `json:"display_name,omitempty"`
	Type        string            `json:"type"`
	Version     string            `json:"version"`
	Services    []string          `json:"services"`
	State       string            `json:"state"`
	Health      *types.Health     `json:"health,omitempty"`
	PID         int               `json:"pid,omitempty"`
	Restarts    int               `json:"restarts"`
	LastError   string            `json:"last_error,omitempty"`
	Dir         string            `json:"dir"`
	StartedAt   *time.Time        `json:"started_at,omitempty"`
	EngineMode  string            `json:"engine_mode,omitempty"`
	EngineHost  string            `json:"engine_host,omitempty"`
	Compute     *types.Compute    `json:"compute,omitempty"`
	Details     map[string]string `json:"details,omitempty"`
	// GPU is the manifest's gpu_types against the GPUs the host found.
	GPU *PluginGPU `json:"gpu,omitempty"`
	// Dependencies are the platform's dependencies as last checked (at
	// discovery and before each start); state missing_dependency when
	// one is missing.
	Dependencies []PluginDependency `json:"dependencies,omitempty"`
	// ReloadError says why the last reload kept this version (the new
	// manifest or executable is unusable); hosts before reload leave it
	// out.
	ReloadError string `json:"reload_error,omitempty"`
	// InFlight is how many calls the plugin is answering now.
	InFlight int `json:"in_flight,omitempty"`
}

// PluginGPU is which GPU a plugin runs for.
type PluginGPU struct {
	// Supported is the manifest's gpu_types.
	Supported []string `json:"supported"`
	// Detected are the GPU families the host can use (a driver bound,
	// not integrated), best first.
	Detected []string `json:"detected"`
	// Using is the family the plugin is started for ("nvidia", "amd",
	// "intel_arc"), or "cpu".
	Using string `json:"using"`
	// Executable is the gpu_executables build chosen (relative to the
	// plugin dir); empty when the default executable runs.
	Executable string `json:"executable,omitempty"`
}

// PluginDependency is one dependency of a plugin.
type PluginDependency struct {
	// Kind is "command" (looked up on PATH) or "file".
	Kind string `json:"kind"`
	Name string `json:"name"`
	// Found is where it was found; empty when missing.
	Found   string `json:"found,omitempty"`
	Install string `json:"install,omitempty"`
}

// PluginList is GET /v1/plugins.
type PluginList struct {
	Plugins []PluginStatus `json:"plugins"`
}

// ServiceInfo is one entry of GET /v1/services.
type ServiceInfo struct {
	Name    string              `json:"name"`
	Plugins []ServicePluginInfo `json:"plugins"`
}

// ServicePluginInfo is a plugin behind a service.
type ServicePluginInfo struct {
	Plugin       string             `json:"plugin"`
	Type         string             `json:"type"`
	State        string             `json:"state"`
	DefaultModel string             `json:"default_model,omitempty"`
	Models       []string           `json:"models,omitempty"`
	Capabilities types.Capabilities `json:"capabilities"`
}

// ServiceList is GET /v1/services.
type ServiceList struct {
	Services []ServiceInfo `json:"services"`
}

// PullRequest is POST /v1/models/pull.
type PullRequest struct {
	Model    string `json:"model"`
	Insecure bool   `json:"insecure,omitempty"`
	// Plugin picks the local plugin; "" lets the host choose.
	Plugin string `json:"plugin,omitempty"`
}

// ProgressEvent is one event of a pull or engine install stream: a pull's
// first event carries its id with status "started"; the last has status
// "success", or "error" with Error set.
type ProgressEvent struct {
	ID        string `json:"id,omitempty"`
	Status    string `json:"status"`
	Digest    string `json:"digest,omitempty"`
	Total     int64  `json:"total,omitempty"`
	Completed int64  `json:"completed,omitempty"`
	Model     string `json:"model,omitempty"`
	// Message is a note for the user that is not a phase.
	Message string       `json:"message,omitempty"`
	Error   *ErrorDetail `json:"error,omitempty"`
}

// PullSnapshot is a tracked operation as GET /v1/pulls shows it: a pull,
// or a push or create (Kind), which report progress the same way.
type PullSnapshot struct {
	ID string `json:"id"`
	// Kind is "pull", "push" or "create".
	Kind      string    `json:"kind,omitempty"`
	Model     string    `json:"model"`
	Plugin    string    `json:"plugin,omitempty"`
	State     string    `json:"state"`
	Status    string    `json:"status,omitempty"`
	Digest    string    `json:"digest,omitempty"`
	Total     int64     `json:"total,omitempty"`
	Completed int64     `json:"completed,omitempty"`
	Error     string    `json:"error,omitempty"`
	StartedAt time.Time `json:"started_at"`
}

// PullList is GET /v1/pulls.
type PullList struct {
	Pulls []PullSnapshot `json:"pulls"`
}

// CopyRequest is POST /v1/models/copy: give a model a second name.
type CopyRequest struct {
	Source      string `json:"source"`
	Destination string `json:"destination"`
	// Plugin picks the local plugin; "" lets the host choose (the one that
	// has Source).
	Plugin string `json:"plugin,omitempty"`
}

// CreateRequest is POST /v1/models/create: make a model from blobs the
// engine has (Files: name in the model → "sha256:<hex>", uploaded first
// with UploadBlob / POST /api/blobs/{digest}), from a model file already on
// the host's machine (Path), or from a base model (From), with
// Modelfile-like changes.
type CreateRequest struct {
	Model      string            `json:"model"`
	From       string            `json:"from,omitempty"`
	Files      map[string]string `json:"files,omitempty"`
	Path       string            `json:"path,omitempty"`
	Template   string            `json:"template,omitempty"`
	System     string            `json:"system,omitempty"`
	Parameters map[string]any    `json:"parameters,omitempty"`
	Quantize   string            `json:"quantize,omitempty"`
	Plugin     string            `json:"plugin,omitempty"`
}

// PushRequest is POST /v1/models/push: upload a model to its registry.
type PushRequest struct {
	Model string `json:"model"`
	// Insecure allows plain-HTTP and unverified-TLS registries.
	Insecure bool   `json:"insecure,omitempty"`
	Plugin   string `json:"plugin,omitempty"`
}

// BlobUpload is what UploadBlob did.
type BlobUpload struct {
	// Digest is "sha256:<hex>" of the file.
	Digest string `json:"digest"`
	Size   int64  `json:"size"`
	// Skipped is true when the engine had the blob already and nothing was
	// sent.
	Skipped bool `json:"skipped,omitempty"`
}

// ModelRequest is the body of POST /v1/models/load and /unload.
type ModelRequest struct {
	Model  string `json:"model"`
	Plugin string `json:"plugin,omitempty"`
	// KeepAlive in seconds for load: nil = engine default, <0 = forever.
	KeepAlive *float64 `json:"keep_alive,omitempty"`
}

// EngineInfo is one local plugin's engine in GET /v1/engines.
type EngineInfo struct {
	Plugin string              `json:"plugin"`
	State  string              `json:"plugin_state"`
	Engine *types.EngineStatus `json:"engine,omitempty"`
	Error  *ErrorDetail        `json:"error,omitempty"`
}

// EngineList is GET /v1/engines.
type EngineList struct {
	Engines []EngineInfo `json:"engines"`
}

// Model is one entry of GET /v1/models: OpenAI's list shape extended with
// the serving plugin, size and state.
type Model struct {
	ID      string `json:"id"`
	Object  string `json:"object"`
	Created int64  `json:"created"`
	OwnedBy string `json:"owned_by"`
	Plugin  string `json:"plugin,omitempty"`
	// Provider is the provider instance of a remote plugin that serves
	// the model ("" for a local plugin's model).
	Provider string `json:"provider,omitempty"`
	Size     int64  `json:"size,omitempty"`
	State    string `json:"state,omitempty"`
}

// ModelList is GET /v1/models.
type ModelList struct {
	Object string  `json:"object"`
	Data   []Model `json:"data"`
}

// SystemInfo is GET /v1/system: what this machine offers to engines.
type SystemInfo struct {
	OS          string      `json:"os"`
	Arch        string      `json:"arch"`
	CPUModel    string      `json:"cpu_model,omitempty"`
	CPUCores    int         `json:"cpu_cores"`
	MemoryTotal uint64      `json:"memory_total_bytes"`
	MemoryFree  uint64      `json:"memory_available_bytes"`
	GPUs        []GPUDevice `json:"gpus"`
	// PreferredGPU is the GPU family engines run on ("none" = the CPU).
	PreferredGPU types.GPUType `json:"preferred_gpu"`
}

// GPUDevice is one GPU the host found.
type GPUDevice struct {
	PCIAddress string        `json:"pci_address"`
	Type       types.GPUType `json:"type"`
	VendorID   string        `json:"vendor_id"`
	DeviceID   string        `json:"device_id"`
	// Driver is the kernel driver bound ("" = none: it cannot compute).
	Driver     string `json:"driver,omitempty"`
	VRAMBytes  int64  `json:"vram_bytes,omitempty"`
	Integrated bool   `json:"integrated,omitempty"`
}

// Provider is one provider instance in GET /v1/providers: keys masked,
// header values masked.
type Provider struct {
	Plugin string `json:"plugin"`
	types.ProviderStatus
	Headers map[string]string `json:"headers,omitempty"`
	// Error says why the plugin refused this provider.
	Error string `json:"error,omitempty"`
}

// ProviderList is GET /v1/providers.
type ProviderList struct {
	Providers []Provider `json:"providers"`
}

// ProviderRequest is POST /v1/providers. Its keys are sent as given (the
// types.APIKey JSON form masks them, so it is not used here).
type ProviderRequest struct {
	// Plugin is the remote plugin ("" = the only one, or the one whose
	// name the provider has).
	Plugin  string            `json:"plugin,omitempty"`
	Name    string            `json:"name"`
	BaseURL string            `json:"base_url,omitempty"`
	APIKey  string            `json:"api_key,omitempty"`
	APIKeys []ProviderKey     `json:"api_keys,omitempty"`
	Models  []string          `json:"models,omitempty"`
	Headers map[string]string `json:"headers,omitempty"`
	// Timeout in seconds; 0 = the plugin's default.
	Timeout     float64 `json:"timeout,omitempty"`
	KeyStrategy string  `json:"key_strategy,omitempty"`
	AuthType    string  `json:"auth_type,omitempty"`
}

// ProviderKey is one key of a ProviderRequest.
type ProviderKey struct {
	Value    string `json:"value"`
	Weight   int    `json:"weight,omitempty"`
	Priority int    `json:"priority,omitempty"`
	RPM      int    `json:"rpm,omitempty"`
	RPD      int    `json:"rpd,omitempty"`
	Label    string `json:"label,omitempty"`
}

// String masks the key, so a logged request does not leak it.
func (k ProviderKey) String() string { return types.MaskKey(k.Value) }
