package api_test

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/roundhouse-ai/roundhouse/client"
	"github.com/roundhouse-ai/roundhouse/host/config"
	"github.com/roundhouse-ai/roundhouse/internal/hosttest"
	"github.com/roundhouse-ai/roundhouse/sdk"
	"github.com/roundhouse-ai/roundhouse/sdk/manifest"
)

func post(t *testing.T, url, body string, hdr ...string) (*http.Response, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
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

func TestNativeBadInput(t *testing.T) {
	h := hosttest.Start(t, hosttest.Options{Mutate: func(c *config.Config) { c.Limits.MaxBodyBytes = 1024 }})
	tests := []struct {
		name, path, body string
		status           int
		contains         []string
	}{
		{"malformed json", "/v1/services/chat", `{"messages": [`, 400, []string{`"field":"body"`, "ends in the middle"}},
		{"wrong type", "/v1/services/chat", `{"messages": "hi"}`, 400, []string{`"field":"messages"`, "must be an array"}},
		{"no messages", "/v1/services/chat", `{}`, 400, []string{`"field":"messages"`}},
		{"bad role", "/v1/services/chat", `{"messages":[{"role":"wizard","content":"x"}]}`, 400, []string{`"field":"messages[0].role"`}},
		{"bad policy", "/v1/services/chat", `{"policy":"cheap","messages":[{"role":"user","content":"x"}]}`, 400, []string{`"field":"policy"`}},
		{"unknown service", "/v1/services/teleport", `{}`, 404, []string{`"code":"service_not_found"`}},
		{"too large", "/v1/services/chat", `{"messages":[{"role":"user","content":"` + strings.Repeat("x", 2000) + `"}]}`, 413, []string{"larger than 1024 bytes"}},
		{"empty body", "/v1/services/embed", ``, 400, []string{"empty"}},
		{"embed needs input", "/v1/services/embed", `{"model":"x"}`, 400, []string{`"field":"input"`}},
		{"remote policy", "/v1/services/chat", `{"policy":"remote","messages":[{"role":"user","content":"x"}]}`, 503, []string{"no running plugin offers chat"}},
		{"model not found", "/v1/services/chat", `{"model":"missing","messages":[{"role":"user","content":"x"}]}`, 404, []string{`"code":"model_not_found"`}},
		{"stream on unary service", "/v1/services/embed", `{"stream":true,"input":["a"]}`, 400, []string{`"field":"stream"`}},
		{"bad model name on pull", "/v1/models/pull", `{"model":"../../etc/passwd"}`, 400, []string{`"code":"model_invalid_name"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := post(t, h.URL+tt.path, tt.body)
			if resp.StatusCode != tt.status {
				t.Fatalf("status = %d, want %d; body %s", resp.StatusCode, tt.status, body)
			}
			if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
				t.Errorf("content-type = %q", ct)
			}
			for _, c := range tt.contains {
				if !strings.Contains(body, c) {
					t.Errorf("body %s lacks %q", body, c)
				}
			}
		})
	}
	// The host still serves after all that.
	resp, body := post(t, h.URL+"/v1/services/chat", `{"messages":[{"role":"user","content":"ok"}]}`)
	if resp.StatusCode != 200 || !strings.Contains(body, "echo: ok") {
		t.Fatalf("after bad input: %d %s", resp.StatusCode, body)
	}
}

func TestNativeStreamingFormats(t *testing.T) {
	h := hosttest.Start(t, hosttest.Options{})
	body := `{"stream":true,"messages":[{"role":"user","content":"one two three"}]}`
	resp, sse := post(t, h.URL+"/v1/services/chat", body)
	if resp.Header.Get("Content-Type") != "text/event-stream" {
		t.Fatalf("content-type %q", resp.Header.Get("Content-Type"))
	}
	if n := strings.Count(sse, "data: "); n != 5 {
		t.Errorf("SSE events = %d, want 5 (4 words + done): %s", n, sse)
	}
	resp, nd := post(t, h.URL+"/v1/services/chat", body, "Accept", "application/x-ndjson")
	if resp.Header.Get("Content-Type") != "application/x-ndjson" {
		t.Fatalf("content-type %q", resp.Header.Get("Content-Type"))
	}
	var text strings.Builder
	lines := strings.Split(strings.TrimSpace(nd), "\n")
	for _, l := range lines {
		var ch sdk.ChatChunk
		if err := json.Unmarshal([]byte(l), &ch); err != nil {
			t.Fatalf("line %q: %v", l, err)
		}
		text.WriteString(ch.Content)
	}
	if text.String() != "echo: one two three" {
		t.Errorf("text = %q", text.String())
	}
	if !strings.Contains(lines[len(lines)-1], `"done":true`) {
		t.Errorf("last line not done: %s", lines[len(lines)-1])
	}
}

func TestNativeStreamCrashEndsWithErrorEvent(t *testing.T) {
	h := hosttest.Start(t, hosttest.Options{})
	// CRASH kills the plugin before any chunk: a plain JSON error.
	resp, body := post(t, h.URL+"/v1/services/chat", `{"stream":true,"messages":[{"role":"user","content":"CRASH"}]}`)
	if resp.StatusCode != 503 || !strings.Contains(body, "plugin_crashed") && !strings.Contains(body, "service_unavailable") {
		t.Fatalf("crash: %d %s", resp.StatusCode, body)
	}
}

func TestClientDisconnectCancelsPluginCall(t *testing.T) {
	h := hosttest.Start(t, hosttest.Options{})
	c, _ := client.New(h.URL, nil)
	ctx, cancel := context.WithCancel(context.Background())
	n := 0
	err := c.ChatStream(ctx, &sdk.ChatRequest{Messages: []sdk.Message{{Role: "user", Content: "SLOW"}}}, client.Options{},
		func(*sdk.ChatChunk) error {
			n++
			if n == 3 {
				cancel()
			}
			return nil
		})
	if err == nil {
		t.Fatal("stream ended without error after cancel")
	}
	marker := filepath.Join(h.DataDir, "plugins", "echo", "cancelled")
	deadline := time.Now().Add(5 * time.Second)
	for {
		if _, err := os.Stat(marker); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the plugin never saw the cancellation")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestClientCalls(t *testing.T) {
	h := hosttest.Start(t, hosttest.Options{})
	c, _ := client.New(h.URL, nil)
	ctx := context.Background()
	v, err := c.Version(ctx)
	if err != nil || v.ProtocolVersion != 1 {
		t.Fatalf("version %+v %v", v, err)
	}
	ps, err := c.Plugins(ctx)
	if err != nil || len(ps) != 1 || ps[0].Name != "echo" || ps[0].State != "running" || ps[0].PID == 0 {
		t.Fatalf("plugins %+v %v", ps, err)
	}
	hl, err := c.Health(ctx)
	if err != nil || hl.Plugins["echo"] != "running" {
		t.Fatalf("health %+v %v", hl, err)
	}
	r, err := c.Chat(ctx, &sdk.ChatRequest{Messages: []sdk.Message{{Role: "user", Content: "hi"}}}, client.Options{})
	if err != nil || r.Message.Content != "echo: hi" {
		t.Fatalf("chat %+v %v", r, err)
	}
	_, err = c.Chat(ctx, &sdk.ChatRequest{Model: "missing", Messages: []sdk.Message{{Role: "user", Content: "hi"}}}, client.Options{})
	var se *client.StatusError
	if !asStatus(err, &se) || se.StatusCode != 404 || se.ErrorDetail.Code != "model_not_found" || se.Field != "model" {
		t.Fatalf("typed error: %#v", err)
	}
	e, err := c.Embed(ctx, &sdk.EmbedRequest{Input: []string{"a", "b"}}, client.Options{})
	if err != nil || len(e.Embeddings) != 2 || len(e.Embeddings[0]) != 4 {
		t.Fatalf("embed %+v %v", e, err)
	}
	svcs, err := c.Services(ctx)
	if err != nil || len(svcs) != len(sdk.ServiceNames) || svcs[0].Plugins[0].Plugin != "echo" {
		t.Fatalf("services %+v %v", svcs, err)
	}
}

func asStatus(err error, se **client.StatusError) bool {
	e, ok := err.(*client.StatusError)
	*se = e
	return ok
}

// readSSE is for tests that need event names.
func readSSE(r io.Reader) []string {
	var events []string
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		if l := sc.Text(); strings.HasPrefix(l, "event: ") || strings.HasPrefix(l, "data: ") {
			events = append(events, l)
		}
	}
	return events
}

func TestHostHeaderGuard(t *testing.T) {
	h := hosttest.Start(t, hosttest.Options{})
	req, _ := http.NewRequest(http.MethodGet, h.URL+"/v1/plugins", nil)
	req.Host = "evil.example:7700" // a DNS-rebinding page sends its own name
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Fatalf("foreign Host answered %d", resp.StatusCode)
	}
	req.Host = "localhost:7700"
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("localhost Host answered %d", resp.StatusCode)
	}
}

func TestAdminToken(t *testing.T) {
	h := hosttest.Start(t, hosttest.Options{Mutate: func(c *config.Config) { c.AdminToken = "admin-secret-token" }})
	c, _ := client.New(h.URL, nil)
	_, err := c.RestartPlugin(context.Background(), "echo")
	var se *client.StatusError
	if !asStatus(err, &se) || se.StatusCode != 401 {
		t.Fatalf("admin route without token: %v", err)
	}
	c.SetAdminToken("admin-secret-token")
	st, err := c.RestartPlugin(context.Background(), "echo")
	if err != nil || st.State != "running" || st.Restarts != 0 {
		t.Fatalf("restart with token: %+v %v", st, err)
	}
	// Non-admin routes need no token.
	c.SetAdminToken("")
	if _, err := c.Plugins(context.Background()); err != nil {
		t.Fatal(err)
	}
}

func TestOpenAPIDescribesNativeRoutes(t *testing.T) {
	h := hosttest.Start(t, hosttest.Options{})
	resp, err := http.Get(h.URL + "/openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var doc struct {
		OpenAPI    string                    `json:"openapi"`
		Paths      map[string]map[string]any `json:"paths"`
		Components struct {
			Schemas map[string]struct {
				Properties map[string]any `json:"properties"`
			} `json:"schemas"`
		} `json:"components"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&doc); err != nil {
		t.Fatal(err)
	}
	for _, svc := range sdk.ServiceNames {
		if _, ok := doc.Paths["/v1/services/"+svc]["post"]; !ok {
			t.Errorf("no POST /v1/services/%s", svc)
		}
	}
	chat := doc.Components.Schemas["chatBody"].Properties
	for _, f := range []string{"model", "messages", "stream", "policy", "provider", "options"} {
		if _, ok := chat[f]; !ok {
			t.Errorf("chat body schema lacks %q: %v", f, chat)
		}
	}
	if doc.OpenAPI != "3.1.0" || doc.Paths["/v1/models/pull"] == nil {
		t.Errorf("doc: %s %v", doc.OpenAPI, doc.Paths["/v1/models/pull"])
	}
	for path, method := range map[string]string{"/v1/models/copy": "post", "/v1/models/create": "post", "/v1/models/push": "post",
		"/api/blobs/{digest}": "head"} {
		if _, ok := doc.Paths[path][method]; !ok {
			t.Errorf("no %s %s", method, path)
		}
	}
	if _, ok := doc.Paths["/api/blobs/{digest}"]["post"]; !ok {
		t.Error("no post /api/blobs/{digest}")
	}
	create := doc.Components.Schemas["CreateRequest"].Properties
	for _, f := range []string{"model", "from", "files", "path", "template", "system", "parameters", "quantize", "plugin"} {
		if _, ok := create[f]; !ok {
			t.Errorf("CreateRequest schema lacks %q", f)
		}
	}
	if _, ok := doc.Components.Schemas["PullSnapshot"].Properties["kind"]; !ok {
		t.Error("PullSnapshot schema lacks kind")
	}
}

func TestStreamLimitPerClient(t *testing.T) {
	h := hosttest.Start(t, hosttest.Options{Mutate: func(c *config.Config) { c.Limits.MaxStreamsPerClient = 1 }})
	c, _ := client.New(h.URL, nil)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	started := make(chan struct{})
	go func() {
		once := false
		_ = c.ChatStream(ctx, &sdk.ChatRequest{Messages: []sdk.Message{{Role: "user", Content: "SLOW"}}}, client.Options{},
			func(*sdk.ChatChunk) error {
				if !once {
					once = true
					close(started)
				}
				return nil
			})
	}()
	<-started
	resp, body := post(t, h.URL+"/v1/services/chat", `{"stream":true,"messages":[{"role":"user","content":"x"}]}`)
	if resp.StatusCode != http.StatusTooManyRequests || !strings.Contains(body, "max_streams_per_client") {
		t.Fatalf("second stream: %d %s", resp.StatusCode, body)
	}
	// The limit is the client's, whatever surface it streams through.
	for path, body := range map[string]string{
		"/v1/chat/completions": `{"model":"echo-1","stream":true,"messages":[{"role":"user","content":"x"}]}`,
		"/api/chat":            `{"model":"echo-1","messages":[{"role":"user","content":"x"}]}`,
		"/api/generate":        `{"model":"echo-1","prompt":"x"}`,
		"/v1/messages":         `{"model":"echo-1","max_tokens":5,"stream":true,"messages":[{"role":"user","content":"x"}]}`,
	} {
		if resp, got := post(t, h.URL+path, body); resp.StatusCode != http.StatusTooManyRequests || !strings.Contains(got, "max_streams_per_client") {
			t.Errorf("second stream on %s: %d %s", path, resp.StatusCode, got)
		}
	}
	// Unary calls are not streams: still served.
	if resp, body := post(t, h.URL+"/v1/services/chat", `{"messages":[{"role":"user","content":"x"}]}`); resp.StatusCode != 200 {
		t.Fatalf("unary beside a stream: %d %s", resp.StatusCode, body)
	}
}

func TestCORS(t *testing.T) {
	h := hosttest.Start(t, hosttest.Options{Mutate: func(c *config.Config) { c.AllowedOrigins = []string{"http://localhost:3000"} }})
	for origin, want := range map[string]string{"http://localhost:3000": "http://localhost:3000", "http://evil.example": ""} {
		req, _ := http.NewRequest(http.MethodOptions, h.URL+"/v1/services/chat", nil)
		req.Header.Set("Origin", origin)
		req.Header.Set("Access-Control-Request-Method", "POST")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if got := resp.Header.Get("Access-Control-Allow-Origin"); got != want {
			t.Errorf("origin %s: allow-origin %q, want %q", origin, got, want)
		}
		if want == "" && resp.StatusCode != http.StatusForbidden {
			t.Errorf("preflight from %s: status %d, want 403", origin, resp.StatusCode)
		}
	}
}

func TestSystemInfo(t *testing.T) {
	h := hosttest.Start(t, hosttest.Options{})
	resp, err := http.Get(h.URL + "/v1/system")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var info struct {
		OS          string `json:"os"`
		CPUCores    int    `json:"cpu_cores"`
		MemoryTotal uint64 `json:"memory_total_bytes"`
		GPUs        []any  `json:"gpus"`
		Preferred   string `json:"preferred_gpu"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&info); err != nil {
		t.Fatal(err)
	}
	if info.OS == "" || info.CPUCores < 1 || info.MemoryTotal == 0 || info.GPUs == nil || info.Preferred == "" {
		t.Fatalf("system info: %+v", info)
	}
}

// A plugin that dies in the middle of a stream: the client gets the chunks
// sent so far and then a well-formed error event, not a truncated body.
func TestStreamEndsWithErrorEventWhenPluginCrashes(t *testing.T) {
	h := hosttest.Start(t, hosttest.Options{})
	resp, body := post(t, h.URL+"/v1/services/chat", `{"stream":true,"messages":[{"role":"user","content":"CRASH MIDWAY"}]}`)
	if resp.StatusCode != 200 {
		t.Fatalf("status %d: %s", resp.StatusCode, body)
	}
	events := readSSE(strings.NewReader(body))
	if len(events) < 4 || events[len(events)-2] != "event: error" {
		t.Fatalf("events: %q", events)
	}
	var last struct {
		Error struct {
			Code      string `json:"code"`
			Retryable bool   `json:"retryable"`
		} `json:"error"`
	}
	if err := json.Unmarshal([]byte(strings.TrimPrefix(events[len(events)-1], "data: ")), &last); err != nil ||
		last.Error.Code != "plugin_crashed" || !last.Error.Retryable {
		t.Fatalf("final event %q: %v", events[len(events)-1], err)
	}
	// NDJSON ends the same way, with an {"error": ...} line.
	_, nd := post(t, h.URL+"/v1/services/chat", `{"stream":true,"messages":[{"role":"user","content":"CRASH MIDWAY"}]}`, "Accept", "application/x-ndjson")
	lines := strings.Split(strings.TrimSpace(nd), "\n")
	if !strings.HasPrefix(lines[len(lines)-1], `{"error":`) {
		t.Fatalf("ndjson: %q", lines)
	}
}

// GET /v1/plugins shows each plugin's gpu_types against the GPUs the host
// detected, and which one it runs for.
func TestPluginListShowsGPU(t *testing.T) {
	h := hosttest.Start(t, hosttest.Options{})
	resp, err := http.Get(h.URL + "/v1/plugins")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var list struct {
		Plugins []struct {
			Name string          `json:"name"`
			GPU  json.RawMessage `json:"gpu"`
		} `json:"plugins"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&list); err != nil || len(list.Plugins) == 0 {
		t.Fatalf("list = %+v, %v", list, err)
	}
	var g map[string]any
	if err := json.Unmarshal(list.Plugins[0].GPU, &g); err != nil {
		t.Fatalf("gpu = %s: %v", list.Plugins[0].GPU, err)
	}
	_, sup := g["supported"].([]any)
	_, det := g["detected"].([]any)
	if !sup || !det || g["using"] == "" || g["using"] == nil {
		t.Fatalf("gpu = %s, want supported, detected (lists) and using", list.Plugins[0].GPU)
	}
}

// A service whose manifest says it does not stream
// (capabilities.support_streaming: false) still answers stream requests:
// the host calls the unary method and sends its answer as one chunk. The
// echo plugin's ChatStream would send one chunk per word.
func TestStreamRequestToNonStreamingServiceIsOneChunk(t *testing.T) {
	h := hosttest.Start(t, hosttest.Options{EchoManifest: func(m *manifest.Manifest) {
		for i := range m.Services {
			m.Services[i].Capabilities.SupportStreaming = false
		}
	}})
	resp, nd := post(t, h.URL+"/v1/services/chat", `{"stream":true,"messages":[{"role":"user","content":"one two three"}]}`,
		"Accept", "application/x-ndjson")
	if resp.StatusCode != 200 {
		t.Fatalf("status %d: %s", resp.StatusCode, nd)
	}
	lines := strings.Split(strings.TrimSpace(nd), "\n")
	if len(lines) != 1 {
		t.Fatalf("got %d chunks, want 1: %s", len(lines), nd)
	}
	var ch sdk.ChatChunk
	if err := json.Unmarshal([]byte(lines[0]), &ch); err != nil {
		t.Fatal(err)
	}
	if ch.Content != "echo: one two three" || !ch.Done || ch.FinishReason != "stop" || ch.Usage == nil || ch.Role != "assistant" {
		t.Errorf("chunk = %+v", ch)
	}

	resp, nd = post(t, h.URL+"/v1/services/generate", `{"stream":true,"prompt":"hi there"}`, "Accept", "application/x-ndjson")
	lines = strings.Split(strings.TrimSpace(nd), "\n")
	if resp.StatusCode != 200 || len(lines) != 1 || !strings.Contains(lines[0], `"text":"echo: hi there"`) || !strings.Contains(lines[0], `"done":true`) {
		t.Fatalf("generate: %d %s", resp.StatusCode, nd)
	}

	// The compatible surfaces go through the same path.
	resp, sse := post(t, h.URL+"/v1/chat/completions", `{"model":"echo-1","stream":true,"messages":[{"role":"user","content":"a b"}]}`)
	if resp.StatusCode != 200 || !strings.Contains(sse, "echo: a b") || !strings.Contains(sse, "[DONE]") {
		t.Fatalf("openai stream: %d %s", resp.StatusCode, sse)
	}
	resp, body := post(t, h.URL+"/api/chat", `{"model":"echo-1","messages":[{"role":"user","content":"a b"}]}`)
	if resp.StatusCode != 200 || !strings.Contains(body, "echo: a b") || !strings.Contains(body, `"done":true`) {
		t.Fatalf("ollama stream: %d %s", resp.StatusCode, body)
	}
}
