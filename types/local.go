package types

// Progress is one step of a model pull or engine install. It mirrors
// Ollama's pull progress: Status names the phase ("pulling manifest",
// "downloading", "verifying sha256 digest", "success"), Total and Completed
// count bytes of the part named by Digest.
type Progress struct {
	Status    string `json:"status"`
	Digest    string `json:"digest,omitempty"`
	Total     int64  `json:"total,omitempty"`
	Completed int64  `json:"completed,omitempty"`
	// Message is a note for the user that is not a phase.
	Message string `json:"message,omitempty"`
}

// InstallEngineRequest installs or upgrades an engine. Empty fields mean
// "what the manifest says".
type InstallEngineRequest struct {
	Version string `json:"version,omitempty"`
	URL     string `json:"url,omitempty"`
	SHA256  string `json:"sha256,omitempty"`
}

// EngineStatus describes a local plugin's engine.
type EngineStatus struct {
	Installed bool   `json:"installed"`
	Running   bool   `json:"running"`
	Version   string `json:"version,omitempty"`
	// Mode is "managed" or "attached".
	Mode       string `json:"mode,omitempty"`
	Host       string `json:"host,omitempty"`
	Executable string `json:"executable,omitempty"`
	PID        int    `json:"pid,omitempty"`
	Restarts   int    `json:"restarts,omitempty"`
	LastError  string `json:"last_error,omitempty"`
}

// PullRequest asks a local engine to download a model.
type PullRequest struct {
	Model string `json:"model"`
	// Insecure allows plain HTTP and unverified TLS registries.
	Insecure bool `json:"insecure,omitempty"`
	// Auth are the credentials of the model's registry host, attached by
	// the host from its credential store (never from a request body).
	Auth *RegistryAuth `json:"-"`
}

// LoadRequest loads a model into memory.
type LoadRequest struct {
	Model string `json:"model"`
	// KeepAlive in seconds: nil = engine default, <0 = forever.
	KeepAlive *float64 `json:"keep_alive,omitempty"`
}

// Model is a model a local engine has (or runs).
type Model struct {
	Name          string   `json:"name"`
	SizeBytes     int64    `json:"size,omitempty"`
	Digest        string   `json:"digest,omitempty"`
	ModifiedAt    int64    `json:"modified_at,omitempty"`
	Family        string   `json:"family,omitempty"`
	ParameterSize string   `json:"parameter_size,omitempty"`
	Quantization  string   `json:"quantization,omitempty"`
	Format        string   `json:"format,omitempty"`
	SizeVRAMBytes int64    `json:"size_vram,omitempty"`
	ExpiresAt     int64    `json:"expires_at,omitempty"`
	ContextLength int      `json:"context_length,omitempty"`
	Services      []string `json:"services,omitempty"`
	// Provider is the provider instance of a remote plugin that serves
	// the model ("" for a local plugin's model).
	Provider string `json:"provider,omitempty"`
}

// ModelDetails is what ShowModel tells about one model.
type ModelDetails struct {
	Model      Model             `json:"model"`
	Template   string            `json:"template,omitempty"`
	Parameters string            `json:"parameters,omitempty"`
	License    string            `json:"license,omitempty"`
	Details    map[string]string `json:"details,omitempty"`
	// System is the default system prompt.
	System string `json:"system,omitempty"`
	// Modelfile is the engine's own recipe of the model, when it has one.
	Modelfile string `json:"modelfile,omitempty"`
	// ModelInfo is the model file's metadata as the engine reports it.
	ModelInfo map[string]any `json:"model_info,omitempty"`
	// Capabilities are the engine's own names ("completion", "tools").
	Capabilities []string `json:"capabilities,omitempty"`
}

// CopyRequest gives a model a second name.
type CopyRequest struct {
	Source      string `json:"source"`
	Destination string `json:"destination"`
}

// CreateRequest makes a model: from blobs the engine has (Files, by
// digest), from a model file on this machine (Path), or from a base model
// (From), with Modelfile-like changes.
type CreateRequest struct {
	Model string `json:"model"`
	From  string `json:"from,omitempty"`
	// Files maps a file name in the model ("model.gguf") to the digest of
	// a blob the engine has ("sha256:<hex>").
	Files    map[string]string `json:"files,omitempty"`
	Adapters map[string]string `json:"adapters,omitempty"`
	Template string            `json:"template,omitempty"`
	System   string            `json:"system,omitempty"`
	// Parameters are default options ("temperature", "stop"...).
	Parameters map[string]any `json:"parameters,omitempty"`
	License    []string       `json:"license,omitempty"`
	Quantize   string         `json:"quantize,omitempty"`
	// Path is a model file (GGUF) already on this machine.
	Path string `json:"path,omitempty"`
}

// PushRequest uploads a model to its registry.
type PushRequest struct {
	Model string `json:"model"`
	// Insecure allows plain HTTP and unverified TLS registries.
	Insecure bool `json:"insecure,omitempty"`
	// Auth are the credentials of the model's registry host, attached by
	// the host from its credential store (never from a request body).
	Auth *RegistryAuth `json:"-"`
}
