package gpu

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/roundhouse-ai/roundhouse/sdk"
)

// fixture builds a fake sysfs: one PCI function per entry.
type fn struct {
	addr, class, vendor, device, driver, vram string
}

func fixture(t *testing.T, fns ...fn) string {
	t.Helper()
	root := t.TempDir()
	for _, f := range fns {
		dir := filepath.Join(root, "sys", "bus", "pci", "devices", f.addr)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		files := map[string]string{"class": f.class, "vendor": f.vendor, "device": f.device, "mem_info_vram_total": f.vram}
		for name, v := range files {
			if v != "" {
				if err := os.WriteFile(filepath.Join(dir, name), []byte(v+"\n"), 0o644); err != nil {
					t.Fatal(err)
				}
			}
		}
		if f.driver != "" {
			if err := os.Symlink("../../../../bus/pci/drivers/"+f.driver, filepath.Join(dir, "driver")); err != nil {
				t.Fatal(err)
			}
		}
	}
	return root
}

func TestDetectIn(t *testing.T) {
	tests := []struct {
		name string
		fns  []fn
		want []Device
		best sdk.GPUType
	}{
		{"no pci tree", nil, nil, sdk.GPUNone},
		{"cpu-only server: network and storage only", []fn{
			{addr: "0000:00:03.0", class: "0x020000", vendor: "0x8086", device: "0x100e"},
			{addr: "0000:00:04.0", class: "0x010802", vendor: "0x144d", device: "0xa808"},
		}, nil, sdk.GPUNone},
		{"nvidia discrete with driver", []fn{
			{addr: "0000:01:00.0", class: "0x030000", vendor: "0x10de", device: "0x2684", driver: "nvidia"},
			{addr: "0000:01:00.1", class: "0x040300", vendor: "0x10de", device: "0x22ba"}, // its audio function
		}, []Device{{PCIAddress: "0000:01:00.0", Type: sdk.GPUNvidia, VendorID: "0x10de", DeviceID: "0x2684", Driver: "nvidia"}}, sdk.GPUNvidia},
		{"amd discrete with vram, intel igpu", []fn{
			{addr: "0000:00:02.0", class: "0x030000", vendor: "0x8086", device: "0x4680", driver: "i915"},
			{addr: "0000:03:00.0", class: "0x030000", vendor: "0x1002", device: "0x744c", driver: "amdgpu", vram: "25753026560"},
		}, []Device{
			{PCIAddress: "0000:00:02.0", Type: sdk.GPUNone, VendorID: "0x8086", DeviceID: "0x4680", Driver: "i915", Integrated: true},
			{PCIAddress: "0000:03:00.0", Type: sdk.GPUAMD, VendorID: "0x1002", DeviceID: "0x744c", Driver: "amdgpu", VRAMBytes: 25753026560},
		}, sdk.GPUAMD},
		{"amd apu with a small carve-out", []fn{
			{addr: "0000:c4:00.0", class: "0x030000", vendor: "0x1002", device: "0x15bf", driver: "amdgpu", vram: "536870912"},
		}, []Device{{PCIAddress: "0000:c4:00.0", Type: sdk.GPUAMD, VendorID: "0x1002", DeviceID: "0x15bf", Driver: "amdgpu", VRAMBytes: 536870912, Integrated: true}}, sdk.GPUNone},
		{"intel arc discrete", []fn{
			{addr: "0000:03:00.0", class: "0x030000", vendor: "0x8086", device: "0x56a0", driver: "i915"},
		}, []Device{{PCIAddress: "0000:03:00.0", Type: sdk.GPUIntelArc, VendorID: "0x8086", DeviceID: "0x56a0", Driver: "i915"}}, sdk.GPUIntelArc},
		{"nvidia without a driver cannot compute", []fn{
			{addr: "0000:01:00.0", class: "0x030200", vendor: "0x10de", device: "0x20b0"},
		}, []Device{{PCIAddress: "0000:01:00.0", Type: sdk.GPUNvidia, VendorID: "0x10de", DeviceID: "0x20b0"}}, sdk.GPUNone},
		{"virtual display adapter is ignored", []fn{
			{addr: "0000:00:02.0", class: "0x030000", vendor: "0x1234", device: "0x1111", driver: "bochs-drm"},
		}, nil, sdk.GPUNone},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := DetectIn(fixture(t, tt.fns...))
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("devices:\n got %+v\nwant %+v", got, tt.want)
			}
			if b := Best(got); b != tt.best {
				t.Errorf("best = %q, want %q", b, tt.best)
			}
		})
	}
}

// On this machine detection must simply not fail (CI has no GPU).
func TestDetectHere(t *testing.T) {
	for _, d := range Detect() {
		if d.Type == "" || d.PCIAddress == "" {
			t.Errorf("incomplete device %+v", d)
		}
	}
}
