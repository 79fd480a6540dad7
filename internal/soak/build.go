package soak

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// Binaries are the host binary and a plugin root holding the openai plugin.
type Binaries struct {
	Bin       string
	PluginDir string
}

// FindRoot walks up from the working directory to the repository's go.mod.
// (Like internal/bench/cmd/benchall's findRoot, which is unexported.)
func FindRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if b, err := os.ReadFile(filepath.Join(dir, "go.mod")); err == nil && strings.Contains(string(b), "module github.com/roundhouse-ai/roundhouse\n") {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("not inside the roundhouse repository (no go.mod found)")
		}
		dir = parent
	}
}

// Built returns root's make-build output (bin/roundhouse and
// bin/plugins/openai), or an error saying what is missing.
func Built(root string) (Binaries, error) {
	b := Binaries{Bin: filepath.Join(root, "bin", "roundhouse"), PluginDir: filepath.Join(root, "bin", "plugins")}
	for _, p := range []string{b.Bin, filepath.Join(b.PluginDir, pluginName, pluginExe), filepath.Join(b.PluginDir, pluginName, "plugin.yaml")} {
		if _, err := os.Stat(p); err != nil {
			return b, fmt.Errorf("%s is missing (run make build)", p)
		}
	}
	return b, nil
}

// Build compiles the host and the openai plugin from root into dir, laid
// out as make build does (dir/roundhouse, dir/plugins/openai/{binary,
// plugin.yaml}), with the go command on PATH.
func Build(ctx context.Context, root, dir string) (Binaries, error) {
	goBin, err := exec.LookPath("go")
	if err != nil {
		return Binaries{}, fmt.Errorf("no go command on PATH: %w", err)
	}
	b := Binaries{Bin: filepath.Join(dir, "roundhouse"), PluginDir: filepath.Join(dir, "plugins")}
	pdir := filepath.Join(b.PluginDir, pluginName)
	if err := os.MkdirAll(pdir, 0o755); err != nil {
		return b, err
	}
	for _, t := range []struct{ out, pkg string }{
		{b.Bin, "./cmd/roundhouse"},
		{filepath.Join(pdir, pluginExe), "./plugins/" + pluginName},
	} {
		cmd := exec.CommandContext(ctx, goBin, "build", "-o", t.out, t.pkg)
		cmd.Dir = root
		if out, err := cmd.CombinedOutput(); err != nil {
			return b, fmt.Errorf("go build %s: %w\n%s", t.pkg, err, out)
		}
	}
	manifest, err := os.ReadFile(filepath.Join(root, "plugins", pluginName, "plugin.yaml"))
	if err != nil {
		return b, err
	}
	return b, os.WriteFile(filepath.Join(pdir, "plugin.yaml"), manifest, 0o644)
}
