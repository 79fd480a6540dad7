package e2e

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"syscall"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/roundhouse-ai/roundhouse/client"
	"github.com/roundhouse-ai/roundhouse/internal/proctest"
	"github.com/roundhouse-ai/roundhouse/internal/testbed"
)

// TestHostExitLeavesNoEngine runs the real roundhouse binary with the
// ollama plugin managing a real Ollama, then ends the host — gracefully
// and by SIGKILL — and checks that neither the plugin nor the engine (nor
// its runner) survives.
func TestHostExitLeavesNoEngine(t *testing.T) {
	if testing.Short() || runtime.GOOS != "linux" {
		t.Skip("end-to-end on Linux only")
	}
	bin := testbed.RequireOllamaBinary(t)
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGKILL} {
		t.Run(sig.String(), func(t *testing.T) {
			hostBin, plugins := binaries(t)
			settings, _ := ollamaSettings(t, bin)
			listen := freeHost(t)
			cfg := map[string]any{
				"listen": listen, "plugin_dirs": []string{only(t, plugins, "ollama")}, "data_dir": t.TempDir(),
				"plugins": map[string]any{"ollama": map[string]any{"settings": settings}},
			}
			data, _ := yaml.Marshal(cfg)
			path := filepath.Join(t.TempDir(), "roundhouse.yaml")
			if err := os.WriteFile(path, data, 0o600); err != nil {
				t.Fatal(err)
			}
			cmd := exec.Command(hostBin, "serve", "--config", path)
			var log bytes.Buffer
			cmd.Stdout, cmd.Stderr = &log, &log
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
			c, _ := client.New(listen, nil)
			ctx := ctxFor(t, 2*time.Minute)
			eventually(t, 30*time.Second, "host and plugin up", func() bool {
				ps, err := c.Plugins(ctx)
				return err == nil && len(ps) == 1 && ps[0].State == "running"
			})
			ps, _ := c.Plugins(ctx)
			pluginPID := ps[0].PID
			st, err := startEngine(ctx, listen)
			if err != nil {
				t.Fatalf("start engine: %v\n%s", err, log.String())
			}
			if !proctest.Alive(st) {
				t.Fatalf("engine pid %d not alive", st)
			}
			if err := cmd.Process.Signal(sig); err != nil {
				t.Fatal(err)
			}
			_ = cmd.Wait()
			eventually(t, 5*time.Second, fmt.Sprintf("plugin %d and engine %d gone", pluginPID, st), func() bool {
				return !proctest.Alive(pluginPID) && !proctest.Alive(st)
			})
		})
	}
}

// startEngine starts the managed engine through the admin API and returns
// its pid.
func startEngine(ctx context.Context, listen string) (int, error) {
	c, _ := client.New(listen, nil)
	// The engine starts lazily, on the first call that needs it; start it
	// explicitly instead of pulling a model.
	req, _ := newPost(ctx, "http://"+listen+"/v1/engines/ollama/start")
	resp, err := httpClient.Do(req)
	if err != nil {
		return 0, err
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		return 0, fmt.Errorf("start engine: HTTP %d", resp.StatusCode)
	}
	es, err := c.Engines(ctx)
	if err != nil || len(es) != 1 || es[0].Engine == nil || es[0].Engine.PID == 0 {
		return 0, fmt.Errorf("engines after start: %+v %v", es, err)
	}
	return es[0].Engine.PID, nil
}
