package main

import (
	"os"
	"path/filepath"

	"github.com/roundhouse-ai/roundhouse/sdk"
	"github.com/roundhouse-ai/roundhouse/sdk/gpu"
)

// detectDevice picks OVMS's target device from what this machine has: an
// Intel GPU with a driver (Arc, or integrated graphics on i915/xe) →
// "GPU", else "CPU". An NPU is reported but never chosen on its own: OVMS
// itself requires NPU to be selected explicitly (docs/parameters.md,
// --target_device), as not every model runs there; set settings.device.
func detectDevice(root string) (device string, gpuType sdk.GPUType, npu bool) {
	device, gpuType = "CPU", sdk.GPUNone
	for _, d := range gpu.DetectIn(root) {
		if d.VendorID == "0x8086" && (d.Driver == "i915" || d.Driver == "xe") {
			device = "GPU"
			if d.Type == sdk.GPUIntelArc || gpuType == sdk.GPUNone {
				gpuType = d.Type
			}
		}
	}
	if gpuType == "" {
		gpuType = sdk.GPUNone
	}
	return device, gpuType, hasNPU(root)
}

// hasNPU says whether an Intel NPU is bound to its driver: the Linux
// accel subsystem lists it under /sys/class/accel with driver intel_vpu.
func hasNPU(root string) bool {
	entries, _ := os.ReadDir(filepath.Join(root, "sys", "class", "accel"))
	for _, e := range entries {
		link, err := os.Readlink(filepath.Join(root, "sys", "class", "accel", e.Name(), "device", "driver"))
		if err == nil && filepath.Base(link) == "intel_vpu" {
			return true
		}
	}
	return false
}
