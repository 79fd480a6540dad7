package manifest

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/roundhouse-ai/roundhouse/types"
)

// Every key the host used to parse and never read is refused with a
// message naming it and saying what to do instead, in YAML and JSON.
func TestRetiredKeysRejected(t *testing.T) {
	for key := range retiredServiceKeys {
		t.Run(key, func(t *testing.T) {
			docs := map[string]string{
				"yaml": "version: \"1\"\nprovider: {name: x, version: \"1\", type: remote}\nservices:\n  - service_name: embed\n  - service_name: chat\n    " + key + ": something\nplatforms: {linux_amd64: {executable: x}}\n",
				"json": `{"version":"1","provider":{"name":"x","version":"1","type":"remote"},"services":[{"service_name":"embed"},{"service_name":"chat","` + key + `":"something"}],"platforms":{"linux_amd64":{"executable":"x"}}}`,
			}
			for format, doc := range docs {
				_, err := Parse([]byte(doc), format)
				want := "services[1]." + key + ": not supported"
				if err == nil || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), "remove the key") {
					t.Fatalf("%s: error = %v, want %q", format, err, want)
				}
				if !IsError(err) {
					t.Errorf("%s: not a *Error: %T", format, err)
				}
			}
		})
	}
	t.Run("several at once", func(t *testing.T) {
		_, err := Parse([]byte("version: \"1\"\nservices:\n  - {service_name: chat, protocol: http, endpoint: /api/chat}\n"), "yaml")
		if err == nil || !strings.Contains(err.Error(), "services[0].endpoint") || !strings.Contains(err.Error(), "services[0].protocol") {
			t.Fatalf("error = %v", err)
		}
	})
	t.Run("old dependency strings", func(t *testing.T) {
		_, err := Parse([]byte("version: \"1\"\nplatforms:\n  linux_amd64: {executable: x, dependencies: [ffmpeg]}\n"), "yaml")
		if err == nil || !strings.Contains(err.Error(), "platforms.linux_amd64.dependencies[0]: write {command: ffmpeg}") {
			t.Fatalf("error = %v", err)
		}
	})
	t.Run("a typo still gets the decoder's error", func(t *testing.T) {
		_, err := Parse([]byte("version: \"1\"\nservices: [{service_name: chat, timeuot: 3}]\n"), "yaml")
		if err == nil || !strings.Contains(err.Error(), "timeuot") || IsError(err) {
			t.Fatalf("error = %v", err)
		}
	})
}

// The shipped manifests and the documented example parse and validate:
// no retired key is left in them.
func TestShippedManifestsValid(t *testing.T) {
	files, _ := filepath.Glob("../../plugins/*/plugin.yaml")
	files = append(files, "../../plugin.yaml.example")
	for _, f := range files {
		t.Run(f, func(t *testing.T) {
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			m, err := Parse(data, "yaml")
			if err != nil {
				t.Fatal(err)
			}
			if err := m.Validate("linux", "amd64"); err != nil {
				t.Fatal(err)
			}
		})
	}
}

const gpuYAML = `
version: "1"
provider: {name: llm, version: 1.0.0, type: local}
services: [{service_name: chat}]
gpu_types: [none, nvidia, amd, intel_arc]
platforms:
  linux_amd64:
    executable: bin/llm
    sha256: 0000000000000000000000000000000000000000000000000000000000000000
    gpu_executables:
      nvidia: {executable: bin/llm-cuda, sha256: 1111111111111111111111111111111111111111111111111111111111111111}
      intel_arc: {executable: bin/llm-sycl}
`

