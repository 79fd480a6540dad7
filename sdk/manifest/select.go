package manifest

import (
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strings"

	"github.com/roundhouse-ai/roundhouse/types"
)

// GPUPreference is the order in which GPU families are preferred when the
// machine has several: a discrete NVIDIA card, then AMD, then Intel Arc.
var GPUPreference = []types.GPUType{types.GPUNvidia, types.GPUAMD, types.GPUIntelArc}

// Using values of a Choice besides a GPU family.
const UsingCPU = "cpu"

// Choice is the executable picked for this machine.
type Choice struct {
	// Executable is absolute; SHA256 is the one declared for it ("" = not
	// checked).
	Executable string
	SHA256     string
	// GPU is the family whose gpu_executables entry was picked; "" when
	// the default executable runs.
	GPU types.GPUType
	// Using is the GPU family the plugin is started for: GPU when a GPU
	// build runs; else the best detected family that gpu_types lists (the
	// default executable uses it itself); else "cpu".
	Using string
}

// ChooseExecutable picks the executable for goos/goarch given the GPU
// families the host can use (usable: driver bound, discrete): the
// gpu_executables entry of the most preferred usable family that
// gpu_types lists, else the default executable.
func (m *Manifest) ChooseExecutable(goos, goarch string, usable []types.GPUType) (Choice, error) {
	exe, err := m.ExecutablePath(goos, goarch)
	if err != nil {
		return Choice{}, err
	}
	p, _ := m.GetPlatformConfig(goos, goarch)
	c := Choice{Executable: exe, SHA256: p.SHA256, Using: UsingCPU}
	for _, g := range GPUPreference {
		if !slices.Contains(usable, g) || !slices.Contains(m.GPUTypes, g) {
			continue
		}
		if c.Using == UsingCPU {
			c.Using = string(g)
		}
		if e, ok := p.GPUExecutables[g]; ok {
			c.Executable, c.SHA256, c.GPU, c.Using = m.resolve(e.Executable), e.SHA256, g, string(g)
			return c, nil
		}
	}
	return c, nil
}

// DependencyCheck is the state of one dependency.
type DependencyCheck struct {
	Dependency
	// Found is where it was found ("" = missing).
	Found string
}

// CheckDependencies looks for the dependencies of goos/goarch on this
// machine: commands on PATH (exec.LookPath), files with os.Stat. The
// error, a *MissingDependencyError, names each missing one and how to
// install it; the checks list them all, found or not.
func (m *Manifest) CheckDependencies(goos, goarch string) ([]DependencyCheck, error) {
	p, _ := m.GetPlatformConfig(goos, goarch)
	if len(p.Dependencies) == 0 {
		return nil, nil
	}
	checks := make([]DependencyCheck, 0, len(p.Dependencies))
	var missing []DependencyCheck
	for _, d := range p.Dependencies {
		c := DependencyCheck{Dependency: d}
		switch {
		case d.Command != "":
			if path, err := exec.LookPath(d.Command); err == nil {
				c.Found = path
			}
		case d.File != "":
			if path := m.resolve(d.File); fileExists(path) {
				c.Found = path
			}
		}
		if c.Found == "" {
			missing = append(missing, c)
		}
		checks = append(checks, c)
	}
	if missing != nil {
		return checks, &MissingDependencyError{Plugin: m.Provider.Name, Missing: missing}
	}
	return checks, nil
}

func fileExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// MissingDependencyError says which dependencies are missing.
type MissingDependencyError struct {
	Plugin  string
	Missing []DependencyCheck
}

func (e *MissingDependencyError) Error() string {
	parts := make([]string, 0, len(e.Missing))
	for _, d := range e.Missing {
		var s string
		if d.Command != "" {
			s = fmt.Sprintf("command %q not found on PATH", d.Command)
		} else {
			s = fmt.Sprintf("file %s does not exist", d.File)
		}
		if d.Install != "" {
			s += " (install: " + d.Install + ")"
		}
		parts = append(parts, s)
	}
	return fmt.Sprintf("plugin %s is missing a dependency: %s", e.Plugin, strings.Join(parts, "; "))
}
