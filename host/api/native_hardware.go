package api

import (
	"context"
	"net/http"
	"runtime"
	"sync/atomic"

	"github.com/shirou/gopsutil/v4/cpu"
	"github.com/shirou/gopsutil/v4/mem"

	"github.com/roundhouse-ai/roundhouse/host/httpx"
	"github.com/roundhouse-ai/roundhouse/sdk"
	"github.com/roundhouse-ai/roundhouse/sdk/gpu"
)

// SystemInfo is GET /v1/system: what this machine offers to engines, so an
// app can say "this model needs a GPU" or "not enough memory" up front.
type SystemInfo struct {
	OS           string       `json:"os"`
	Arch         string       `json:"arch"`
	CPUModel     string       `json:"cpu_model,omitempty"`
	CPUCores     int          `json:"cpu_cores"`
	MemoryTotal  uint64       `json:"memory_total_bytes"`
	MemoryFree   uint64       `json:"memory_available_bytes"`
	GPUs         []gpu.Device `json:"gpus"`
	PreferredGPU sdk.GPUType  `json:"preferred_gpu"`
}

func (s *Server) system(w http.ResponseWriter, r *http.Request) {
	httpx.WriteJSON(w, http.StatusOK, probeSystem(r.Context()))
}

// systemProbe reads this machine's memory and GPUs; tests replace it
// (SetSystemProbe in export_test.go) to judge recommendations against a
// machine of their choosing.
var systemProbe atomic.Pointer[func(context.Context) SystemInfo]

func probeSystem(ctx context.Context) SystemInfo {
	if f := systemProbe.Load(); f != nil {
		return (*f)(ctx)
	}
	return realSystem(ctx)
}

func realSystem(ctx context.Context) SystemInfo {
	info := SystemInfo{OS: runtime.GOOS, Arch: runtime.GOARCH, CPUCores: runtime.NumCPU(), GPUs: gpu.Detect()}
	if info.GPUs == nil {
		info.GPUs = []gpu.Device{}
	}
	info.PreferredGPU = gpu.Best(info.GPUs)
	if vm, err := mem.VirtualMemoryWithContext(ctx); err == nil {
		info.MemoryTotal, info.MemoryFree = vm.Total, vm.Available
	}
	if cs, err := cpu.InfoWithContext(ctx); err == nil && len(cs) > 0 {
		info.CPUModel = cs[0].ModelName
	}
	return info
}
