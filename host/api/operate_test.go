package api_test

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/roundhouse-ai/roundhouse/host/config"
	"github.com/roundhouse-ai/roundhouse/internal/hosttest"
	"github.com/roundhouse-ai/roundhouse/sdk"
)

const chatBody = `{"messages":[{"role":"user","content":"hi"}]}`

// Plugin management routes are refused cross-site like every other
// state-changing route.
func TestPluginManagementRefusedCrossSite(t *testing.T) {
	h := hosttest.Start(t, hosttest.Options{})
	for _, c := range []struct{ method, path, body, ctype string }{
		{"POST", "/v1/plugins/install", `{"path":"/tmp/x.tar.gz"}`, "text/plain"},
		{"POST", "/v1/plugins/install", "gz", "application/gzip"},
		{"POST", "/v1/plugins/echo/enable", "", "text/plain"},
		{"POST", "/v1/plugins/echo/disable", "", "text/plain"},
		{"DELETE", "/v1/plugins/echo", "", "text/plain"},
		{"POST", "/v1/reload", "", "text/plain"},
	} {
		for _, hdr := range [][]string{
			{"Content-Type", c.ctype, "Origin", "http://127.0.0.1:8081", "Sec-Fetch-Site", "same-site"},
			{"Content-Type", c.ctype, "Sec-Fetch-Site", "cross-site"},
		} {
			if resp, body := send(t, c.method, h.URL+c.path, c.body, hdr...); resp.StatusCode != http.StatusForbidden {
				t.Errorf("%s %s with %v: %d %s, want 403", c.method, c.path, hdr, resp.StatusCode, body)
			}
		}
	}
	if st := pluginState(t, h.URL, "echo"); st != "running" {
		t.Fatalf("echo is %s after refused requests", st)
	}
}

// Disable stops the plugin and is saved (0600) so it survives a restart
// and a reload; enable brings it back.
func TestPluginDisableEnablePersisted(t *testing.T) {
	h := hosttest.Start(t, hosttest.Options{})
	if resp, body := send(t, "POST", h.URL+"/v1/plugins/echo/disable", ""); resp.StatusCode != 200 || !strings.Contains(body, `"disabled"`) {
		t.Fatalf("disable: %d %s", resp.StatusCode, body)
	}
	if resp, body := send(t, "POST", h.URL+"/v1/services/chat", chatBody, "Content-Type", "application/json"); resp.StatusCode < 400 {
		t.Fatalf("chat to a disabled plugin: %d %s", resp.StatusCode, body)
	}
	st, err := os.Stat(filepath.Join(h.DataDir, "providers.yaml"))
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("runtime state file: %v %v", st, err)
	}
	// A reload of the same config keeps the API's choice.
	if resp, body := send(t, "POST", h.URL+"/v1/reload", ""); resp.StatusCode != 200 {
		t.Fatalf("reload: %d %s", resp.StatusCode, body)
	}
	if st := pluginState(t, h.URL, "echo"); st != "disabled" {
		t.Fatalf("after reload echo is %s, want disabled", st)
	}
	if resp, body := send(t, "POST", h.URL+"/v1/plugins/echo/enable", ""); resp.StatusCode != 200 {
		t.Fatalf("enable: %d %s", resp.StatusCode, body)
	}
	if resp, body := send(t, "POST", h.URL+"/v1/services/chat", chatBody, "Content-Type", "application/json"); resp.StatusCode != 200 {
		t.Fatalf("chat after enable: %d %s", resp.StatusCode, body)
	}
	if resp, body := send(t, "POST", h.URL+"/v1/plugins/nope/disable", ""); resp.StatusCode != 404 || !strings.Contains(body, "nope") {
		t.Fatalf("disable of an unknown plugin: %d %s", resp.StatusCode, body)
	}
}

