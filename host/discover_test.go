package host

import (
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"testing"

	"github.com/roundhouse-ai/roundhouse/sdk/gpu"
)

func writePlugin(t *testing.T, root, dir, manifest string, exe bool) {
	t.Helper()
	d := filepath.Join(root, dir)
	if err := os.MkdirAll(d, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(d, "plugin.yaml"), []byte(manifest), 0o644); err != nil {
		t.Fatal(err)
	}
	if exe {
		if err := os.WriteFile(filepath.Join(d, "bin"), []byte("#!/bin/sh\n"), 0o755); err != nil {
			t.Fatal(err)
		}
	}
}

func manifestYAML(name, typ, service string) string {
	return "version: \"1\"\nprovider:\n  name: " + name + "\n  version: 1.0.0\n  type: " + typ +
		"\nservices:\n  - service_name: " + service + "\nplatforms:\n  " + runtime.GOOS + "_" + runtime.GOARCH + ":\n    executable: bin\n"
}

func TestDiscover(t *testing.T) {
	root := t.TempDir()
	writePlugin(t, root, "good", manifestYAML("good", "local", "chat"), true)
	writePlugin(t, root, "badtype", manifestYAML("badtype", "cloudy", "chat"), true)
	writePlugin(t, root, "noexe", manifestYAML("noexe", "remote", "embed"), false)
	writePlugin(t, root, "zdup", manifestYAML("good", "local", "chat"), true)
	writePlugin(t, root, "badsvc", manifestYAML("badsvc", "local", "teleport"), true)
	writePlugin(t, root, "traversal", manifestYAML("../evil", "local", "chat"), true)
	if err := os.MkdirAll(filepath.Join(root, "not-a-plugin"), 0o755); err != nil {
		t.Fatal(err)
	}
	got := map[string]Candidate{}
	for _, c := range Discover([]string{root, filepath.Join(root, "missing-root")}) {
		got[filepath.Base(c.Dir)] = c
	}
	tests := []struct {
		dir     string
		wantErr string // "" = valid
	}{
		{"good", ""},
		{"badtype", `provider.type: unknown value "cloudy"`},
		{"noexe", "does not exist"},
		{"zdup", `plugin name "good" already used`},
		{"badsvc", `services[0].service_name: unknown service "teleport"`},
		{"traversal", "provider.name"},
	}
	for _, tt := range tests {
		t.Run(tt.dir, func(t *testing.T) {
			c, ok := got[tt.dir]
			if !ok {
				t.Fatalf("not discovered; got %v", got)
			}
			switch {
			case tt.wantErr == "" && c.Err != nil:
				t.Fatalf("unexpected error: %v", c.Err)
			case tt.wantErr != "" && (c.Err == nil || !strings.Contains(c.Err.Error(), tt.wantErr)):
				t.Fatalf("error = %v, want it to contain %q", c.Err, tt.wantErr)
			}
		})
	}
	if _, ok := got["not-a-plugin"]; ok {
		t.Error("a directory without a manifest was taken for a plugin")
	}
	if c := got["good"]; c.Executable != filepath.Join(root, "good", "bin") {
		t.Errorf("executable = %q", c.Executable)
	}
}

// sysfs writes a fake /sys/bus/pci/devices under a temp root, one display
// controller per entry (as sdk/gpu's own fixtures), for gpu.DetectIn.
type pciGPU struct{ addr, vendor, device, driver, vram string }

func sysfs(t *testing.T, gpus ...pciGPU) string {
	t.Helper()
	root := t.TempDir()
	for _, g := range gpus {
		dir := filepath.Join(root, "sys", "bus", "pci", "devices", g.addr)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		for name, v := range map[string]string{"class": "0x030000", "vendor": g.vendor, "device": g.device, "mem_info_vram_total": g.vram} {
			if v != "" {
				if err := os.WriteFile(filepath.Join(dir, name), []byte(v+"\n"), 0o644); err != nil {
					t.Fatal(err)
				}
			}
		}
		if g.driver != "" {
			if err := os.Symlink("../../../../bus/pci/drivers/"+g.driver, filepath.Join(dir, "driver")); err != nil {
				t.Fatal(err)
			}
		}
	}
	return root
}

var (
	nvidiaCard = pciGPU{addr: "0000:01:00.0", vendor: "0x10de", device: "0x2684", driver: "nvidia"}
	nvidiaBare = pciGPU{addr: "0000:01:00.0", vendor: "0x10de", device: "0x2684"} // no driver
	amdCard    = pciGPU{addr: "0000:03:00.0", vendor: "0x1002", device: "0x744c", driver: "amdgpu", vram: "25753026560"}
	amdAPU     = pciGPU{addr: "0000:c4:00.0", vendor: "0x1002", device: "0x15bf", driver: "amdgpu", vram: "536870912"}
	intelIGPU  = pciGPU{addr: "0000:00:02.0", vendor: "0x8086", device: "0x4680", driver: "i915"}
	arcCard    = pciGPU{addr: "0000:05:00.0", vendor: "0x8086", device: "0x56a0", driver: "i915"}
)

