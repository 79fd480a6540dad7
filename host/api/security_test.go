package api_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/roundhouse-ai/roundhouse/host/config"
	"github.com/roundhouse-ai/roundhouse/internal/hosttest"
)

func send(t *testing.T, method, url, body string, hdr ...string) (*http.Response, string) {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, _ := http.NewRequest(method, url, rd)
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

func restarts(t *testing.T, url string) (int, int) {
	t.Helper()
	_, body := send(t, "GET", url+"/v1/plugins/echo", "")
	var st struct {
		Restarts int `json:"restarts"`
		PID      int `json:"pid"`
	}
	if err := json.Unmarshal([]byte(body), &st); err != nil {
		t.Fatalf("%v: %s", err, body)
	}
	return st.Restarts, st.PID
}

// A web page can send "simple" cross-site requests to loopback without a
// preflight: fetch no-cors with a text/plain body, typeless blobs, form
// posts. None may reach a handler; the same request from a program (no
// Origin) with a JSON Content-Type works.
func TestCrossSiteRequestsRefused(t *testing.T) {
	h := hosttest.Start(t, hosttest.Options{Mutate: func(c *config.Config) { c.AllowedOrigins = []string{"http://app.localhost:5173"} }})
	_, pid := restarts(t, h.URL)
	evil := []struct{ name, origin, site, ctype string }{
		{"no-cors text/plain", "http://127.0.0.1:8081", "same-site", "text/plain;charset=UTF-8"},
		{"form post", "http://localhost:9999", "same-site", "application/x-www-form-urlencoded"},
		{"other site json", "https://evil.example", "cross-site", "application/json"},
		{"opaque origin", "null", "cross-site", "text/plain"},
		{"fetch metadata only", "", "cross-site", "text/plain"},
	}
	for _, e := range evil {
		hdr := []string{"Content-Type", e.ctype, "Sec-Fetch-Site", e.site}
		if e.origin != "" {
			hdr = append(hdr, "Origin", e.origin)
		}
		resp, body := send(t, "POST", h.URL+"/v1/plugins/echo/restart", "", hdr...)
		if resp.StatusCode != http.StatusForbidden || !strings.Contains(body, `"code":"permission_denied"`) {
			t.Errorf("%s: restart answered %d %s, want 403", e.name, resp.StatusCode, body)
		}
		resp, body = send(t, "POST", h.URL+"/api/pull", `{"model":"tiny"}`, hdr...)
		if resp.StatusCode != http.StatusForbidden || !strings.Contains(body, `"error":"requests from web origin`) && e.origin != "" {
			t.Errorf("%s: /api/pull answered %d %s, want 403 in Ollama's shape", e.name, resp.StatusCode, body)
		}
	}
	if _, after := restarts(t, h.URL); after != pid {
		t.Fatalf("a cross-site request restarted the plugin (pid %d → %d)", pid, after)
	}
	// Reading from a page of another origin is refused too (Ollama does
	// the same); a navigation without Origin still works.
	if resp, _ := send(t, "GET", h.URL+"/v1/plugins", "", "Origin", "http://127.0.0.1:8081"); resp.StatusCode != 403 {
		t.Errorf("cross-origin GET: %d", resp.StatusCode)
	}
	if resp, _ := send(t, "GET", h.URL+"/v1/plugins", "", "Sec-Fetch-Site", "cross-site"); resp.StatusCode != 200 {
		t.Errorf("navigation GET: %d", resp.StatusCode)
	}
	// The allowed origin and the host's own origin pass.
	for _, origin := range []string{"http://app.localhost:5173", h.URL} {
		resp, body := send(t, "POST", h.URL+"/v1/services/chat", `{"messages":[{"role":"user","content":"hi"}]}`,
			"Origin", origin, "Content-Type", "application/json", "Sec-Fetch-Site", "same-site")
		if resp.StatusCode != 200 {
			t.Errorf("origin %s: %d %s", origin, resp.StatusCode, body)
		}
	}
}

// JSON routes take application/json only: text/plain, forms and a missing
// type are what a page can send without a preflight.
func TestJSONRoutesRequireJSONContentType(t *testing.T) {
	h := hosttest.Start(t, hosttest.Options{})
	body := `{"messages":[{"role":"user","content":"hi"}]}`
	for _, ct := range []string{"", "text/plain", "text/plain;charset=UTF-8", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x"} {
		for _, path := range []string{"/v1/services/chat", "/v1/chat/completions", "/api/chat", "/v1/messages", "/v1/providers"} {
			resp, got := send(t, "POST", h.URL+path, body, "Content-Type", ct)
			if resp.StatusCode != http.StatusUnsupportedMediaType || !strings.Contains(got, "application/json") {
				t.Errorf("%s with %q: %d %s, want 415", path, ct, resp.StatusCode, got)
			}
		}
	}
	for _, ct := range []string{"application/json", "application/json; charset=utf-8", "application/vnd.api+json"} {
		if resp, got := send(t, "POST", h.URL+"/v1/services/chat", body, "Content-Type", ct); resp.StatusCode != 200 {
			t.Errorf("%q: %d %s", ct, resp.StatusCode, got)
		}
	}
	// OpenAI's audio uploads are multipart and only multipart.
	if resp, got := send(t, "POST", h.URL+"/v1/audio/transcriptions", `{}`, "Content-Type", "application/json"); resp.StatusCode != 415 {
		t.Errorf("transcriptions with JSON: %d %s", resp.StatusCode, got)
	}
}

func keyEntry(name, key string, scopes ...string) config.APIKey {
	sum := sha256.Sum256([]byte(key))
	return config.APIKey{Name: name, SHA256: hex.EncodeToString(sum[:]), Scopes: scopes}
}

func TestAPIKeys(t *testing.T) {
	h := hosttest.Start(t, hosttest.Options{Mutate: func(c *config.Config) {
		c.APIKeys = []config.APIKey{keyEntry("app", "rh-app-key"), keyEntry("ops", "rh-ops-key", "admin")}
	}})
	chat := `{"messages":[{"role":"user","content":"hi"}]}`
	cases := []struct {
		name, method, path, body string
		hdr                      []string
		want                     int
	}{
		{"health open", "GET", "/health", "", nil, 200},
		{"version open", "GET", "/version", "", nil, 200},
		{"no key", "POST", "/v1/services/chat", chat, nil, 401},
		{"wrong key", "POST", "/v1/services/chat", chat, []string{"Authorization", "Bearer nope"}, 401},
		{"basic scheme", "POST", "/v1/services/chat", chat, []string{"Authorization", "Basic cm9vdDpyb290"}, 401},
		{"bare token", "POST", "/v1/services/chat", chat, []string{"Authorization", "rh-app-key"}, 401},
		{"token with space", "POST", "/v1/services/chat", chat, []string{"Authorization", "Bearer rh-app-key extra"}, 401},
		{"invoke key", "POST", "/v1/services/chat", chat, []string{"Authorization", "Bearer rh-app-key"}, 200},
		{"lower-case scheme", "POST", "/v1/chat/completions", `{"model":"echo-1","messages":[{"role":"user","content":"hi"}]}`, []string{"Authorization", "bearer rh-app-key"}, 200},
		{"anthropic x-api-key", "POST", "/v1/messages", `{"model":"echo-1","max_tokens":5,"messages":[{"role":"user","content":"hi"}]}`, []string{"X-Api-Key", "rh-app-key"}, 200},
		{"reading needs a key", "GET", "/api/tags", "", nil, 401},
		{"invoke key cannot pull", "POST", "/v1/models/pull", `{"model":"tiny"}`, []string{"Authorization", "Bearer rh-app-key"}, 403},
		{"invoke key cannot delete", "DELETE", "/api/delete", `{"model":"tiny"}`, []string{"Authorization", "Bearer rh-app-key"}, 403},
		{"invoke key cannot restart", "POST", "/v1/plugins/echo/restart", "", []string{"Authorization", "Bearer rh-app-key"}, 403},
		{"invoke key cannot list providers", "GET", "/v1/providers", "", []string{"Authorization", "Bearer rh-app-key"}, 403},
		{"admin key lists providers", "GET", "/v1/providers", "", []string{"Authorization", "Bearer rh-ops-key"}, 200},
		{"admin key invokes", "POST", "/v1/services/chat", chat, []string{"Authorization", "BEARER rh-ops-key"}, 200},
	}
	for _, c := range cases {
		hdr := append([]string{"Content-Type", "application/json"}, c.hdr...)
		resp, body := send(t, c.method, h.URL+c.path, c.body, hdr...)
		if resp.StatusCode != c.want {
			t.Errorf("%s: %d %s, want %d", c.name, resp.StatusCode, body, c.want)
		}
		if resp.StatusCode == 401 && resp.Header.Get("WWW-Authenticate") == "" {
			t.Errorf("%s: 401 without WWW-Authenticate", c.name)
		}
		if strings.Contains(body, "rh-app-key") || strings.Contains(body, "rh-ops-key") {
			t.Errorf("%s: answer echoes a key: %s", c.name, body)
		}
	}
}

func TestListenBeyondLoopbackNeedsKeys(t *testing.T) {
	t.Setenv("ROUNDHOUSE_HOST", "0.0.0.0:7700")
	_, err := config.Load("")
	if err == nil || !strings.Contains(err.Error(), "api_keys") {
		t.Fatalf("non-loopback listen without keys: %v", err)
	}
}

func TestUnknownRoutesAnswerJSON(t *testing.T) {
	h := hosttest.Start(t, hosttest.Options{})
	for _, c := range []struct {
		method, path string
		want         int
		shape        string
	}{
		{"GET", "/v1/nope", 404, `"code":"not_found"`},
		{"GET", "/api/nope", 404, `{"error":"no route`},
		{"GET", "/v1/services/chat", 405, `"code":"invalid_argument"`},
		{"PUT", "/api/chat", 405, `{"error":"method PUT`},
	} {
		resp, body := send(t, c.method, h.URL+c.path, "")
		if resp.StatusCode != c.want || !strings.Contains(body, c.shape) || !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
			t.Errorf("%s %s: %d %q %s", c.method, c.path, resp.StatusCode, resp.Header.Get("Content-Type"), body)
		}
		if c.want == 405 && resp.Header.Get("Allow") == "" {
			t.Errorf("%s %s: 405 without Allow", c.method, c.path)
		}
	}
}

