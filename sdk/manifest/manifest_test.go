package manifest

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/roundhouse-ai/roundhouse/types"
)

const goodYAML = `
version: "1"
provider:
  name: demo
  display_name: Demo
  version: 1.2.3
  type: local
  engine_host: 127.0.0.1:1234
services:
  - service_name: chat
    default_model: m1
    support_models: [m1, m2]
    timeout: 30
    capabilities: {support_streaming: true}
  - service_name: embed
    timeout: -1
gpu_types: [none, nvidia]
platforms:
  linux_amd64: {executable: bin/demo}
  darwin_arm64: {executable: bin/demo}
resources:
  data_dir: ${RH_TEST_HOME}/demo
  models_dir: ${RH_TEST_HOME}/models
`

func TestParseManifest(t *testing.T) {
	t.Setenv("RH_TEST_HOME", "/home/x")
	m, err := Parse([]byte(goodYAML), "yaml")
	if err != nil {
		t.Fatal(err)
	}
	if got := m.Resources.DataDir; got != "/home/x/demo" {
		t.Errorf("data_dir = %q", got)
	}
	if got := m.Resources.Extra["models_dir"]; got != "/home/x/models" {
		t.Errorf("models_dir = %q", got)
	}
	if s := m.GetServiceByName("chat"); s == nil || s.UnaryTimeout() != 30*time.Second || !s.Capabilities.SupportStreaming {
		t.Errorf("chat = %+v", s)
	}
	if s := m.GetServiceByName("embed"); s.UnaryTimeout() != 0 || s.StreamTimeout() != 0 {
		t.Errorf("timeout -1 must mean no limit: %v", s.UnaryTimeout())
	}
	if m.GetServiceByName("rerank") != nil {
		t.Error("rerank found")
	}
	if pc, ok := m.GetPlatformConfig("darwin", "arm64"); !ok || pc.Executable != "bin/demo" {
		t.Errorf("platform = %+v %v", pc, ok)
	}
	if err := m.Validate("linux", "amd64"); err != nil {
		t.Errorf("valid manifest rejected: %v", err)
	}
}

func TestTimeoutDefaults(t *testing.T) {
	s := ServiceSpec{}
	if s.UnaryTimeout() != 60*time.Second || s.StreamTimeout() != 300*time.Second {
		t.Fatal(s.UnaryTimeout(), s.StreamTimeout())
	}
}

