package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/roundhouse-ai/roundhouse/client"
	"github.com/roundhouse-ai/roundhouse/host/config"
	"github.com/roundhouse-ai/roundhouse/internal/hosttest"
	"github.com/roundhouse-ai/roundhouse/internal/ovmstest"
	"github.com/roundhouse-ai/roundhouse/internal/proctest"
	"github.com/roundhouse-ai/roundhouse/internal/testbed"
	"github.com/roundhouse-ai/roundhouse/sdk"
)

// OVMS cannot run here: these tests drive the real host and the real
// openvino plugin binary against ovmstest's protocol-faithful fake
// `ovms`, installed from a release-shaped archive served over loopback,
// whose chat and embeddings are forwarded to the real test-bed Ollama.

const ovmsAdminToken = "rh-admin-e2e-openvino-5d2c9e71"

// ovmsSettings makes the openvino plugin manage the fake ovms on a free
// port, forwarding generation to the test bed's Ollama model "tiny".
func ovmsSettings(t *testing.T, ollamaURL string) (map[string]any, string, string) {
	engine := freeHost(t)
	dir := t.TempDir()
	return map[string]any{
		"engine_host": engine, "manage_engine": "true", "start_timeout": 60.0, "load_timeout": 60.0,
		"model_repository_path": filepath.Join(dir, "models"), "config_path": filepath.Join(dir, "config.json"),
		"engine_env": map[string]any{
			"OVMS_FAKE_UPSTREAM": ollamaURL + "/v1", "OVMS_FAKE_UPSTREAM_MODEL": "tiny",
			"OVMS_FAKE_PULL_STEP_MS": "100", "OVMS_FAKE_PULL_BYTES": "40000000", "OVMS_FAKE_LOAD_DELAY_MS": "300",
		},
	}, engine, dir
}

