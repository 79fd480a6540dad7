package client

import (
	"context"
	"net/http"
	"net/url"
)

// RecommendedModelList is GET /v1/models/recommended: the models the
// plugins' catalogues recommend for a service, each judged against this
// machine. Models are sorted: those that fit first, then smaller first.
type RecommendedModelList struct {
	// Service is the service asked for ("" = every service).
	Service string `json:"service,omitempty"`
	// Machine is what the models were judged against.
	Machine RecommendMachine   `json:"machine"`
	Models  []RecommendedModel `json:"models"`
}

// RecommendMachine is the memory and GPU the recommendation used (the
// same figures as GET /v1/system).
type RecommendMachine struct {
	MemoryTotal     uint64 `json:"memory_total_bytes"`
	MemoryAvailable uint64 `json:"memory_available_bytes"`
	// GPU is the best usable GPU family (nvidia, amd, intel_arc), "" when
	// none: models then run on the CPU.
	GPU string `json:"gpu,omitempty"`
	// VRAMBytes is that GPU's dedicated memory when the system tells
	// (0 = unknown, as with NVIDIA's driver).
	VRAMBytes int64 `json:"vram_bytes,omitempty"`
}

// RecommendedModel is one catalogue entry with the verdict for this
// machine.
type RecommendedModel struct {
	// ID is "<plugin>/<name>", what a pull or a request takes.
	ID     string `json:"id"`
	Plugin string `json:"plugin"`
	Name   string `json:"name"`
	// Services the model serves.
	Services      []string `json:"services"`
	SizeBytes     int64    `json:"size_bytes,omitempty"`
	Parameters    string   `json:"parameters,omitempty"`
	ContextLength int      `json:"context_length,omitempty"`
	Quantization  string   `json:"quantization,omitempty"`
	// Capabilities: tools, thinking, vision.
	Capabilities   []string `json:"capabilities"`
	MinMemoryBytes int64    `json:"min_memory_bytes,omitempty"`
	MinVRAMBytes   int64    `json:"min_vram_bytes,omitempty"`
	Description    string   `json:"description,omitempty"`
	// NeedBytes is the memory the verdict assumed: MinMemoryBytes, or an
	// estimate from SizeBytes when the catalogue gives none (Estimated).
	NeedBytes int64 `json:"need_bytes,omitempty"`
	Estimated bool  `json:"estimated,omitempty"`
	// Fits says whether the model can run here now; Reason says why, in
	// words an app can show.
	Fits   bool   `json:"fits"`
	Reason string `json:"reason"`
	// Device is where it would run: "gpu" or "cpu" ("" when it does not fit).
	Device string `json:"device,omitempty"`
	// Installed is true when the plugin already has the model.
	Installed bool `json:"installed"`
}

// RecommendedModels lists the models the plugins recommend for service
// ("" = every service), judged against this machine.
func (c *Client) RecommendedModels(ctx context.Context, service string) (*RecommendedModelList, error) {
	return c.RecommendedModelsFor(ctx, service, "")
}

// RecommendedModelsFor is RecommendedModels limited to one plugin ("" =
// every plugin).
func (c *Client) RecommendedModelsFor(ctx context.Context, service, plugin string) (*RecommendedModelList, error) {
	q := url.Values{}
	if service != "" {
		q.Set("service", service)
	}
	if plugin != "" {
		q.Set("plugin", plugin)
	}
	path := "/v1/models/recommended"
	if len(q) > 0 {
		path += "?" + q.Encode()
	}
	var out RecommendedModelList
	if err := c.call(ctx, http.MethodGet, path, nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}
