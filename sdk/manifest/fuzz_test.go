package manifest

import (
	"reflect"
	"testing"
)

// FuzzManifest feeds arbitrary bytes to the manifest parser as YAML and as
// JSON: parsing and validating never panic, and a manifest that validates
// survives Save + Load unchanged (what the host reads is
// what a tool wrote).
func FuzzManifest(f *testing.F) {
	f.Add([]byte(goodYAML), false)
	f.Add([]byte(`{"version":"1","provider":{"name":"demo","version":"1.0.0","type":"remote"},"services":[{"service_name":"chat"}],"platforms":{"linux_amd64":{"executable":"bin/x"}}}`), true)
	f.Add([]byte("version: \"1\"\nprovider: {name: x}\nservices: [{service_name: chat, timeout: 1e400}]\n"), false)
	f.Add([]byte("a: &a [*a, *a]\n"), false)
	f.Add([]byte("{}"), true)
	// GPU builds and dependencies, valid and not.
	f.Add([]byte(gpuYAML), false)
	f.Add([]byte("version: \"1\"\nprovider: {name: d, version: \"1\", type: local}\nservices: [{service_name: chat}]\ngpu_types: [nvidia]\nplatforms:\n  linux_amd64:\n    executable: bin/x\n    gpu_executables: {nvidia: {executable: bin/x-cuda, sha256: \"\"}, none: {executable: y}}\n    dependencies: [{command: ffmpeg, install: apt install ffmpeg}, {file: ${HOME}/w.bin}, {command: a, file: b}, {}]\n"), false)
	f.Add([]byte(`{"version":"1","provider":{"name":"d","version":"1","type":"local"},"services":[{"service_name":"chat"}],"gpu_types":["amd"],"platforms":{"linux_amd64":{"executable":"x","gpu_executables":{"amd":{"executable":"x-rocm"}},"dependencies":[{"file":"lib/a.so","install":"make"}]}}}`), true)
	// Empty optional lists and maps survive the round trip.
	f.Add([]byte("version: \"1\"\nprovider: {name: d, version: \"1\", type: local}\nservices: [{service_name: chat, support_models: []}]\ngpu_types: []\nengine: {downloads: {}}\nplatforms:\n  linux_amd64: {executable: x, gpu_executables: {}, dependencies: []}\n"), false)
	// Retired keys and old dependency strings: refused with a message.
	f.Add([]byte("version: \"1\"\nservices: [{service_name: chat, task_type: t, protocol: http, expose_protocol: http, endpoint: /x, auth_type: apikey, auth_fields: [k], config_ref: c, middlewares: [m]}]\nplatforms: {linux_amd64: {executable: x, dependencies: [ffmpeg]}}\n"), false)
	f.Add([]byte(`{"services":[{"service_name":"chat","auth_type":"none"}],"platforms":{"linux_amd64":{"executable":"x","dependencies":["ffmpeg",{"command":"sh"}]}}}`), true)
	// Recommended-model catalogues: inline, valid and not; a file name.
	f.Add([]byte(catalogueYAML), false)
	f.Add([]byte("version: \"1\"\nprovider: {name: d, version: \"1\", type: local}\nservices: [{service_name: chat}]\nplatforms: {linux_amd64: {executable: x}}\ncatalogue: [{name: m, services: [chat, embed], capabilities: [tools, x], size_bytes: -1}, {name: m, services: []}]\ncatalogue_file: ../m.yaml\n"), false)
	f.Add([]byte(`{"version":"1","provider":{"name":"d","version":"1","type":"local"},"services":[{"service_name":"embed"}],"platforms":{"linux_amd64":{"executable":"x"}},"catalogue":[{"name":"e","services":["embed"],"size_bytes":274000000,"parameters":"137M","context_length":2048,"quantization":"F16","capabilities":[],"min_memory_bytes":1,"min_vram_bytes":2,"description":"d"}]}`), true)
	f.Add([]byte("version: \"1\"\nprovider: {name: d, version: \"1\", type: local}\nservices: [{service_name: chat}]\nplatforms: {linux_amd64: {executable: x}}\ncatalogue: []\ncatalogue_file: models.yaml\n"), false)
	f.Fuzz(func(t *testing.T, data []byte, asJSON bool) {
		format := "yaml"
		if asJSON {
			format = "json"
		}
		m, err := Parse(data, format)
		if err != nil {
			return
		}
		if m.Validate("linux", "amd64") != nil {
			return
		}
		dir := t.TempDir()
		if err := Save(dir, m, format); err != nil {
			t.Fatalf("a valid manifest cannot be saved: %v", err)
		}
		back, err := Load(dir)
		if err != nil {
			t.Fatalf("a saved manifest cannot be loaded: %v", err)
		}
		back.Dir = m.Dir
		if !reflect.DeepEqual(m, back) {
			t.Fatalf("round trip changed the manifest:\n got %+v\nwant %+v", back, m)
		}
		if err := back.Validate("linux", "amd64"); err != nil {
			t.Fatalf("round trip made a valid manifest invalid: %v", err)
		}
	})
}
