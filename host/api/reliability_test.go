package api_test

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/roundhouse-ai/roundhouse/host/config"
	"github.com/roundhouse-ai/roundhouse/internal/hosttest"
	"github.com/roundhouse-ai/roundhouse/internal/testplugin"
)

// withRemote adds the remote test plugin "cloud" to a test host.
func withRemote(t *testing.T, extra func(*config.Config)) hosttest.Options {
	root := t.TempDir()
	if _, err := testplugin.RemoteManifest(root, "cloud"); err != nil {
		t.Fatal(err)
	}
	return hosttest.Options{ExtraRoots: []string{root}, Mutate: func(c *config.Config) {
		c.Plugins["cloud"] = config.PluginConfig{Env: map[string]string{testplugin.EnvServe: "remote:cloud"}}
		if extra != nil {
			extra(c)
		}
	}}
}

func providerNames(t *testing.T, url string) map[string]string {
	t.Helper()
	_, body := send(t, "GET", url+"/v1/providers", "")
	var out struct {
		Providers []struct {
			Name  string `json:"name"`
			Error string `json:"error"`
		} `json:"providers"`
	}
	if err := json.Unmarshal([]byte(body), &out); err != nil {
		t.Fatalf("%v: %s", err, body)
	}
	m := map[string]string{}
	for _, p := range out.Providers {
		m[p.Name] = p.Error
	}
	return m
}

// A provider the plugin refuses is answered 400 naming the request's
// field, and is never written: later changes and restarts keep working.
func TestRejectedProviderIsNotSaved(t *testing.T) {
	h := hosttest.Start(t, withRemote(t, nil))
	resp, body := send(t, "POST", h.URL+"/v1/providers", `{"plugin":"cloud","name":"bad","base_url":"ftp://example.invalid"}`, "Content-Type", "application/json")
	if resp.StatusCode != 400 || !strings.Contains(body, `"field":"base_url"`) {
		t.Fatalf("bad provider: %d %s (want 400 naming base_url)", resp.StatusCode, body)
	}
	if data, _ := os.ReadFile(filepath.Join(h.DataDir, "providers.yaml")); strings.Contains(string(data), "bad") {
		t.Fatalf("refused provider was saved:\n%s", data)
	}
	resp, body = send(t, "POST", h.URL+"/v1/providers", `{"plugin":"cloud","name":"good","base_url":"http://127.0.0.1:1/v1","api_key":"sk-test-123456789"}`, "Content-Type", "application/json")
	if resp.StatusCode != 200 {
		t.Fatalf("good provider after a refused one: %d %s", resp.StatusCode, body)
	}
	if strings.Contains(body, "sk-test-123456789") {
		t.Fatalf("answer shows the key: %s", body)
	}
	if resp, body := send(t, "POST", h.URL+"/v1/plugins/cloud/restart", ""); resp.StatusCode != 200 {
		t.Fatalf("restart: %d %s", resp.StatusCode, body)
	}
	if names := providerNames(t, h.URL); names["good"] != "" || len(names) != 1 {
		t.Fatalf("providers after restart: %v", names)
	}
	fi, err := os.Stat(filepath.Join(h.DataDir, "providers.yaml"))
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("providers.yaml: %v %v", fi, err)
	}
	if resp, body := send(t, "DELETE", h.URL+"/v1/providers/good", ""); resp.StatusCode != 200 {
		t.Fatalf("delete: %d %s", resp.StatusCode, body)
	}
}

// A bad entry already on disk (written by an older host, or by hand) is
// reported and left out; the plugin starts with the rest.
func TestBadSavedProviderIsSkipped(t *testing.T) {
	var dataDir string
	h := hosttest.Start(t, withRemote(t, func(c *config.Config) {
		dataDir = c.DataDir
		state := "plugins:\n  cloud:\n    - name: broken\n      base_url: ftp://nowhere\n    - name: fine\n      base_url: https://api.example.invalid/v1\n"
		if err := os.WriteFile(filepath.Join(dataDir, "providers.yaml"), []byte(state), 0o600); err != nil {
			t.Fatal(err)
		}
	}))
	_ = h
	names := providerNames(t, h.URL)
	if _, ok := names["fine"]; !ok || !strings.Contains(names["broken"], "base_url") {
		t.Fatalf("providers: %v (want fine served, broken reported)", names)
	}
	if st := pluginState(t, h.URL, "cloud"); st != "running" {
		t.Fatalf("cloud plugin %s", st)
	}
}

func pluginState(t *testing.T, url, name string) string {
	_, body := send(t, "GET", url+"/v1/plugins/"+name, "")
	var st struct {
		State    string `json:"state"`
		Restarts int    `json:"restarts"`
	}
	_ = json.Unmarshal([]byte(body), &st)
	return st.State
}