// GET /v1/config shows the effective config with secrets masked and the
// runtime providers merged in.
func TestEffectiveConfigMasksSecrets(t *testing.T) {
	const key = "sk-secret-0123456789"
	h := hosttest.Start(t, withRemote(t, func(c *config.Config) {
		c.AdminToken = "admin-token-abcdef"
		pc := c.Plugins["cloud"]
		pc.Providers = []sdk.ProviderConfig{{Name: "main", BaseURL: "https://api.example/v1", APIKeys: []sdk.APIKey{{Value: key}}}}
		pc.Settings = map[string]any{"api_token": "tok-abcdef123456", "region": "eu"}
		c.Plugins["cloud"] = pc
	}))
	if resp, body := send(t, "POST", h.URL+"/v1/providers", `{"plugin":"cloud","name":"extra","base_url":"https://x.example/v1","api_key":"sk-runtime-9876543210"}`,
		"Content-Type", "application/json", "Authorization", "Bearer admin-token-abcdef"); resp.StatusCode != 200 {
		t.Fatalf("put provider: %d %s", resp.StatusCode, body)
	}
	resp, body := send(t, "GET", h.URL+"/v1/config", "", "Authorization", "Bearer admin-token-abcdef")
	if resp.StatusCode != 200 {
		t.Fatalf("GET /v1/config: %d %s", resp.StatusCode, body)
	}
	for _, secret := range []string{key, "admin-token-abcdef", "tok-abcdef123456", "sk-runtime-9876543210"} {
		if strings.Contains(body, secret) {
			t.Errorf("secret %q in GET /v1/config", secret)
		}
	}
	var out struct {
		Config struct {
			Listen  string `json:"listen"`
			Plugins map[string]struct {
				Providers []struct {
					Name string `json:"name"`
				} `json:"providers"`
				Settings map[string]any `json:"settings"`
			} `json:"plugins"`
		} `json:"config"`
	}
	if err := json.Unmarshal([]byte(body), &out); err != nil {
		t.Fatal(err)
	}
	cloud := out.Config.Plugins["cloud"]
	if out.Config.Listen == "" || len(cloud.Providers) != 2 || cloud.Settings["region"] != "eu" {
		t.Fatalf("effective config: %s", body)
	}
	if resp, _ := send(t, "GET", h.URL+"/v1/config", ""); resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("GET /v1/config without the admin token: %d", resp.StatusCode)
	}
}

// GET /v1/inventory is the native model list; running must be a boolean.
func TestInventory(t *testing.T) {
	h := hosttest.Start(t, hosttest.Options{})
	resp, body := send(t, "GET", h.URL+"/v1/inventory", "")
	var out struct {
		Models []struct {
			Name   string `json:"name"`
			Plugin string `json:"plugin"`
			Type   string `json:"type"`
		} `json:"models"`
	}
	if resp.StatusCode != 200 || json.Unmarshal([]byte(body), &out) != nil || len(out.Models) == 0 || out.Models[0].Plugin != "echo" || out.Models[0].Type != "local" {
		t.Fatalf("inventory: %d %s", resp.StatusCode, body)
	}
	if resp, body := send(t, "GET", h.URL+"/v1/inventory?running=yes", ""); resp.StatusCode != 400 || !strings.Contains(body, "running") {
		t.Fatalf("bad running: %d %s", resp.StatusCode, body)
	}
}

// A configuration put in force by Apply rebuilds the HTTP guards: an
// origin added to allowed_origins is let in without a restart, and taken
// out again by the next config.
func TestApplySwapsGuards(t *testing.T) {
	h := hosttest.Start(t, hosttest.Options{})
	const origin = "http://app.example:3000"
	get := func() int {
		resp, _ := send(t, "POST", h.URL+"/v1/services/chat", chatBody, "Content-Type", "application/json", "Origin", origin)
		return resp.StatusCode
	}
	if code := get(); code != http.StatusForbidden {
		t.Fatalf("origin not listed: %d, want 403", code)
	}
	next := h.Config().Clone()
	next.AllowedOrigins = append(next.AllowedOrigins, origin)
	h.Apply(context.Background(), next)
	if code := get(); code != http.StatusOK {
		t.Fatalf("origin listed by the applied config: %d, want 200", code)
	}
	prev := h.Config().Clone()
	prev.AllowedOrigins = nil
	h.Apply(context.Background(), prev)
	if code := get(); code != http.StatusForbidden {
		t.Fatalf("origin removed again: %d, want 403", code)
	}
}