func TestValidateRejects(t *testing.T) {
	tests := []struct {
		name    string
		edit    func(m *Manifest)
		goos    string
		wantErr string
	}{
		{"unknown type", func(m *Manifest) { m.Provider.Type = "cloud" }, "linux", `provider.type: unknown value "cloud"`},
		{"missing name", func(m *Manifest) { m.Provider.Name = "" }, "linux", "provider.name: required"},
		{"path in name", func(m *Manifest) { m.Provider.Name = "../x" }, "linux", "provider.name"},
		{"upper case name", func(m *Manifest) { m.Provider.Name = "Demo" }, "linux", "provider.name"},
		{"duplicate service", func(m *Manifest) { m.Services = append(m.Services, m.Services[0]) }, "linux", `services[2].service_name: duplicate service "chat"`},
		{"unknown service", func(m *Manifest) { m.Services[0].ServiceName = "summon" }, "linux", `unknown service "summon"`},
		{"gpu build not in gpu_types", func(m *Manifest) {
			m.Platforms["linux_amd64"] = PlatformConfig{Executable: "bin/demo", GPUExecutables: map[types.GPUType]GPUExecutable{types.GPUAMD: {Executable: "bin/demo-rocm"}}}
		}, "linux", "platforms.linux_amd64.gpu_executables.amd: amd is not in gpu_types"},
		{"gpu build for none", func(m *Manifest) {
			m.Platforms["linux_amd64"] = PlatformConfig{Executable: "bin/demo", GPUExecutables: map[types.GPUType]GPUExecutable{types.GPUNone: {Executable: "bin/x"}}}
		}, "linux", `gpu_executables.none: unknown GPU family "none"`},
		{"gpu build escaping", func(m *Manifest) {
			m.Platforms["linux_amd64"] = PlatformConfig{Executable: "bin/demo", GPUExecutables: map[types.GPUType]GPUExecutable{types.GPUNvidia: {Executable: "../cuda"}}}
		}, "linux", "gpu_executables.nvidia.executable: must stay inside"},
		{"gpu build without executable", func(m *Manifest) {
			m.Platforms["linux_amd64"] = PlatformConfig{Executable: "bin/demo", GPUExecutables: map[types.GPUType]GPUExecutable{types.GPUNvidia: {SHA256: "zz"}}}
		}, "linux", "gpu_executables.nvidia.executable: required"},
		{"empty dependency", func(m *Manifest) {
			m.Platforms["linux_amd64"] = PlatformConfig{Executable: "bin/demo", Dependencies: []Dependency{{Install: "apt install x"}}}
		}, "linux", "platforms.linux_amd64.dependencies[0]: set command"},
		{"dependency with command and file", func(m *Manifest) {
			m.Platforms["linux_amd64"] = PlatformConfig{Executable: "bin/demo", Dependencies: []Dependency{{Command: "a", File: "b"}}}
		}, "linux", "dependencies[0]: set command or file, not both"},
		{"unknown gpu", func(m *Manifest) { m.GPUTypes = []types.GPUType{"tpu"} }, "linux", `gpu_types[0]: unknown value "tpu"`},
		{"no executable for platform", func(m *Manifest) {}, "windows", "platforms.windows_amd64: missing"},
		{"escaping executable", func(m *Manifest) {
			m.Platforms["linux_amd64"] = PlatformConfig{Executable: "../../bin/sh"}
		}, "linux", "must stay inside the plugin directory"},
		{"bad sha", func(m *Manifest) {
			m.Platforms["linux_amd64"] = PlatformConfig{Executable: "bin/demo", SHA256: "abc"}
		}, "linux", "sha256: must be 64 hex digits"},
		{"bad platform key", func(m *Manifest) { m.Platforms["linux"] = PlatformConfig{Executable: "x"} }, "linux", "platforms.linux: key must be"},
		{"engine download without sha", func(m *Manifest) {
			m.Engine = &EngineSpec{Downloads: map[string]EngineDownload{"linux_amd64": {URL: "https://x"}}}
		}, "linux", "engine.downloads.linux_amd64.sha256: required"},
		{"no services", func(m *Manifest) { m.Services = nil }, "linux", "services: at least one"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := Parse([]byte(goodYAML), "yaml")
			if err != nil {
				t.Fatal(err)
			}
			tt.edit(m)
			err = m.Validate(tt.goos, "amd64")
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("error = %v, want %q", err, tt.wantErr)
			}
			if !IsError(err) {
				t.Errorf("not a Error: %T", err)
			}
		})
	}
}

func TestParseManifestRejectsUnknownKeys(t *testing.T) {
	_, err := Parse([]byte(goodYAML+"servces: []\n"), "yaml")
	if err == nil || !strings.Contains(err.Error(), "servces") {
		t.Fatalf("typo accepted: %v", err)
	}
}

func TestLoadSaveManifestRoundTrip(t *testing.T) {
	m, err := Parse([]byte(goodYAML), "yaml")
	if err != nil {
		t.Fatal(err)
	}
	for _, format := range []string{"yaml", "json"} {
		t.Run(format, func(t *testing.T) {
			dir := t.TempDir()
			if err := Save(dir, m, format); err != nil {
				t.Fatal(err)
			}
			if format == "json" {
				if _, err := os.Stat(filepath.Join(dir, "plugin.yaml")); err == nil {
					t.Fatal("json save wrote yaml")
				}
			}
			got, err := Load(dir) // falls back to plugin.json
			if err != nil {
				t.Fatal(err)
			}
			if got.Dir != dir || got.Provider != m.Provider || len(got.Services) != 2 ||
				got.Resources.Extra["models_dir"] != m.Resources.Extra["models_dir"] || got.Resources.DataDir != m.Resources.DataDir {
				t.Fatalf("round trip lost data: %+v", got)
			}
			// Validate checks the executable exists when loaded from a dir.
			if err := got.Validate("linux", "amd64"); err == nil || !strings.Contains(err.Error(), "does not exist") {
				t.Fatalf("missing executable not reported: %v", err)
			}
			if err := os.MkdirAll(filepath.Join(dir, "bin"), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(dir, "bin", "demo"), nil, 0o755); err != nil {
				t.Fatal(err)
			}
			if err := got.Validate("linux", "amd64"); err != nil {
				t.Fatal(err)
			}
		})
	}
	if _, err := Load(t.TempDir()); err == nil || !strings.Contains(err.Error(), "no plugin.yaml or plugin.json") {
		t.Fatalf("empty dir: %v", err)
	}
}

func TestExpandVarsOnlyBraced(t *testing.T) {
	t.Setenv("RH_A", "alpha")
	if got := ExpandVars("${RH_A}/$RH_A/${RH_UNSET_X}"); got != "alpha/$RH_A/" {
		t.Fatal(got)
	}
}
