package manifest

import (
	"errors"
	"fmt"
	"os"
	"regexp"
	"slices"
	"sort"
	"strings"

	"github.com/roundhouse-ai/roundhouse/types"
)

// Error lists every problem Validate found, each naming its field.
type Error struct {
	Problems []string
}

func (e *Error) Error() string {
	return "invalid plugin manifest: " + strings.Join(e.Problems, "; ")
}

var namePattern = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,63}$`)

// ValidName reports whether s is a safe plugin or provider name: it is used
// in paths and URLs, so only lower case letters, digits, '-' and '_'.
func ValidName(s string) bool { return namePattern.MatchString(s) }

// Validate checks the manifest for the platform goos/goarch: required
// fields, known enum values, unique services, safe names, and that the
// platform's executable exists (when the manifest was loaded from a dir).
// The error is a *Error naming each field at fault.
func (m *Manifest) Validate(goos, goarch string) error {
	var p []string
	add := func(format string, args ...any) { p = append(p, fmt.Sprintf(format, args...)) }

	if m.Version == "" {
		add("version: required")
	}
	if m.Provider.Name == "" {
		add("provider.name: required")
	} else if !ValidName(m.Provider.Name) {
		add("provider.name: %q must be lower case letters, digits, '-' or '_' (no path characters)", m.Provider.Name)
	}
	if m.Provider.Version == "" {
		add("provider.version: required")
	}
	switch m.Provider.Type {
	case types.ProviderLocal, types.ProviderRemote:
	case "":
		add("provider.type: required (local or remote)")
	default:
		add("provider.type: unknown value %q (want local or remote)", m.Provider.Type)
	}
	if len(m.Services) == 0 {
		add("services: at least one service is required")
	}
	seen := map[string]bool{}
	for i, s := range m.Services {
		f := fmt.Sprintf("services[%d]", i)
		switch {
		case s.ServiceName == "":
			add("%s.service_name: required", f)
		case !slices.Contains(types.ServiceNames, s.ServiceName):
			add("%s.service_name: unknown service %q (want one of %s)", f, s.ServiceName, strings.Join(types.ServiceNames, ", "))
		case seen[s.ServiceName]:
			add("%s.service_name: duplicate service %q", f, s.ServiceName)
		}
		seen[s.ServiceName] = true
		if strings.ContainsAny(s.DefaultModel, "\x00\n") {
			add("%s.default_model: contains control characters", f)
		}
	}
	for i, g := range m.GPUTypes {
		switch g {
		case types.GPUNone, types.GPUNvidia, types.GPUAMD, types.GPUIntelArc:
		default:
			add("gpu_types[%d]: unknown value %q (want none, nvidia, amd or intel_arc)", i, g)
		}
	}
	for key, pc := range m.Platforms {
		if strings.Count(key, "_") != 1 || strings.HasPrefix(key, "_") || strings.HasSuffix(key, "_") {
			add("platforms.%s: key must be <goos>_<goarch>, like linux_amd64", key)
		}
		if pc.Executable == "" {
			add("platforms.%s.executable: required", key)
		} else if strings.Contains(pc.Executable, "..") {
			add("platforms.%s.executable: must stay inside the plugin directory (no '..')", key)
		}
		if pc.SHA256 != "" && !isHexSHA256(pc.SHA256) {
			add("platforms.%s.sha256: must be 64 hex digits", key)
		}
		for g, e := range pc.GPUExecutables {
			f := fmt.Sprintf("platforms.%s.gpu_executables.%s", key, g)
			if !slices.Contains(GPUPreference, g) {
				add("%s: unknown GPU family %q (want nvidia, amd or intel_arc; the default executable is the CPU one)", f, g)
			} else if !slices.Contains(m.GPUTypes, g) {
				add("%s: %s is not in gpu_types; add it there or remove this build", f, g)
			}
			if e.Executable == "" {
				add("%s.executable: required", f)
			} else if strings.Contains(e.Executable, "..") {
				add("%s.executable: must stay inside the plugin directory (no '..')", f)
			}
			if e.SHA256 != "" && !isHexSHA256(e.SHA256) {
				add("%s.sha256: must be 64 hex digits", f)
			}
		}
		for i, d := range pc.Dependencies {
			f := fmt.Sprintf("platforms.%s.dependencies[%d]", key, i)
			switch {
			case d.Command == "" && d.File == "":
				add("%s: set command (an executable on PATH) or file (a path that must exist)", f)
			case d.Command != "" && d.File != "":
				add("%s: set command or file, not both (one entry per dependency)", f)
			}
			if strings.ContainsAny(d.Command+d.File+d.Install, "\x00\n\r") {
				add("%s: contains control characters", f)
			}
		}
	}
	if exe, err := m.ExecutablePath(goos, goarch); err != nil {
		add("platforms.%s: missing: %v", PlatformKey(goos, goarch), err)
	} else if m.Dir != "" {
		if st, err := os.Stat(exe); err != nil {
			add("platforms.%s.executable: %s does not exist (build the plugin first)", PlatformKey(goos, goarch), exe)
		} else if st.IsDir() {
			add("platforms.%s.executable: %s is a directory", PlatformKey(goos, goarch), exe)
		}
		pc, _ := m.GetPlatformConfig(goos, goarch)
		for g, e := range pc.GPUExecutables {
			if e.Executable == "" || strings.Contains(e.Executable, "..") {
				continue // reported above
			}
			exe := m.resolve(e.Executable)
			if st, err := os.Stat(exe); err != nil {
				add("platforms.%s.gpu_executables.%s.executable: %s does not exist (build it, or remove the entry)", PlatformKey(goos, goarch), g, exe)
			} else if st.IsDir() {
				add("platforms.%s.gpu_executables.%s.executable: %s is a directory", PlatformKey(goos, goarch), g, exe)
			}
		}
	}
	if m.Engine != nil {
		for key, d := range m.Engine.Downloads {
			if d.URL == "" {
				add("engine.downloads.%s.url: required", key)
			}
			if !isHexSHA256(d.SHA256) {
				add("engine.downloads.%s.sha256: required, 64 hex digits (downloads are verified)", key)
			}
		}
	}
	m.validateCatalogue(add)
	if len(p) == 0 {
		return nil
	}
	sort.Strings(p)
	return &Error{Problems: p}
}

func isHexSHA256(s string) bool {
	if len(s) != 64 {
		return false
	}
	for _, c := range s {
		if !strings.ContainsRune("0123456789abcdefABCDEF", c) {
			return false
		}
	}
	return true
}

func (m *Manifest) platformKeys() []string {
	keys := make([]string, 0, len(m.Platforms))
	for k := range m.Platforms {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// IsError reports whether err came from Validate.
func IsError(err error) bool {
	var me *Error
	return errors.As(err, &me)
}
