package host

import (
	"time"

	"github.com/roundhouse-ai/roundhouse/types"
)

// The host core's own views of its state. host/api maps them to the wire
// types of the native API (package client), so the core never depends on
// the client library and the wire format can evolve apart from it.

// PluginStatus is a snapshot of one supervised plugin.
type PluginStatus struct {
	Name         string
	DisplayName  string
	Type         string
	Version      string
	Services     []string
	State        string
	Health       *types.Health
	PID          int
	Restarts     int
	LastError    string
	Dir          string
	StartedAt    *time.Time
	EngineMode   string
	EngineHost   string
	Compute      *types.Compute
	Details      map[string]string
	GPU          *PluginGPU
	Dependencies []PluginDependency
}

// PluginGPU is what a plugin's manifest supports, what the host found and
// what the plugin runs for.
type PluginGPU struct {
	Supported  []string
	Detected   []string
	Using      string
	Executable string
}

// PluginDependency is one platform dependency of a plugin as checked.
type PluginDependency struct {
	Kind    string // "command" or "file"
	Name    string
	Found   string
	Install string
}

// PullSnapshot is a pull, push or create in flight or just ended.
type PullSnapshot struct {
	ID        string
	Kind      string
	Model     string
	Plugin    string
	State     string
	Status    string
	Digest    string
	Total     int64
	Completed int64
	Error     string
	StartedAt time.Time
}
