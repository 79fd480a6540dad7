// Package testbed is Roundhouse's real test bed: a real Ollama server built
// from source, a deterministic tiny GGUF model, and a real local OCI registry
// (Debian's docker-registry behind a redirecting, throttling front) to pull
// from. All processes bind loopback only, run in their own process groups and
// die with the test process. See README.md in this directory.
package testbed

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// Module is this repository's Go module path.
const Module = "github.com/roundhouse-ai/roundhouse"

// DefaultOllamaVersion is the Ollama release the test bed builds and expects.
const DefaultOllamaVersion = "0.17.4"

// Environment variables understood by the test bed.
const (
	EnvOllamaBin     = "ROUNDHOUSE_OLLAMA_BIN"   // path of an ollama binary to use instead of the cached build
	EnvOllamaVersion = "OLLAMA_VERSION"          // version directory in the cache (default DefaultOllamaVersion)
	EnvCacheDir      = "ROUNDHOUSE_CACHE_DIR"    // cache root (default <repo>/.cache, same as the Makefile's CACHE_DIR)
	EnvRegistryBin   = "ROUNDHOUSE_REGISTRY_BIN" // docker-registry binary (default: docker-registry in PATH)
)

// ErrNoOllama is wrapped by OllamaBinary when no usable binary exists.
var ErrNoOllama = errors.New("ollama binary not built")

// RepoRoot finds the repository root by walking up from the working
// directory to the go.mod declaring this module.
func RepoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if isModuleRoot(dir) {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("testbed: no go.mod for %s above the working directory", Module)
		}
		dir = parent
	}
}

func isModuleRoot(dir string) bool {
	f, err := os.Open(filepath.Join(dir, "go.mod"))
	if err != nil {
		return false
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		if fields := strings.Fields(s.Text()); len(fields) == 2 && fields[0] == "module" {
			return fields[1] == Module
		}
	}
	return false
}

// CacheDir is the cache root: $ROUNDHOUSE_CACHE_DIR, else <repo>/.cache.
func CacheDir() (string, error) {
	if d := os.Getenv(EnvCacheDir); d != "" {
		return filepath.Abs(d)
	}
	root, err := RepoRoot()
	if err != nil {
		return "", err
	}
	return filepath.Join(root, ".cache"), nil
}

// OllamaVersion is $OLLAMA_VERSION without a leading "v", or DefaultOllamaVersion.
func OllamaVersion() string {
	if v := strings.TrimPrefix(os.Getenv(EnvOllamaVersion), "v"); v != "" {
		return v
	}
	return DefaultOllamaVersion
}

// OllamaBinary returns the ollama binary to use: $ROUNDHOUSE_OLLAMA_BIN if
// set, else <cache>/ollama/<version>/bin/ollama as built by `make ollama`
// (scripts/build-ollama.sh). The error wraps ErrNoOllama when it is missing.
func OllamaBinary() (string, error) {
	if b := os.Getenv(EnvOllamaBin); b != "" {
		p, err := exec.LookPath(b)
		if err != nil {
			return "", fmt.Errorf("testbed: %s=%s: %w (%w)", EnvOllamaBin, b, err, ErrNoOllama)
		}
		return filepath.Abs(p)
	}
	cache, err := CacheDir()
	if err != nil {
		return "", err
	}
	p := filepath.Join(cache, "ollama", OllamaVersion(), "bin", "ollama")
	if st, err := os.Stat(p); err != nil || st.IsDir() || st.Mode()&0o111 == 0 {
		return "", fmt.Errorf("testbed: %s not found: run `make ollama` (about 6 minutes, once) or set %s: %w", p, EnvOllamaBin, ErrNoOllama)
	}
	return p, nil
}

// RegistryBinary returns Debian's docker-registry (or $ROUNDHOUSE_REGISTRY_BIN).
func RegistryBinary() (string, error) {
	name := os.Getenv(EnvRegistryBin)
	if name == "" {
		name = "docker-registry"
	}
	p, err := exec.LookPath(name)
	if err != nil {
		if _, serr := os.Stat("/usr/bin/docker-registry"); serr == nil && name == "docker-registry" {
			return "/usr/bin/docker-registry", nil
		}
		return "", fmt.Errorf("testbed: %s not found (apt-get install docker-registry, or set %s): %w", name, EnvRegistryBin, err)
	}
	return p, nil
}
