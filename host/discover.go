// Package host is the Roundhouse host: it discovers plugin manifests,
// launches and supervises plugin processes, keeps the registry of who
// serves what, and routes each request to a plugin.
package host

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"

	"github.com/roundhouse-ai/roundhouse/sdk/gpu"
	"github.com/roundhouse-ai/roundhouse/sdk/manifest"
	"github.com/roundhouse-ai/roundhouse/types"
)

// Candidate is a plugin directory found under a plugin root.
type Candidate struct {
	Dir      string
	Manifest *manifest.Manifest // nil when Err is set and the manifest did not load
	// Executable is the platform's binary (absolute), when valid: the
	// gpu_executables build for a GPU the host found, else the default.
	Executable string
	SHA256     string
	// Fingerprint changes when the manifest or the executable does.
	Fingerprint string
	// GPU is what the manifest supports, what the host found and what the
	// plugin runs for; nil when the manifest is unusable.
	GPU *PluginGPU
	// Err says why the plugin cannot be used.
	Err error
}

// Name is the plugin's name, or its directory name when the manifest
// could not be read.
func (c Candidate) Name() string {
	if c.Manifest != nil && c.Manifest.Provider.Name != "" {
		return c.Manifest.Provider.Name
	}
	return filepath.Base(c.Dir)
}

// Discover scans each root for <root>/<dir>/plugin.yaml (or plugin.json)
// and validates each manifest for this platform. Missing roots are not an
// error: the default config lists roots that may not exist yet. A second
// plugin with a name already seen is reported, not loaded. Each plugin's
// executable is chosen for the GPUs of this machine (sdk/gpu).
func Discover(roots []string) []Candidate {
	return discover(roots, gpu.Detect())
}

// UsableGPUs are the GPU families of devs a plugin can compute on (a
// driver bound, not integrated), best first (manifest.GPUPreference).
func UsableGPUs(devs []gpu.Device) []types.GPUType {
	var out []types.GPUType
	for _, g := range manifest.GPUPreference {
		for _, d := range devs {
			if d.Type == g && d.Driver != "" && !d.Integrated {
				out = append(out, g)
				break
			}
		}
	}
	return out
}

// discover is Discover for the GPUs devs (tests pass fixture trees).
func discover(roots []string, devs []gpu.Device) []Candidate {
	usable := UsableGPUs(devs)
	var out []Candidate
	seen := map[string]string{}
	for _, root := range roots {
		entries, err := os.ReadDir(root)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			out = append(out, Candidate{Dir: root, Err: fmt.Errorf("read plugin root: %w", err)})
			continue
		}
		sort.Slice(entries, func(i, j int) bool { return entries[i].Name() < entries[j].Name() })
		for _, e := range entries {
			if strings.HasPrefix(e.Name(), ".") {
				continue // staging dirs of installs in progress, editors' files
			}
			dir := filepath.Join(root, e.Name())
			if st, err := os.Stat(dir); err != nil || !st.IsDir() {
				continue // files beside plugin dirs, dangling links
			}
			if !hasManifest(dir) {
				continue
			}
			c := inspect(dir, usable)
			if c.Err == nil {
				if prev, dup := seen[c.Name()]; dup {
					c.Err = fmt.Errorf("plugin name %q already used by %s; rename one", c.Name(), prev)
				} else {
					seen[c.Name()] = dir
				}
			}
			out = append(out, c)
		}
	}
	return out
}

func hasManifest(dir string) bool {
	for _, n := range []string{manifest.FileYAML, manifest.FileJSON} {
		if _, err := os.Stat(filepath.Join(dir, n)); err == nil {
			return true
		}
	}
	return false
}

func inspect(dir string, usable []types.GPUType) Candidate {
	c := Candidate{Dir: dir}
	m, err := manifest.Load(dir)
	if err != nil {
		c.Err = err
		return c
	}
	c.Manifest = m
	if err := m.Validate(runtime.GOOS, runtime.GOARCH); err != nil {
		c.Err = err
		return c
	}
	choice, err := m.ChooseExecutable(runtime.GOOS, runtime.GOARCH, usable)
	if err != nil { // Validate checked the platform entry
		c.Err = err
		return c
	}
	c.Executable, c.SHA256 = choice.Executable, choice.SHA256
	c.Fingerprint = fingerprint(dir, c.Executable)
	c.GPU = &PluginGPU{Supported: []string{}, Detected: []string{}, Using: choice.Using}
	for _, g := range m.GPUTypes {
		c.GPU.Supported = append(c.GPU.Supported, string(g))
	}
	for _, g := range usable {
		c.GPU.Detected = append(c.GPU.Detected, string(g))
	}
	if choice.GPU != "" {
		pc, _ := m.GetPlatformConfig(runtime.GOOS, runtime.GOARCH)
		c.GPU.Executable = pc.GPUExecutables[choice.GPU].Executable
	}
	return c
}