// Bodies are bounded per route and in total; a stalled upload is cut off.
func TestAdmissionBoundsBodies(t *testing.T) {
	h := hosttest.Start(t, hosttest.Options{Mutate: func(c *config.Config) {
		c.Limits.MaxJSONBodyBytes = 1 << 10
		c.Limits.MaxBodyBytes = 4 << 10
		c.Limits.MaxInflightBodyBytes = 6 << 10
		c.Limits.BodyReadTimeout = 300 * time.Millisecond
	}})
	big := `{"messages":[{"role":"user","content":"` + strings.Repeat("x", 2<<10) + `"}]}`
	if resp, body := send(t, "POST", h.URL+"/v1/services/chat", big, "Content-Type", "application/json"); resp.StatusCode != 413 {
		t.Errorf("2 KiB chat over a 1 KiB limit: %d %s", resp.StatusCode, body)
	}
	// The same size is fine on a media route (it fails later, for other reasons).
	if resp, body := send(t, "POST", h.URL+"/v1/services/text-to-speech", `{"input":"`+strings.Repeat("x", 2<<10)+`"}`, "Content-Type", "application/json"); resp.StatusCode == 413 {
		t.Errorf("2 KiB on a media route: %d %s", resp.StatusCode, body)
	}

	// Two stalled 3 KiB uploads hold 6 KiB: the third is refused at once.
	stall := func() net.Conn {
		c, err := net.Dial("tcp", strings.TrimPrefix(h.URL, "http://"))
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(c, "POST /v1/services/speech-to-text HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n{", 3<<10)
		return c
	}
	c1, c2 := stall(), stall()
	defer c1.Close()
	defer c2.Close()
	time.Sleep(100 * time.Millisecond) // let both be admitted
	resp, body := send(t, "POST", h.URL+"/v1/services/speech-to-text", `{"audio":"`+strings.Repeat("A", 3<<10-20)+`"}`, "Content-Type", "application/json")
	if resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") == "" {
		t.Errorf("third upload while 6 KiB are in flight: %d %s", resp.StatusCode, body)
	}
	// The stalled ones are cut off by the body deadline: the server
	// answers or closes within a second.
	_ = c1.SetReadDeadline(time.Now().Add(5 * time.Second))
	buf := make([]byte, 512)
	start := time.Now()
	n, _ := c1.Read(buf)
	if time.Since(start) > 4*time.Second {
		t.Fatalf("stalled upload still open after %v (read %q)", time.Since(start), buf[:n])
	}
	// Once they are gone, bytes are free again.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for ctx.Err() == nil {
		resp, _ = send(t, "POST", h.URL+"/v1/services/chat", `{"messages":[{"role":"user","content":"hi"}]}`, "Content-Type", "application/json")
		if resp.StatusCode == 200 {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("requests still refused after the stalled uploads ended: %d", resp.StatusCode)
}

