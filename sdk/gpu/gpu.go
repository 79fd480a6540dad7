// Package gpu finds the machine's GPUs from Linux sysfs, so plugins can
// report and choose compute without vendor tools. Detection reads files
// only, under a root directory, which makes it testable with fixture trees
// (DetectIn) and harmless on machines without GPUs.
package gpu

import (
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"

	"github.com/roundhouse-ai/roundhouse/sdk"
)

// Device is one display or compute controller.
type Device struct {
	// PCIAddress is like "0000:01:00.0".
	PCIAddress string      `json:"pci_address"`
	Type       sdk.GPUType `json:"type"`
	VendorID   string      `json:"vendor_id"`
	DeviceID   string      `json:"device_id"`
	// Driver is the kernel driver bound to it ("nvidia", "amdgpu", "i915",
	// "xe"), "" when none: a GPU without a driver cannot compute.
	Driver string `json:"driver,omitempty"`
	// VRAMBytes is the dedicated memory, when sysfs tells (amdgpu does;
	// NVIDIA's driver does not, so it is 0 there).
	VRAMBytes int64 `json:"vram_bytes,omitempty"`
	// Integrated is true for iGPUs sharing system memory.
	Integrated bool `json:"integrated,omitempty"`
}

// PCI vendor ids.
const (
	vendorNvidia = "0x10de"
	vendorAMD    = "0x1002"
	vendorIntel  = "0x8086"
)

// Detect lists the GPUs of this machine (none outside Linux).
func Detect() []Device {
	if runtime.GOOS != "linux" {
		return nil
	}
	return DetectIn("/")
}

// DetectIn lists the GPUs described under root/sys/bus/pci/devices: PCI
// functions of class 0x03 (display controllers) from NVIDIA, AMD or Intel,
// sorted by PCI address. Intel integrated graphics are reported with
// Integrated set; only Arc-class Intel devices get type intel_arc.
func DetectIn(root string) []Device {
	base := filepath.Join(root, "sys", "bus", "pci", "devices")
	entries, err := os.ReadDir(base)
	if err != nil {
		return nil
	}
	var out []Device
	for _, e := range entries {
		dir := filepath.Join(base, e.Name())
		if !strings.HasPrefix(read(dir, "class"), "0x03") {
			continue
		}
		d := Device{PCIAddress: e.Name(), VendorID: read(dir, "vendor"), DeviceID: read(dir, "device")}
		if link, err := os.Readlink(filepath.Join(dir, "driver")); err == nil {
			d.Driver = filepath.Base(link)
		}
		d.VRAMBytes, _ = strconv.ParseInt(read(dir, "mem_info_vram_total"), 10, 64)
		switch d.VendorID {
		case vendorNvidia:
			d.Type = sdk.GPUNvidia
		case vendorAMD:
			d.Type = sdk.GPUAMD
			// APUs report their carve-out of system memory as VRAM, rarely
			// more than 1 GiB; discrete cards have more.
			d.Integrated = d.VRAMBytes > 0 && d.VRAMBytes <= 1<<30
		case vendorIntel:
			if isArc(d.DeviceID) {
				d.Type = sdk.GPUIntelArc
			} else {
				d.Type = sdk.GPUNone
				d.Integrated = true
			}
		default:
			continue
		}
		out = append(out, d)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].PCIAddress < out[j].PCIAddress })
	return out
}

// isArc reports whether an Intel device id is an Arc (Xe-HPG / Xe2)
// discrete or Arc-branded GPU: Alchemist 0x56xx, Battlemage 0xe2xx, and
// Meteor/Arrow Lake Arc graphics 0x7dxx.
func isArc(id string) bool {
	id = strings.ToLower(strings.TrimPrefix(id, "0x"))
	return strings.HasPrefix(id, "56") || strings.HasPrefix(id, "e2") || strings.HasPrefix(id, "7d")
}

// Best picks the GPU type a plugin should prefer: a discrete GPU with a
// driver, by vendor order NVIDIA, AMD, Intel Arc; GPUNone when there is
// none.
func Best(devs []Device) sdk.GPUType {
	rank := map[sdk.GPUType]int{sdk.GPUNvidia: 3, sdk.GPUAMD: 2, sdk.GPUIntelArc: 1}
	best, score := sdk.GPUNone, 0
	for _, d := range devs {
		if d.Driver == "" || d.Integrated {
			continue
		}
		if s := rank[d.Type]; s > score {
			best, score = d.Type, s
		}
	}
	return best
}

func read(dir, name string) string {
	b, err := os.ReadFile(filepath.Join(dir, name))
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(b))
}