func TestChooseExecutable(t *testing.T) {
	m, err := Parse([]byte(gpuYAML), "yaml")
	if err != nil {
		t.Fatal(err)
	}
	m.Dir = "/p"
	tests := []struct {
		name   string
		usable []types.GPUType
		exe    string
		gpu    types.GPUType
		using  string
	}{
		{"no gpu", nil, "/p/bin/llm", "", "cpu"},
		{"nvidia", []types.GPUType{types.GPUNvidia}, "/p/bin/llm-cuda", types.GPUNvidia, "nvidia"},
		{"nvidia preferred over arc", []types.GPUType{types.GPUIntelArc, types.GPUNvidia}, "/p/bin/llm-cuda", types.GPUNvidia, "nvidia"},
		// amd is supported by the default build (no amd entry): it runs, for amd.
		{"amd through the default build", []types.GPUType{types.GPUAMD}, "/p/bin/llm", "", "amd"},
		{"amd and arc: the arc build", []types.GPUType{types.GPUAMD, types.GPUIntelArc}, "/p/bin/llm-sycl", types.GPUIntelArc, "intel_arc"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := m.ChooseExecutable("linux", "amd64", tt.usable)
			if err != nil {
				t.Fatal(err)
			}
			if c.Executable != tt.exe || c.GPU != tt.gpu || c.Using != tt.using {
				t.Fatalf("got %+v", c)
			}
			if tt.gpu == types.GPUNvidia && !strings.HasPrefix(c.SHA256, "1111") || tt.gpu == "" && !strings.HasPrefix(c.SHA256, "0000") {
				t.Errorf("sha256 %q does not go with %s", c.SHA256, c.Executable)
			}
		})
	}
	// A GPU the manifest does not list is not used.
	m.GPUTypes = []types.GPUType{types.GPUNone}
	m.Platforms["linux_amd64"] = PlatformConfig{Executable: "bin/llm"}
	if c, _ := m.ChooseExecutable("linux", "amd64", []types.GPUType{types.GPUNvidia}); c.Using != "cpu" || c.Executable != "/p/bin/llm" {
		t.Fatalf("unsupported gpu used: %+v", c)
	}
	if _, err := m.ChooseExecutable("windows", "arm64", nil); err == nil {
		t.Fatal("no error for a platform without executable")
	}
}

func TestValidateChecksGPUExecutablesExist(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "plugin.yaml"), []byte(gpuYAML), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(dir, "bin"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"llm", "llm-cuda"} {
		if err := os.WriteFile(filepath.Join(dir, "bin", f), nil, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	m, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	err = m.Validate("linux", "amd64")
	if err == nil || !strings.Contains(err.Error(), "gpu_executables.intel_arc.executable: "+filepath.Join(dir, "bin", "llm-sycl")+" does not exist") {
		t.Fatalf("error = %v", err)
	}
}

func TestCheckDependencies(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("uses sh")
	}
	sh, err := exec.LookPath("sh")
	if err != nil {
		t.Skip("no sh on PATH")
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "weights.bin"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv("RH_TEST_DEPS", dir)
	m, err := Parse([]byte(`
version: "1"
provider: {name: tts, version: 1.0.0, type: local}
services: [{service_name: text-to-speech}]
platforms:
  linux_amd64:
    executable: bin/tts
    dependencies:
      - {command: sh}
      - {file: weights.bin}
      - {file: "${RH_TEST_DEPS}/weights.bin"}
      - {command: roundhouse-no-such-tool, install: "apt install roundhouse-no-such-tool"}
      - {file: missing/espeak-data, install: "https://example.com/espeak"}
`), "yaml")
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Validate("linux", "amd64"); err != nil {
		t.Fatal(err)
	}
	m.Dir = dir
	checks, err := m.CheckDependencies("linux", "amd64")
	if err == nil {
		t.Fatal("missing dependencies not reported")
	}
	for _, want := range []string{
		`plugin tts is missing a dependency`,
		`command "roundhouse-no-such-tool" not found on PATH (install: apt install roundhouse-no-such-tool)`,
		`file missing/espeak-data does not exist (install: https://example.com/espeak)`,
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
	found := []string{sh, filepath.Join(dir, "weights.bin"), filepath.Join(dir, "weights.bin"), "", ""}
	if len(checks) != len(found) {
		t.Fatalf("checks = %+v", checks)
	}
	for i, c := range checks {
		if c.Found != found[i] {
			t.Errorf("checks[%d] (%s) found %q, want %q", i, c.Name(), c.Found, found[i])
		}
	}
	m.Platforms["linux_amd64"] = PlatformConfig{Executable: "bin/tts", Dependencies: m.Platforms["linux_amd64"].Dependencies[:3]}
	if _, err := m.CheckDependencies("linux", "amd64"); err != nil {
		t.Fatalf("all present: %v", err)
	}
	if checks, err := m.CheckDependencies("darwin", "arm64"); err != nil || checks != nil {
		t.Fatalf("no platform entry: %v %v", checks, err)
	}
}
