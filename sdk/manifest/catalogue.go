package manifest

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/roundhouse-ai/roundhouse/types"
)

// Model capabilities a catalogue entry may claim.
const (
	CapabilityTools    = "tools"
	CapabilityThinking = "thinking"
	CapabilityVision   = "vision"
)

// CatalogueCapabilities lists every capability a catalogue entry may
// name.
var CatalogueCapabilities = []string{CapabilityTools, CapabilityThinking, CapabilityVision}

// CatalogueEntry is one model a plugin recommends: what it is, what it
// costs on disk and in memory, and what it can do. GET
// /v1/models/recommended matches these against the machine. Figures the
// author does not know are left out (0 or empty), never guessed.
type CatalogueEntry struct {
	// Name is what a pull takes ("llama3.2:1b").
	Name string `yaml:"name" json:"name"`
	// Services the model serves (chat, generate, embed...); each must be
	// one the plugin declares.
	Services []string `yaml:"services" json:"services"`
	// SizeBytes is the size on disk once pulled.
	SizeBytes int64 `yaml:"size_bytes,omitempty" json:"size_bytes,omitempty"`
	// Parameters is the parameter count as people write it ("1.2B", "494M").
	Parameters    string `yaml:"parameters,omitempty" json:"parameters,omitempty"`
	ContextLength int    `yaml:"context_length,omitempty" json:"context_length,omitempty"`
	Quantization  string `yaml:"quantization,omitempty" json:"quantization,omitempty"`
	// Capabilities: tools, thinking, vision.
	Capabilities []string `yaml:"capabilities,omitempty" json:"capabilities,omitempty"`
	// MinMemoryBytes is the memory the model needs to run (weights plus
	// a working context); 0 = unknown (the host then estimates from
	// SizeBytes).
	MinMemoryBytes int64 `yaml:"min_memory_bytes,omitempty" json:"min_memory_bytes,omitempty"`
	// MinVRAMBytes is the GPU memory it needs to run entirely on a GPU;
	// 0 = MinMemoryBytes.
	MinVRAMBytes int64  `yaml:"min_vram_bytes,omitempty" json:"min_vram_bytes,omitempty"`
	Description  string `yaml:"description,omitempty" json:"description,omitempty"`
}

// catalogueFile is the shape of a catalogue_file: a "models" list of
// entries, with the same keys as an inline catalogue.
type catalogueFile struct {
	Models []CatalogueEntry `yaml:"models" json:"models"`
}

// maxCatalogueFile bounds what LoadCatalogue reads from catalogue_file.
const maxCatalogueFile = 1 << 20

// Catalogue is the plugin's recommended models: the inline catalogue,
// or the entries of catalogue_file (read relative to Dir; a manifest
// with no Dir reads it relative to the working directory). It does not
// validate: Validate does, and reports problems by key.
func (m *Manifest) Catalogue() ([]CatalogueEntry, error) {
	if m.CatalogueFile == "" {
		return m.CatalogueEntries, nil
	}
	path := m.resolve(m.CatalogueFile)
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("catalogue_file: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxCatalogueFile+1))
	if err != nil {
		return nil, fmt.Errorf("catalogue_file: read %s: %w", path, err)
	}
	if len(data) > maxCatalogueFile {
		return nil, fmt.Errorf("catalogue_file: %s is larger than %d bytes", path, maxCatalogueFile)
	}
	return ParseCatalogue(data)
}

// ParseCatalogue decodes a catalogue file ("models: [...]", YAML or
// JSON). Unknown keys are errors, as in the manifest.
func ParseCatalogue(data []byte) ([]CatalogueEntry, error) {
	var cf catalogueFile
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&cf); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, errors.New("catalogue_file: empty (want a models: list)")
		}
		return nil, fmt.Errorf("catalogue_file: %w", err)
	}
	if len(cf.Models) == 0 {
		return nil, nil
	}
	return cf.Models, nil
}

// validateCatalogue adds the problems of the catalogue keys.
func (m *Manifest) validateCatalogue(add func(string, ...any)) {
	m.validateEntries("catalogue", m.CatalogueEntries, add)
	if m.CatalogueFile == "" {
		return
	}
	if len(m.CatalogueEntries) > 0 {
		add("catalogue: set catalogue or catalogue_file, not both")
	}
	switch {
	case filepath.IsAbs(m.CatalogueFile) || strings.Contains(m.CatalogueFile, ".."):
		add("catalogue_file: %q must be a path inside the plugin directory (relative, no '..')", m.CatalogueFile)
		return
	case strings.ContainsAny(m.CatalogueFile, "\x00\n\r"):
		add("catalogue_file: contains control characters")
		return
	}
	if m.Dir == "" {
		return // parsed, not loaded: the file is checked where it lives
	}
	entries, err := m.Catalogue()
	if err != nil {
		add("%v", err)
		return
	}
	m.validateEntries("catalogue_file "+m.CatalogueFile+": models", entries, add)
}

func (m *Manifest) validateEntries(prefix string, entries []CatalogueEntry, add func(string, ...any)) {
	seen := map[string]bool{}
	for i, e := range entries {
		f := fmt.Sprintf("%s[%d]", prefix, i)
		switch {
		case e.Name == "":
			add("%s.name: required", f)
		case strings.ContainsFunc(e.Name, func(r rune) bool { return r <= ' ' || r == 0x7f }):
			add("%s.name: %q contains spaces or control characters", f, e.Name)
		case len(e.Name) > 256:
			add("%s.name: longer than 256 characters", f)
		case seen[e.Name]:
			add("%s.name: duplicate model %q", f, e.Name)
		}
		seen[e.Name] = true
		if len(e.Services) == 0 {
			add("%s.services: at least one service is required", f)
		}
		for j, s := range e.Services {
			switch {
			case !slices.Contains(types.ServiceNames, s):
				add("%s.services[%d]: unknown service %q (want one of %s)", f, j, s, strings.Join(types.ServiceNames, ", "))
			case m.GetServiceByName(s) == nil:
				add("%s.services[%d]: the plugin does not offer %q (add it to services or remove it here)", f, j, s)
			case slices.Index(e.Services, s) != j:
				add("%s.services[%d]: duplicate service %q", f, j, s)
			}
		}
		for j, c := range e.Capabilities {
			switch {
			case !slices.Contains(CatalogueCapabilities, c):
				add("%s.capabilities[%d]: unknown capability %q (want %s)", f, j, c, strings.Join(CatalogueCapabilities, ", "))
			case slices.Index(e.Capabilities, c) != j:
				add("%s.capabilities[%d]: duplicate capability %q", f, j, c)
			}
		}
		if e.SizeBytes < 0 {
			add("%s.size_bytes: must not be negative", f)
		}
		if e.ContextLength < 0 {
			add("%s.context_length: must not be negative", f)
		}
		if e.MinMemoryBytes < 0 {
			add("%s.min_memory_bytes: must not be negative", f)
		}
		if e.MinVRAMBytes < 0 {
			add("%s.min_vram_bytes: must not be negative", f)
		}
		for key, v := range map[string]string{"parameters": e.Parameters, "quantization": e.Quantization, "description": e.Description} {
			if strings.ContainsAny(v, "\x00\r") || key != "description" && strings.Contains(v, "\n") {
				add("%s.%s: contains control characters", f, key)
			}
		}
	}
}
