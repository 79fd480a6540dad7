package manifest

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

const catalogueYAML = `
version: "1"
provider: {name: llm, version: 1.0.0, type: local}
services: [{service_name: chat}, {service_name: embed}]
platforms: {linux_amd64: {executable: bin/llm}}
catalogue:
  - name: small:1b
    services: [chat]
    size_bytes: 1300000000
    parameters: 1.24B
    context_length: 131072
    quantization: Q8_0
    capabilities: [tools, thinking, vision]
    min_memory_bytes: 2000000000
    min_vram_bytes: 1800000000
    description: A small model.
  - {name: embedder, services: [embed]}
`

func TestCatalogueInline(t *testing.T) {
	m, err := Parse([]byte(catalogueYAML), "yaml")
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Validate("linux", "amd64"); err != nil {
		t.Fatal(err)
	}
	got, err := m.Catalogue()
	if err != nil {
		t.Fatal(err)
	}
	want := []CatalogueEntry{
		{Name: "small:1b", Services: []string{"chat"}, SizeBytes: 1300000000, Parameters: "1.24B", ContextLength: 131072,
			Quantization: "Q8_0", Capabilities: []string{"tools", "thinking", "vision"}, MinMemoryBytes: 2000000000,
			MinVRAMBytes: 1800000000, Description: "A small model."},
		{Name: "embedder", Services: []string{"embed"}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("catalogue = %+v", got)
	}
}

// Every bad value is reported under its key, all at once.
func TestCatalogueValidation(t *testing.T) {
	head := "version: \"1\"\nprovider: {name: llm, version: 1.0.0, type: local}\nservices: [{service_name: chat}]\nplatforms: {linux_amd64: {executable: x}}\n"
	m, err := Parse([]byte(head+`catalogue:
  - {services: [chat]}
  - {name: "a b", services: []}
  - {name: m, services: [teleport, embed, chat, chat], capabilities: [tools, flying, tools]}
  - {name: m, services: [chat], size_bytes: -1, context_length: -2, min_memory_bytes: -3, min_vram_bytes: -4, parameters: "1\n2"}
catalogue_file: models.yaml
`), "yaml")
	if err != nil {
		t.Fatal(err)
	}
	err = m.Validate("linux", "amd64")
	for _, want := range []string{
		"catalogue: set catalogue or catalogue_file, not both",
		"catalogue[0].name: required",
		`catalogue[1].name: "a b" contains spaces`,
		"catalogue[1].services: at least one service is required",
		`catalogue[2].services[0]: unknown service "teleport"`,
		`catalogue[2].services[1]: the plugin does not offer "embed"`,
		`catalogue[2].services[3]: duplicate service "chat"`,
		`catalogue[2].capabilities[1]: unknown capability "flying" (want tools, thinking, vision)`,
		`catalogue[2].capabilities[2]: duplicate capability "tools"`,
		`catalogue[3].name: duplicate model "m"`,
		"catalogue[3].size_bytes: must not be negative",
		"catalogue[3].context_length: must not be negative",
		"catalogue[3].min_memory_bytes: must not be negative",
		"catalogue[3].min_vram_bytes: must not be negative",
		"catalogue[3].parameters: contains control characters",
	} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
	if !IsError(err) {
		t.Errorf("not a *Error: %T", err)
	}

	for _, bad := range []string{"../models.yaml", "/etc/models.yaml"} {
		m, err := Parse([]byte(head+"catalogue_file: "+bad+"\n"), "yaml")
		if err != nil {
			t.Fatal(err)
		}
		if err := m.Validate("linux", "amd64"); err == nil || !strings.Contains(err.Error(), "catalogue_file: \""+bad+"\" must be a path inside the plugin directory") {
			t.Errorf("%s: error = %v", bad, err)
		}
	}
	// A typo in an entry's key is the decoder's error, naming the key.
	if _, err := Parse([]byte(head+"catalogue: [{name: m, services: [chat], context_lenght: 4}]\n"), "yaml"); err == nil || !strings.Contains(err.Error(), "context_lenght") {
		t.Errorf("typo: %v", err)
	}
}

func writePlugin(t *testing.T, manifest string, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "bin"), 0o755); err != nil {
		t.Fatal(err)
	}
	files["plugin.yaml"] = manifest
	files["bin/llm"] = ""
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestCatalogueFile(t *testing.T) {
	head := "version: \"1\"\nprovider: {name: llm, version: 1.0.0, type: local}\nservices: [{service_name: chat}]\nplatforms: {linux_amd64: {executable: bin/llm}}\ncatalogue_file: models.yaml\n"
	t.Run("loads", func(t *testing.T) {
		dir := writePlugin(t, head, map[string]string{"models.yaml": "models:\n  - {name: a:1b, services: [chat], size_bytes: 10, capabilities: [vision]}\n  - {name: b, services: [chat]}\n"})
		m, err := Load(dir)
		if err != nil {
			t.Fatal(err)
		}
		if err := m.Validate("linux", "amd64"); err != nil {
			t.Fatal(err)
		}
		got, err := m.Catalogue()
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 2 || got[0].Name != "a:1b" || got[0].SizeBytes != 10 || got[0].Capabilities[0] != "vision" || got[1].Name != "b" {
			t.Fatalf("catalogue = %+v", got)
		}
		if m.CatalogueEntries != nil {
			t.Errorf("the file's entries leaked into the manifest: %+v", m.CatalogueEntries)
		}
	})
	t.Run("JSON file", func(t *testing.T) {
		dir := writePlugin(t, head, map[string]string{"models.yaml": `{"models":[{"name":"j","services":["chat"]}]}`})
		m, _ := Load(dir)
		if got, err := m.Catalogue(); err != nil || len(got) != 1 || got[0].Name != "j" {
			t.Fatalf("%+v %v", got, err)
		}
	})
	for name, tc := range map[string]struct {
		files map[string]string
		want  string
	}{
		"missing":       {map[string]string{}, "catalogue_file: open "},
		"empty":         {map[string]string{"models.yaml": ""}, "catalogue_file: empty"},
		"unknown key":   {map[string]string{"models.yaml": "models: [{name: a, services: [chat], size: 3}]\n"}, "field size not found"},
		"invalid entry": {map[string]string{"models.yaml": "models: [{name: a, services: [embed]}]\n"}, `catalogue_file models.yaml: models[0].services[0]: the plugin does not offer "embed"`},
	} {
		t.Run(name, func(t *testing.T) {
			m, err := Load(writePlugin(t, head, tc.files))
			if err != nil {
				t.Fatal(err)
			}
			if err := m.Validate("linux", "amd64"); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error = %v, want %q", err, tc.want)
			}
		})
	}
	t.Run("too large", func(t *testing.T) {
		m, err := Load(writePlugin(t, head, map[string]string{"models.yaml": "# " + strings.Repeat("x", maxCatalogueFile) + "\n"}))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := m.Catalogue(); err == nil || !strings.Contains(err.Error(), "larger than") {
			t.Fatalf("error = %v", err)
		}
	})
}

// The shipped Ollama catalogue is honest about the test bed: the tiny
// test model is not recommended to users.
func TestOllamaCatalogue(t *testing.T) {
	m, err := Load("../../plugins/ollama")
	if err != nil {
		t.Fatal(err)
	}
	entries, err := m.Catalogue()
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) == 0 {
		t.Fatal("no catalogue")
	}
	for _, e := range entries {
		if strings.Contains(e.Name, "tiny") {
			t.Errorf("test model %q in the shipped catalogue", e.Name)
		}
		if e.SizeBytes == 0 {
			t.Errorf("%s: no size", e.Name)
		}
	}
}