// An engine archive is chosen by the manifest or config; a request body may
// name another only from an authenticated admin. The install stream says
// success once, even when the plugin reports it itself.
func TestEngineInstallArchiveNeedsAdmin(t *testing.T) {
	h := hosttest.Start(t, hosttest.Options{Mutate: func(c *config.Config) { c.AdminToken = "rh-admin-token" }})
	install := func(body string, hdr ...string) (*http.Response, string) {
		return send(t, "POST", h.URL+"/v1/engines/echo/install", body, append([]string{"Content-Type", "application/json"}, hdr...)...)
	}
	// Loopback alone is not enough once a token is set; with a token, the
	// default archive installs.
	if resp, body := install(""); resp.StatusCode != 401 {
		t.Fatalf("install without token: %d %s", resp.StatusCode, body)
	}
	resp, body := install("", "Authorization", "Bearer rh-admin-token")
	if resp.StatusCode != 200 || strings.Count(body, `"status":"success"`) != 1 {
		t.Fatalf("install: %d, want exactly one success event:\n%s", resp.StatusCode, body)
	}
	resp, body = install(`{"url":"http://127.0.0.1:1/evil.tgz","sha256":"`+strings.Repeat("a", 64)+`"}`, "Authorization", "Bearer rh-admin-token")
	if resp.StatusCode != 200 || !strings.Contains(body, "evil.tgz") {
		t.Fatalf("admin-chosen archive: %d %s", resp.StatusCode, body)
	}

	// Without a token the route answers loopback clients, but a body
	// naming an archive is refused: any local page or process could send it.
	h2 := hosttest.Start(t, hosttest.Options{})
	resp, body = send(t, "POST", h2.URL+"/v1/engines/echo/install", `{"url":"http://127.0.0.1:1/evil.tgz"}`, "Content-Type", "application/json")
	if resp.StatusCode != 403 || !strings.Contains(body, `"field":"url"`) || strings.Contains(body, "evil.tgz\"") {
		t.Fatalf("anonymous archive choice: %d %s", resp.StatusCode, body)
	}
}

