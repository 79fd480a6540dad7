package types

// Info describes a running plugin; the host merges it with the manifest.
type Info struct {
	Name    string `json:"name,omitempty"`
	Version string `json:"version,omitempty"`
	// Type is "local" or "remote".
	Type       string `json:"type,omitempty"`
	SDKVersion string `json:"sdk_version,omitempty"`
	// EngineMode is "managed" (the plugin runs its engine) or "attached"
	// (it uses an engine someone else runs); "" for remote plugins.
	EngineMode string   `json:"engine_mode,omitempty"`
	EngineHost string   `json:"engine_host,omitempty"`
	Compute    *Compute `json:"compute,omitempty"`
	// Services the plugin really serves now, with their capabilities.
	Services map[string]Capabilities `json:"services,omitempty"`
	Details  map[string]string       `json:"details,omitempty"`
	// Implemented lists the services whose methods the plugin's code has
	// (ServiceChat...). The SDK's Serve fills it in; a plugin's own value
	// is replaced. nil means not reported (an older SDK); the host refuses
	// a plugin whose manifest declares a service missing here.
	Implemented []string `json:"implemented,omitempty"`
}

// Compute is what the engine computes on right now.
type Compute struct {
	// Kind is "cpu", "gpu" or "mixed".
	Kind           string  `json:"kind"`
	GPUType        GPUType `json:"gpu_type,omitempty"`
	VRAMUsedBytes  int64   `json:"vram_used_bytes,omitempty"`
	VRAMTotalBytes int64   `json:"vram_total_bytes,omitempty"`
}

// HealthState says whether a plugin can serve.
type HealthState string

// Health states.
const (
	HealthServing    HealthState = "serving"
	HealthStarting   HealthState = "starting"
	HealthNotServing HealthState = "not_serving"
)

// Health is the answer of a health check.
type Health struct {
	State   HealthState `json:"state"`
	Message string      `json:"message,omitempty"`
}

// Config is what the host hands a plugin through Configure.
type Config struct {
	// Settings are the plugin's settings from the host config, free-form.
	Settings map[string]any `json:"settings,omitempty"`
	// Providers is the full list of remote provider instances, with
	// credentials. A provider missing here is removed.
	Providers []ProviderConfig `json:"providers,omitempty"`
	// DataDir is where the plugin may write.
	DataDir string `json:"data_dir,omitempty"`
}

// ProviderConfig is one upstream of a remote plugin.
type ProviderConfig struct {
	Name    string            `json:"name" yaml:"name"`
	BaseURL string            `json:"base_url" yaml:"base_url"`
	APIKeys []APIKey          `json:"api_keys,omitempty" yaml:"api_keys,omitempty"`
	Models  []string          `json:"models,omitempty" yaml:"models,omitempty"`
	Headers map[string]string `json:"headers,omitempty" yaml:"headers,omitempty"`
	// Timeout in seconds; 0 = plugin default.
	Timeout float64 `json:"timeout,omitempty" yaml:"timeout,omitempty"`
	// KeyStrategy: "round_robin", "weighted_random", "priority", "least_used".
	KeyStrategy string `json:"key_strategy,omitempty" yaml:"key_strategy,omitempty"`
	AuthType    string `json:"auth_type,omitempty" yaml:"auth_type,omitempty"`
	// Format is the upstream's wire format: "openai" (default) or
	// "anthropic" (the Messages API), for plugins that speak both.
	Format string `json:"format,omitempty" yaml:"format,omitempty"`
}

// APIKey is one credential of a provider. Value is a secret: it never
// appears in logs or API responses; String and MarshalJSON mask it.
type APIKey struct {
	Value    string `json:"value" yaml:"value"`
	Weight   int    `json:"weight,omitempty" yaml:"weight,omitempty"`
	Priority int    `json:"priority,omitempty" yaml:"priority,omitempty"`
	RPM      int    `json:"rpm,omitempty" yaml:"rpm,omitempty"`
	RPD      int    `json:"rpd,omitempty" yaml:"rpd,omitempty"`
	Label    string `json:"label,omitempty" yaml:"label,omitempty"`
}

// ProviderStatus is a provider instance as the API shows it: keys masked.
type ProviderStatus struct {
	Name        string      `json:"name"`
	BaseURL     string      `json:"base_url"`
	Models      []string    `json:"models,omitempty"`
	KeyStrategy string      `json:"key_strategy,omitempty"`
	Keys        []KeyStatus `json:"keys,omitempty"`
}

// KeyStatus shows one key (masked) with its statistics.
type KeyStatus struct {
	Masked     string `json:"masked"`
	Label      string `json:"label,omitempty"`
	State      string `json:"state"`
	Reason     string `json:"reason,omitempty"`
	Requests   int64  `json:"requests"`
	Failures   int64  `json:"failures"`
	LastError  string `json:"last_error,omitempty"`
	CurrentRPM int    `json:"current_rpm"`
	// CooldownUntil is Unix seconds; 0 when the key is not resting.
	CooldownUntil int64 `json:"cooldown_until,omitempty"`
}

// ProviderTest is the result of a real request to a provider.
type ProviderTest struct {
	OK      bool     `json:"ok"`
	Message string   `json:"message,omitempty"`
	Latency float64  `json:"latency_seconds"`
	Models  []string `json:"models,omitempty"`
}