// The executable is chosen for the GPUs found in the (fixture) sysfs:
// a gpu_executables build for the best usable GPU gpu_types lists, else
// the default; GPU says what is supported, detected and used.
func TestDiscoverChoosesGPUExecutable(t *testing.T) {
	plat := runtime.GOOS + "_" + runtime.GOARCH
	cuda := strings.Repeat("c", 64)
	gpuManifest := func(name, gpuTypes string) string {
		return "version: \"1\"\nprovider: {name: " + name + ", version: 1.0.0, type: local}\nservices: [{service_name: chat}]\n" +
			"gpu_types: " + gpuTypes + "\nplatforms:\n  " + plat + ":\n    executable: bin\n    sha256: " + strings.Repeat("0", 64) + "\n" +
			"    gpu_executables:\n      nvidia: {executable: bin-cuda, sha256: " + cuda + "}\n      amd: {executable: bin-rocm}\n"
	}
	root := t.TempDir()
	writePlugin(t, root, "llm", gpuManifest("llm", "[none, nvidia, amd, intel_arc]"), true)
	writePlugin(t, root, "cpuonly", manifestYAML("cpuonly", "local", "chat"), true)
	for _, f := range []string{"bin-cuda", "bin-rocm"} {
		if err := os.WriteFile(filepath.Join(root, "llm", f), nil, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	// nvidia listed in gpu_executables but not in gpu_types: refused.
	writePlugin(t, root, "inconsistent", gpuManifest("inconsistent", "[amd]"), true)
	// a GPU build that was not shipped: refused, naming it.
	writePlugin(t, root, "unbuilt", gpuManifest("unbuilt", "[nvidia, amd]"), true)

	tests := []struct {
		name     string
		gpus     []pciGPU
		exe, sha string
		gpu      string // GPU.Executable
		using    string
		detected []string
	}{
		{"no gpu", nil, "bin", "0000", "", "cpu", []string{}},
		{"nvidia", []pciGPU{intelIGPU, nvidiaCard}, "bin-cuda", "cccc", "bin-cuda", "nvidia", []string{"nvidia"}},
		{"nvidia without driver", []pciGPU{nvidiaBare}, "bin", "0000", "", "cpu", []string{}},
		{"amd and nvidia: nvidia first", []pciGPU{amdCard, nvidiaCard}, "bin-cuda", "cccc", "bin-cuda", "nvidia", []string{"nvidia", "amd"}},
		{"amd discrete", []pciGPU{amdCard}, "bin-rocm", "", "bin-rocm", "amd", []string{"amd"}},
		{"amd apu only", []pciGPU{amdAPU}, "bin", "0000", "", "cpu", []string{}},
		// supported through the default build (no intel_arc entry).
		{"intel arc", []pciGPU{arcCard}, "bin", "0000", "", "intel_arc", []string{"intel_arc"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := map[string]Candidate{}
			for _, c := range discover([]string{root}, gpu.DetectIn(sysfs(t, tt.gpus...))) {
				got[filepath.Base(c.Dir)] = c
			}
			c := got["llm"]
			if c.Err != nil {
				t.Fatal(c.Err)
			}
			if c.Executable != filepath.Join(root, "llm", tt.exe) || !strings.HasPrefix(c.SHA256, tt.sha) {
				t.Errorf("executable %s sha256 %q, want %s %s…", c.Executable, c.SHA256, tt.exe, tt.sha)
			}
			want := PluginGPU{Supported: []string{"none", "nvidia", "amd", "intel_arc"}, Detected: tt.detected, Using: tt.using, Executable: tt.gpu}
			if c.GPU == nil || !reflect.DeepEqual(*c.GPU, want) {
				t.Errorf("gpu = %+v, want %+v", c.GPU, want)
			}
			// A plugin that declares no GPU runs on the CPU whatever is found.
			if g := got["cpuonly"].GPU; g == nil || g.Using != "cpu" || len(g.Supported) != 0 || !reflect.DeepEqual(g.Detected, tt.detected) {
				t.Errorf("cpuonly gpu = %+v", g)
			}
			if err := got["inconsistent"].Err; err == nil || !strings.Contains(err.Error(), "gpu_executables.nvidia: nvidia is not in gpu_types") {
				t.Errorf("inconsistent: %v", err)
			}
			if err := got["unbuilt"].Err; err == nil || !strings.Contains(err.Error(), "gpu_executables.amd.executable: "+filepath.Join(root, "unbuilt", "bin-rocm")+" does not exist") {
				t.Errorf("unbuilt: %v", err)
			}
		})
	}
}
