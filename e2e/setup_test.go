// Package e2e drives the host end to end: the real roundhouse binary or
// host API, the real first-party plugin binaries as subprocesses, a real
// Ollama built by the test bed with the generated tiny model, a real local
// OCI registry, and the official OpenAI and Ollama Go clients as callers.
//
// `make e2e` builds everything and sets ROUNDHOUSE_PLUGIN_BIN and
// ROUNDHOUSE_REQUIRE_TESTBED=1; run directly, the tests build the binaries
// themselves and skip when the test bed's Ollama is not built.
package e2e

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/roundhouse-ai/roundhouse/client"
	"github.com/roundhouse-ai/roundhouse/host/config"
	"github.com/roundhouse-ai/roundhouse/internal/hosttest"
	"github.com/roundhouse-ai/roundhouse/internal/testbed"
	"github.com/roundhouse-ai/roundhouse/internal/testplugin"
)

var (
	buildOnce sync.Once
	binDir    string // holds roundhouse and plugins/<name>/
	buildErr  error
)

func TestMain(m *testing.M) {
	testplugin.MaybeServe() // copies of this binary serve as the test plugin (reload_test.go)
	code := m.Run()
	if binDir != "" && os.Getenv("ROUNDHOUSE_PLUGIN_BIN") == "" {
		os.RemoveAll(binDir)
	}
	os.Exit(code)
}

// binaries builds (once per test binary) the host and the first-party
// plugins the way `make build` lays them out, unless ROUNDHOUSE_PLUGIN_BIN
// points at a `make plugins` output already.
func binaries(t *testing.T) (hostBin, pluginRoot string) {
	t.Helper()
	buildOnce.Do(func() {
		root, err := testbed.RepoRoot()
		if err != nil {
			buildErr = err
			return
		}
		binDir, buildErr = os.MkdirTemp("", "rh-e2e-bin-")
		if buildErr != nil {
			return
		}
		build := func(out, pkg string) error {
			cmd := exec.Command("go", "build", "-o", out, pkg)
			cmd.Dir = root
			if b, err := cmd.CombinedOutput(); err != nil {
				return fmt.Errorf("go build %s: %v\n%s", pkg, err, b)
			}
			return nil
		}
		if buildErr = build(filepath.Join(binDir, "roundhouse"), "./cmd/roundhouse"); buildErr != nil {
			return
		}
		if pb := os.Getenv("ROUNDHOUSE_PLUGIN_BIN"); pb != "" {
			return
		}
		for _, p := range []string{"ollama", "openai", "openvino"} {
			dir := filepath.Join(binDir, "plugins", p)
			if buildErr = os.MkdirAll(dir, 0o755); buildErr != nil {
				return
			}
			if buildErr = build(filepath.Join(dir, "roundhouse-plugin-"+p), "./plugins/"+p); buildErr != nil {
				return
			}
			data, err := os.ReadFile(filepath.Join(root, "plugins", p, "plugin.yaml"))
			if err != nil {
				buildErr = err
				return
			}
			if buildErr = os.WriteFile(filepath.Join(dir, "plugin.yaml"), data, 0o644); buildErr != nil {
				return
			}
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	pluginRoot = filepath.Join(binDir, "plugins")
	if pb := os.Getenv("ROUNDHOUSE_PLUGIN_BIN"); pb != "" {
		pluginRoot = pb
	}
	return filepath.Join(binDir, "roundhouse"), pluginRoot
}

// only returns a plugin root holding just the named first-party plugins.
func only(t *testing.T, pluginRoot string, names ...string) string {
	t.Helper()
	dir := t.TempDir()
	for _, n := range names {
		if err := os.Symlink(filepath.Join(pluginRoot, n), filepath.Join(dir, n)); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func freeHost(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return "127.0.0.1:" + strconv.Itoa(l.Addr().(*net.TCPAddr).Port)
}

// ollamaSettings makes the ollama plugin manage the test bed's Ollama on
// a free port with a private models dir.
func ollamaSettings(t *testing.T, bin string) (map[string]any, string) {
	engine := freeHost(t)
	return map[string]any{
		"engine_host": engine, "manage_engine": "true", "ollama_path": bin,
		"models_dir": t.TempDir(), "start_timeout": 120.0,
		"engine_env": map[string]any{"HOME": t.TempDir(), "OLLAMA_NO_CLOUD": "1", "OLLAMA_NOHISTORY": "1"},
	}, engine
}

// ollamaHost is a host (in-process API, real plugin subprocess) with the
// ollama plugin managing a real Ollama, and the test bed's registry.
type ollamaHost struct {
	*hosttest.Host
	bed    *testbed.Bed
	c      *client.Client
	engine string
}

func startOllamaHost(t *testing.T) *ollamaHost {
	t.Helper()
	if testing.Short() {
		t.Skip("end-to-end: skipped in -short mode")
	}
	if runtime.GOOS != "linux" {
		t.Skip("the real test bed runs on Linux")
	}
	bin := testbed.RequireOllamaBinary(t)
	bed := testbed.NewBed(t)
	_, plugins := binaries(t)
	settings, engine := ollamaSettings(t, bin)
	h := hosttest.Start(t, hosttest.Options{
		NoEcho:     true,
		ExtraRoots: []string{only(t, plugins, "ollama")},
		Mutate: func(c *config.Config) {
			c.Plugins["ollama"] = config.PluginConfig{Settings: settings}
		},
	})
	c, err := client.New(h.URL, nil)
	if err != nil {
		t.Fatal(err)
	}
	return &ollamaHost{Host: h, bed: bed, c: c, engine: engine}
}

func ctxFor(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

func eventually(t *testing.T, within time.Duration, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for: %s", within, what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