// Ollama loads and unloads models through /api/generate and /api/chat (an
// empty prompt, keep_alive 0): with API keys that needs the admin scope,
// as POST /v1/models/load and /unload do.
func TestInvokeKeyCannotLoadThroughOllamaRoutes(t *testing.T) {
	h := hosttest.Start(t, hosttest.Options{Mutate: func(c *config.Config) {
		c.APIKeys = []config.APIKey{keyEntry("app", "rh-app-key"), keyEntry("ops", "rh-ops-key", "admin")}
	}})
	for _, c := range []struct{ path, body string }{
		{"/api/generate", `{"model":"echo-1","keep_alive":0}`},
		{"/api/generate", `{"model":"echo-1"}`},
		{"/api/chat", `{"model":"echo-1","messages":[],"keep_alive":0}`},
	} {
		resp, body := send(t, "POST", h.URL+c.path, c.body, "Content-Type", "application/json", "Authorization", "Bearer rh-app-key")
		if resp.StatusCode != http.StatusForbidden {
			t.Errorf("invoke key, %s %s: %d %s", c.path, c.body, resp.StatusCode, body)
		}
		// The admin key gets past the check (echo has no engine: 501).
		if resp, body := send(t, "POST", h.URL+c.path, c.body, "Content-Type", "application/json", "Authorization", "Bearer rh-ops-key"); resp.StatusCode == http.StatusForbidden {
			t.Errorf("admin key, %s: %d %s", c.path, resp.StatusCode, body)
		}
	}
	// Generating still works with the invoke key.
	if resp, body := send(t, "POST", h.URL+"/api/generate", `{"model":"echo-1","prompt":"hi","stream":false}`, "Content-Type", "application/json", "Authorization", "Bearer rh-app-key"); resp.StatusCode != 200 {
		t.Errorf("generate with the invoke key: %d %s", resp.StatusCode, body)
	}
}

