package manifest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"gopkg.in/yaml.v3"
)

// Manifest file names, in the order Load tries them.
const (
	FileYAML = "plugin.yaml"
	FileJSON = "plugin.json"
)

// Load reads dir/plugin.yaml, falling back to dir/plugin.json. It
// expands ${VAR} in paths and sets Dir, but does not validate: call
// Validate for that.
func Load(dir string) (*Manifest, error) {
	var lastErr error
	for _, name := range []string{FileYAML, FileJSON} {
		path := filepath.Join(dir, name)
		data, err := os.ReadFile(path)
		if errors.Is(err, fs.ErrNotExist) {
			lastErr = err
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("read manifest: %w", err)
		}
		m, err := Parse(data, strings.TrimPrefix(filepath.Ext(name), "."))
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		abs, err := filepath.Abs(dir)
		if err != nil {
			return nil, err
		}
		m.Dir = abs
		return m, nil
	}
	return nil, fmt.Errorf("no %s or %s in %s: %w", FileYAML, FileJSON, dir, lastErr)
}

// Parse decodes a manifest in format "yaml" or "json". Unknown
// fields are errors, so a typo in a key does not pass silently; a key
// earlier manifests had and the host never read (task_type, protocol,
// endpoint...) is a *Error saying what to do instead.
func Parse(data []byte, format string) (*Manifest, error) {
	var m Manifest
	switch format {
	case "yaml", "yml":
		dec := yaml.NewDecoder(bytes.NewReader(data))
		dec.KnownFields(true)
		if err := dec.Decode(&m); err != nil {
			if p := retiredProblems(data, format); p != nil {
				return nil, &Error{Problems: p}
			}
			return nil, fmt.Errorf("parse yaml manifest: %w", err)
		}
	case "json":
		dec := json.NewDecoder(bytes.NewReader(data))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&m); err != nil {
			if p := retiredProblems(data, format); p != nil {
				return nil, &Error{Problems: p}
			}
			return nil, fmt.Errorf("parse json manifest: %w", err)
		}
	default:
		return nil, fmt.Errorf("unknown manifest format %q (want yaml or json)", format)
	}
	m.expandVars()
	m.dropEmpty()
	return &m, nil
}

// Save writes m to dir as plugin.yaml (format "yaml") or
// plugin.json (format "json").
func Save(dir string, m *Manifest, format string) error {
	var (
		data []byte
		err  error
		name string
	)
	switch format {
	case "yaml", "yml":
		data, err = yaml.Marshal(m)
		name = FileYAML
	case "json":
		data, err = json.MarshalIndent(m, "", "  ")
		name = FileJSON
	default:
		return fmt.Errorf("unknown manifest format %q (want yaml or json)", format)
	}
	if err != nil {
		return fmt.Errorf("encode manifest: %w", err)
	}
	return os.WriteFile(filepath.Join(dir, name), data, 0o644)
}

var varPattern = regexp.MustCompile(`\$\{([A-Za-z_][A-Za-z0-9_]*)\}`)

// ExpandVars replaces ${VAR} with the environment's VAR ("" when unset).
// Only the braced form is expanded, so a literal $ in a path survives.
func ExpandVars(s string) string {
	return varPattern.ReplaceAllStringFunc(s, func(v string) string {
		return os.Getenv(v[2 : len(v)-1])
	})
}

func (m *Manifest) expandVars() {
	m.Resources.DataDir = ExpandVars(m.Resources.DataDir)
	for k, v := range m.Resources.Extra {
		m.Resources.Extra[k] = ExpandVars(v)
	}
	for k, p := range m.Platforms {
		p.Executable = ExpandVars(p.Executable)
		for g, e := range p.GPUExecutables {
			e.Executable = ExpandVars(e.Executable)
			p.GPUExecutables[g] = e
		}
		for i := range p.Dependencies {
			p.Dependencies[i].File = ExpandVars(p.Dependencies[i].File)
		}
		m.Platforms[k] = p
	}
}

// dropEmpty turns empty optional lists and maps ("support_models: []")
// into nil, as Save omits them: what Load reads back is what Parse gave.
func (m *Manifest) dropEmpty() {
	for i := range m.Services {
		if len(m.Services[i].SupportModels) == 0 {
			m.Services[i].SupportModels = nil
		}
	}
	if len(m.GPUTypes) == 0 {
		m.GPUTypes = nil
	}
	if len(m.Resources.Extra) == 0 {
		m.Resources.Extra = nil
	}
	if len(m.CatalogueEntries) == 0 {
		m.CatalogueEntries = nil
	}
	for i := range m.CatalogueEntries {
		e := &m.CatalogueEntries[i]
		if len(e.Services) == 0 {
			e.Services = nil
		}
		if len(e.Capabilities) == 0 {
			e.Capabilities = nil
		}
	}
	if m.Engine != nil && len(m.Engine.Downloads) == 0 {
		m.Engine.Downloads = nil
	}
	for k, p := range m.Platforms {
		if len(p.GPUExecutables) == 0 {
			p.GPUExecutables = nil
		}
		if len(p.Dependencies) == 0 {
			p.Dependencies = nil
		}
		m.Platforms[k] = p
	}
}

// ExecutablePath is the absolute path of the executable for goos/goarch.
func (m *Manifest) ExecutablePath(goos, goarch string) (string, error) {
	p, ok := m.GetPlatformConfig(goos, goarch)
	if !ok {
		return "", fmt.Errorf("plugin %q has no executable for %s (platforms: %s)",
			m.Provider.Name, PlatformKey(goos, goarch), strings.Join(m.platformKeys(), ", "))
	}
	return m.resolve(p.Executable), nil
}

// resolve makes a manifest path absolute against Dir.
func (m *Manifest) resolve(path string) string {
	if filepath.IsAbs(path) {
		return path
	}
	return filepath.Join(m.Dir, path)
}