// TestOpenVINOEndToEnd walks an Intel laptop user's day through the
// host's native API: install OVMS (a bad sha256 refused; .tar.zst and
// .tar.gz), start it, pull with live progress, load (config.json changes,
// readiness flips), stream a chat, embed, rerank, unload, delete, and
// survive the engine being SIGKILLed.
func TestOpenVINOEndToEnd(t *testing.T) {
	if testing.Short() || runtime.GOOS != "linux" {
		t.Skip("end-to-end on Linux only")
	}
	bed := testbed.NewBed(t)
	o := testbed.NewOllama(t)
	ctx := ctxFor(t, 10*time.Minute)
	if err := o.Create(ctx, "tiny", bed.Models["tiny"].Dir); err != nil {
		t.Fatal(err)
	}
	_, plugins := binaries(t)
	settings, engine, dir := ovmsSettings(t, o.URL())
	h := hosttest.Start(t, hosttest.Options{
		NoEcho:     true,
		ExtraRoots: []string{only(t, plugins, "openvino")},
		Mutate: func(c *config.Config) {
			c.Plugins["openvino"] = config.PluginConfig{Settings: settings}
			// Only an admin may choose an engine archive by URL.
			c.AdminToken = ovmsAdminToken
		},
	})
	c, err := client.New(h.URL, nil)
	if err != nil {
		t.Fatal(err)
	}
	c.SetAdminToken(ovmsAdminToken)
	const llm, emb, rr = "OpenVINO/Qwen3-0.6B-int4-ov", "OpenVINO/bge-base-en-v1.5-fp16-ov", "OpenVINO/bge-reranker-base-int8-ov"

	t.Run("install", func(t *testing.T) {
		zst, gz := ovmstest.ServeRelease(t, "tar.zst"), ovmstest.ServeRelease(t, "tar.gz")
		err := c.InstallEngine(ctx, "openvino", &sdk.InstallEngineRequest{URL: zst.URL, SHA256: strings.Repeat("ab", 32)}, func(client.ProgressEvent) error { return nil })
		var se *client.StatusError
		if !errors.As(err, &se) || !strings.Contains(strings.ToLower(se.Message), "sha256") {
			t.Fatalf("install with a wrong sha256 = %v", err)
		}
		for _, rel := range []ovmstest.Release{zst, gz} {
			var statuses []string
			if err := c.InstallEngine(ctx, "openvino", &sdk.InstallEngineRequest{URL: rel.URL, SHA256: rel.SHA256}, func(ev client.ProgressEvent) error {
				statuses = append(statuses, ev.Status)
				return nil
			}); err != nil {
				t.Fatalf("install %s: %v", rel.URL, err)
			}
			if len(statuses) == 0 || statuses[len(statuses)-1] != "success" {
				t.Errorf("install events: %v", statuses)
			}
		}
		es, err := c.Engines(ctx)
		if err != nil || len(es) != 1 || es[0].Engine == nil || !es[0].Engine.Installed || !strings.Contains(es[0].Engine.Version, "fake") {
			t.Fatalf("engines after install: %+v %v", es, err)
		}
	})

	var pid int
	t.Run("start", func(t *testing.T) {
		if pid, err = startEngineOf(ctx, h.URL, "openvino", ovmsAdminToken); err != nil {
			t.Fatal(err)
		}
		if !proctest.Alive(pid) {
			t.Fatalf("ovms %d not alive", pid)
		}
		if code := getStatus(t, "http://"+engine+"/v2/health/ready"); code != 200 {
			t.Fatalf("/v2/health/ready = %d", code)
		}
	})

	t.Run("pull with progress", func(t *testing.T) {
		var events []client.ProgressEvent
		if err := c.Pull(ctx, &client.PullRequest{Model: llm, Plugin: "openvino"}, func(ev client.ProgressEvent) error {
			events = append(events, ev)
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		var completed []int64
		for _, ev := range events {
			if ev.Digest == "openvino_model.bin" && ev.Total > 0 {
				completed = append(completed, ev.Completed)
			}
		}
		if len(completed) < 5 || !slices.IsSorted(completed) || completed[len(completed)-1] != 40000000 {
			t.Fatalf("weights progress: %v", completed)
		}
		if last := events[len(events)-1]; last.Status != "success" {
			t.Fatalf("last event = %+v", last)
		}
		t.Logf("pull: %d events, %d progress steps", len(events), len(completed))
		for _, m := range []string{emb, rr} {
			if err := c.Pull(ctx, &client.PullRequest{Model: m, Plugin: "openvino"}, func(client.ProgressEvent) error { return nil }); err != nil {
				t.Fatal(err)
			}
		}
		models, err := c.Models(ctx, false)
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, m := range models {
			names = append(names, m.ID)
		}
		for _, m := range []string{llm, emb, rr} {
			if !slices.Contains(names, m) {
				t.Errorf("%s not listed: %v", m, names)
			}
		}
	})

	t.Run("pull cancelled", func(t *testing.T) {
		const big = "OpenVINO/Qwen3-8B-int4-ov"
		var id string
		err := c.Pull(ctx, &client.PullRequest{Model: big, Plugin: "openvino"}, func(ev client.ProgressEvent) error {
			if ev.Status == "started" {
				id = ev.ID
			}
			if ev.Completed > 0 && id != "" {
				if _, err := c.CancelPull(ctx, id); err != nil {
					t.Errorf("cancel pull %s: %v", id, err)
				}
				id = ""
			}
			return nil
		})
		if err == nil {
			t.Fatal("a cancelled pull succeeded")
		}
		if _, err := os.Stat(filepath.Join(dir, "models", "OpenVINO", "Qwen3-8B-int4-ov.lfswip")); err != nil {
			t.Errorf("no .lfswip marker left for a resume: %v", err)
		}
		models, _ := c.Models(ctx, false)
		if slices.ContainsFunc(models, func(m client.Model) bool { return m.ID == big }) {
			t.Fatal("a cancelled pull is listed")
		}
	})

	ready := func(name string) int {
		return getStatus(t, "http://"+engine+"/v2/models/"+url.PathEscape(name)+"/ready")
	}
	t.Run("load", func(t *testing.T) {
		if code := ready(llm); code != 404 {
			t.Fatalf("ready before load = %d", code)
		}
		if err := c.LoadModel(ctx, &client.ModelRequest{Model: llm, Plugin: "openvino"}); err != nil {
			t.Fatal(err)
		}
		data, _ := os.ReadFile(filepath.Join(dir, "config.json"))
		if !strings.Contains(string(data), `"name": "`+llm+`"`) {
			t.Fatalf("config.json after load: %s", data)
		}
		if code := ready(llm); code != 200 {
			t.Fatalf("ready after load = %d", code)
		}
		running, err := c.Models(ctx, true)
		if err != nil || !slices.ContainsFunc(running, func(m client.Model) bool { return m.ID == llm }) {
			t.Fatalf("running models: %+v %v", running, err)
		}
	})

	t.Run("chat stream", func(t *testing.T) {
		var text strings.Builder
		chunks := 0
		err := c.ChatStream(ctx, &sdk.ChatRequest{Model: llm, Messages: []sdk.Message{{Role: "user", Content: "Count to five."}},
			Options: &sdk.Options{MaxTokens: intp(16)}}, client.Options{}, func(ch *sdk.ChatChunk) error {
			text.WriteString(ch.Content)
			chunks++
			return nil
		})
		if err != nil || text.Len() == 0 || chunks < 2 {
			t.Fatalf("chat stream: %d chunks %q %v", chunks, text.String(), err)
		}
	})

	t.Run("embed", func(t *testing.T) {
		e, err := c.Embed(ctx, &sdk.EmbedRequest{Model: emb, Input: []string{"one", "two"}}, client.Options{})
		if err != nil || len(e.Embeddings) != 2 || len(e.Embeddings[0]) == 0 {
			t.Fatalf("embed: %+v %v", e, err)
		}
		if code := ready(emb); code != 200 {
			t.Fatalf("%s loaded on first use: ready = %d", emb, code)
		}
	})

	t.Run("rerank", func(t *testing.T) {
		var r sdk.RerankResponse
		code := postJSON(t, ctx, h.URL+"/v1/services/rerank", map[string]any{"model": rr, "query": "intel laptop gpu",
			"documents": []string{"a recipe for bread", "an intel laptop with an arc gpu", "gpu prices"}, "top_n": 2}, &r)
		if code != 200 || len(r.Results) != 2 || r.Results[0].Index != 1 || r.Results[1].Index != 2 {
			t.Fatalf("rerank = %d %+v", code, r)
		}
	})

	t.Run("unload", func(t *testing.T) {
		if err := c.UnloadModel(ctx, &client.ModelRequest{Model: llm, Plugin: "openvino"}); err != nil {
			t.Fatal(err)
		}
		if code := ready(llm); code != 404 {
			t.Fatalf("ready after unload = %d", code)
		}
		data, _ := os.ReadFile(filepath.Join(dir, "config.json"))
		if strings.Contains(string(data), llm) {
			t.Fatalf("config.json after unload: %s", data)
		}
	})

	t.Run("delete", func(t *testing.T) {
		if err := c.DeleteModel(ctx, rr); err != nil {
			t.Fatal(err)
		}
		if _, err := os.Stat(filepath.Join(dir, "models", filepath.FromSlash(rr))); !os.IsNotExist(err) {
			t.Fatalf("model dir after delete: %v", err)
		}
		models, _ := c.Models(ctx, false)
		if slices.ContainsFunc(models, func(m client.Model) bool { return m.ID == rr }) {
			t.Fatal("deleted model still listed")
		}
	})

	t.Run("engine SIGKILL restarted", func(t *testing.T) {
		killPID(t, pid)
		eventually(t, 60*time.Second, "ovms restarted", func() bool {
			es, err := c.Engines(ctx)
			return err == nil && len(es) == 1 && es[0].Engine != nil && es[0].Engine.Running && es[0].Engine.PID != pid && es[0].Engine.PID != 0
		})
		e, err := c.Embed(ctx, &sdk.EmbedRequest{Model: emb, Input: []string{"after"}}, client.Options{})
		if err != nil || len(e.Embeddings) != 1 {
			t.Fatalf("embed after restart: %v", err)
		}
	})
}

// TestOpenVINOHostExitLeavesNoEngine runs the real roundhouse binary with
// the openvino plugin managing the fake ovms, ends the host gracefully
// and by SIGKILL, and checks neither the plugin nor ovms survives.
func TestOpenVINOHostExitLeavesNoEngine(t *testing.T) {
	if testing.Short() || runtime.GOOS != "linux" {
		t.Skip("end-to-end on Linux only")
	}
	ovms := ovmstest.Build(t)
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGKILL} {
		t.Run(sig.String(), func(t *testing.T) {
			hostBin, plugins := binaries(t)
			settings, _, _ := ovmsSettings(t, "http://127.0.0.1:9")
			settings["ovms_path"] = ovms
			settings["engine_env"].(map[string]any)["OVMS_FAKE_PULL_STEP_MS"] = "2000" // a pull still running at exit
			listen := freeHost(t)
			cfg := map[string]any{
				"listen": listen, "plugin_dirs": []string{only(t, plugins, "openvino")}, "data_dir": t.TempDir(),
				"plugins": map[string]any{"openvino": map[string]any{"settings": settings}},
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
			pid, err := startEngineOf(ctx, "http://"+listen, "openvino", "")
			if err != nil {
				t.Fatalf("start engine: %v\n%s", err, log.String())
			}
			repo := settings["model_repository_path"].(string)
			go func() {
				_ = c.Pull(ctx, &client.PullRequest{Model: "OpenVINO/slow", Plugin: "openvino"}, func(client.ProgressEvent) error { return nil })
			}()
			var pullPID int
			eventually(t, 30*time.Second, "ovms --pull running", func() bool {
				pullPID = findProcess("--pull", repo)
				return pullPID != 0
			})
			t0 := time.Now()
			if err := cmd.Process.Signal(sig); err != nil {
				t.Fatal(err)
			}
			_ = cmd.Wait()
			t.Logf("host exited %s after %s", sig, time.Since(t0))
			eventually(t, 10*time.Second, fmt.Sprintf("plugin %d, ovms %d and ovms --pull %d gone", pluginPID, pid, pullPID), func() bool {
				return !proctest.Alive(pluginPID) && !proctest.Alive(pid) && !proctest.Alive(pullPID)
			})
		})
	}
}

// startEngineOf starts a plugin's engine through the admin API and
// returns its pid.
func startEngineOf(ctx context.Context, base, plugin, token string) (int, error) {
	req, _ := newPost(ctx, base+"/v1/engines/"+plugin+"/start")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := httpClient.Do(req)
	if err != nil {
		return 0, err
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		return 0, fmt.Errorf("start engine: HTTP %d", resp.StatusCode)
	}
	c, _ := client.New(base, nil)
	c.SetAdminToken(token)
	es, err := c.Engines(ctx)
	if err != nil || len(es) != 1 || es[0].Engine == nil || es[0].Engine.PID == 0 {
		return 0, fmt.Errorf("engines after start: %+v %v", es, err)
	}
	return es[0].Engine.PID, nil
}

// findProcess returns the pid of a process whose command line contains
// every one of parts, or 0.
func findProcess(parts ...string) int {
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		data, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if err != nil {
			continue
		}
		line := strings.ReplaceAll(string(data), "\x00", " ")
		found := true
		for _, p := range parts {
			found = found && strings.Contains(line, p)
		}
		if found {
			return pid
		}
	}
	return 0
}

func getStatus(t *testing.T, u string) int {
	t.Helper()
	resp, err := httpClient.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

func postJSON(t *testing.T, ctx context.Context, u string, body, out any) int {
	t.Helper()
	b, _ := json.Marshal(body)
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, u, bytes.NewReader(b))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+ovmsAdminToken)
	resp, err := httpClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil && resp.StatusCode == 200 {
		t.Fatal(err)
	}
	return resp.StatusCode
}

func intp(i int) *int { return &i }