// allowed_origins "*" (as many set OLLAMA_ORIGINS) opens the services to
// every page, but admin and model-management routes need the origin
// listed as itself.
func TestWildcardOriginDoesNotOpenAdminRoutes(t *testing.T) {
	h := hosttest.Start(t, hosttest.Options{Mutate: func(c *config.Config) {
		c.AllowedOrigins = []string{"*", "http://app.localhost:5173"}
	}})
	_, pid := restarts(t, h.URL)
	chat := `{"messages":[{"role":"user","content":"hi"}]}`
	if resp, body := send(t, "POST", h.URL+"/v1/services/chat", chat, "Content-Type", "application/json", "Origin", "https://any.example"); resp.StatusCode != 200 {
		t.Fatalf("chat from any origin with \"*\": %d %s", resp.StatusCode, body)
	}
	for _, c := range []struct{ method, path, body string }{
		{"POST", "/v1/plugins/echo/restart", ""},
		{"POST", "/v1/providers", `{"name":"x","base_url":"http://127.0.0.1:1"}`},
		{"POST", "/api/pull", `{"model":"tiny"}`},
	} {
		if resp, body := send(t, c.method, h.URL+c.path, c.body, "Content-Type", "application/json", "Origin", "https://any.example"); resp.StatusCode != 403 {
			t.Errorf("%s %s from a wildcard origin: %d %s", c.method, c.path, resp.StatusCode, body)
		}
	}
	if _, after := restarts(t, h.URL); after != pid {
		t.Fatal("a wildcard origin restarted the plugin")
	}
	if resp, body := send(t, "POST", h.URL+"/v1/plugins/echo/restart", "", "Origin", "http://app.localhost:5173"); resp.StatusCode != 200 {
		t.Fatalf("restart from the listed origin: %d %s", resp.StatusCode, body)
	}
}

// The model-management routes added with copy/create/push and blob
// uploads are refused cross-site like every other state-changing route:
// a foreign Origin with a "simple" body, and Sec-Fetch-Site alone.
func TestModelManagementRoutesRefusedCrossSite(t *testing.T) {
	h := hosttest.Start(t, hosttest.Options{})
	digest := "sha256:" + strings.Repeat("a", 64)
	for _, c := range []struct{ method, path, body, ctype string }{
		{"POST", "/v1/models/copy", `{"source":"echo-1","destination":"x"}`, "text/plain"},
		{"POST", "/v1/models/create", `{"model":"x","from":"echo-1"}`, "text/plain"},
		{"POST", "/v1/models/push", `{"model":"echo-1"}`, "text/plain"},
		{"POST", "/api/copy", `{"source":"echo-1","destination":"x"}`, "text/plain"},
		{"POST", "/api/create", `{"model":"x","from":"echo-1"}`, "text/plain"},
		{"POST", "/api/push", `{"model":"echo-1"}`, "text/plain"},
		{"POST", "/api/blobs/" + digest, "GGUF", "application/octet-stream"},
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
}