// Concurrent provider changes and listings must not race (the race
// detector in make unit) nor crash the host.
func TestConcurrentProviderChanges(t *testing.T) {
	h := hosttest.Start(t, withRemote(t, nil))
	done := make(chan struct{})
	for i := 0; i < 4; i++ {
		go func() {
			defer func() { done <- struct{}{} }()
			for j := 0; j < 5; j++ {
				name := "p" + string(rune('a'+i))
				send(t, "POST", h.URL+"/v1/providers", `{"plugin":"cloud","name":"`+name+`","base_url":"http://127.0.0.1:1/v1"}`, "Content-Type", "application/json")
				send(t, "GET", h.URL+"/v1/providers", "")
				send(t, "DELETE", h.URL+"/v1/providers/"+name, "")
			}
		}()
	}
	for i := 0; i < 4; i++ {
		<-done
	}
	if resp, body := send(t, "POST", h.URL+"/v1/providers/ghost/test", ""); resp.StatusCode != 404 {
		t.Fatalf("test of an unknown provider: %d %s", resp.StatusCode, body)
	}
}

// A plugin that stops answering (SIGSTOP) is found by its health checks,
// reported degraded, killed and restarted; requests meanwhile end within
// the call deadline instead of hanging.
func TestHungPluginIsRestarted(t *testing.T) {
	h := hosttest.Start(t, hosttest.Options{Mutate: func(c *config.Config) {
		c.HealthInterval = 200 * time.Millisecond
		c.HealthFailures = 2
		c.CallTimeout = time.Second
	}})
	before, pid := restarts(t, h.URL)
	if err := syscall.Kill(pid, syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	defer syscall.Kill(pid, syscall.SIGCONT)

	start := time.Now()
	resp, body := send(t, "GET", h.URL+"/api/tags", "")
	if resp.StatusCode != 200 || time.Since(start) > 20*time.Second {
		t.Fatalf("/api/tags with a hung plugin: %d after %v: %s", resp.StatusCode, time.Since(start), body)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	sawDegraded := false
	for ctx.Err() == nil {
		_, hb := send(t, "GET", h.URL+"/health", "")
		sawDegraded = sawDegraded || strings.Contains(hb, "degraded")
		if n, newPID := restarts(t, h.URL); n > before && newPID != 0 && newPID != pid {
			if !sawDegraded {
				t.Log("restarted before /health was polled as degraded")
			}
			resp, body := send(t, "POST", h.URL+"/v1/services/chat", `{"messages":[{"role":"user","content":"back"}]}`, "Content-Type", "application/json")
			if resp.StatusCode != 200 {
				t.Fatalf("chat after the restart: %d %s", resp.StatusCode, body)
			}
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatal("a hung plugin was not restarted")
}

// While a plugin is down, its models answer 503 plugin_unavailable with
// Retry-After (or are served once it is back), never 404.
func TestPluginDownIsUnavailableNotNotFound(t *testing.T) {
	h := hosttest.Start(t, withRemote(t, nil)) // two chat plugins: routing by model
	// Crash it a few times so the restart backoff grows past the wait a
	// call is willing to spend.
	for i := 0; i < 4; i++ {
		_, pid := restarts(t, h.URL)
		_ = syscall.Kill(pid, syscall.SIGKILL)
		deadline := time.Now().Add(10 * time.Second)
		for time.Now().Before(deadline) {
			if _, np := restarts(t, h.URL); np != 0 && np != pid {
				break
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	_, pid := restarts(t, h.URL)
	_ = syscall.Kill(pid, syscall.SIGKILL)
	for i := 0; i < 30; i++ {
		resp, body := send(t, "POST", h.URL+"/v1/chat/completions", `{"model":"echo-1","messages":[{"role":"user","content":"x"}]}`, "Content-Type", "application/json")
		switch resp.StatusCode {
		case http.StatusOK:
		case http.StatusServiceUnavailable:
			if resp.Header.Get("Retry-After") == "" {
				t.Fatalf("503 without Retry-After: %s", body)
			}
		default:
			t.Fatalf("call %d while the plugin restarts: %d %s", i, resp.StatusCode, body)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// A remote plugin that lists models itself (sdk.ModelLister, no engine)
// has them in the model list; its manifest's models, which no provider
// was seen to serve, are not listed as available.
func TestRemotePluginListsItsOwnModels(t *testing.T) {
	h := hosttest.Start(t, withRemote(t, nil))
	ms, err := h.Router().ListModels(context.Background(), false)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]bool{}
	for _, m := range ms {
		if m.Plugin == "cloud" {
			got[m.Name] = true
		}
	}
	if !got["echo-1"] || got["remote-1"] {
		t.Fatalf("cloud's models = %v, want its own echo-1 and not its manifest's remote-1", got)
	}
}
