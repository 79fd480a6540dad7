package client

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/roundhouse-ai/roundhouse/types"
)

// recorder is a fake host that records each request and answers from a
// table keyed by "METHOD /path".
type recorder struct {
	mu      sync.Mutex
	got     []string // "METHOD /path?query body"
	auth    []string
	answers map[string]string
}

func (r *recorder) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(req.Body)
	r.mu.Lock()
	key := req.Method + " " + req.URL.Path
	line := key
	if req.URL.RawQuery != "" {
		line += "?" + req.URL.RawQuery
	}
	r.got = append(r.got, strings.TrimSpace(line+" "+string(body)))
	r.auth = append(r.auth, req.Header.Get("Authorization"))
	ans, ok := r.answers[key]
	r.mu.Unlock()
	if !ok {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusNotFound)
		_, _ = io.WriteString(w, `{"error":{"message":"no route","code":"not_found","code_number":3}}`)
		return
	}
	if strings.HasPrefix(ans, "{\"error\"") {
		w.WriteHeader(http.StatusNotFound)
	}
	_, _ = io.WriteString(w, ans)
}

func (r *recorder) last() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.got[len(r.got)-1]
}

func newRecorder(t *testing.T, answers map[string]string, opts ...Option) (*recorder, *Client) {
	t.Helper()
	r := &recorder{answers: answers}
	srv := httptest.NewServer(r)
	t.Cleanup(srv.Close)
	c, err := New(srv.URL, nil, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return r, c
}

// Every method sends its endpoint's method, path and body.
func TestEndpoints(t *testing.T) {
	rec, c := newRecorder(t, map[string]string{
		"GET /v1/plugins/echo":             `{"name":"echo","state":"running"}`,
		"POST /v1/plugins/install":         `{"name":"new","state":"starting"}`,
		"POST /v1/plugins/echo/enable":     `{"name":"echo","state":"starting"}`,
		"POST /v1/plugins/echo/disable":    `{"name":"echo","state":"disabled"}`,
		"DELETE /v1/plugins/echo":          `{}`,
		"GET /v1/system":                   `{"os":"linux","cpu_cores":2,"gpus":[{"type":"amd","vram_bytes":8}],"preferred_gpu":"amd"}`,
		"POST /v1/engines/ollama/start":    `{"installed":true,"running":true}`,
		"POST /v1/engines/ollama/stop":     `{"installed":true,"running":false}`,
		"POST /v1/engines/ollama/upgrade":  "{\"status\":\"downloading\",\"total\":2,\"completed\":1}\n{\"status\":\"success\"}\n",
		"GET /v1/providers":                `{"providers":[{"plugin":"openai","name":"main","base_url":"u","keys":[{"masked":"sk-…abcd","state":"ok"}]}]}`,
		"POST /v1/providers":               `{"plugin":"openai","name":"main"}`,
		"DELETE /v1/providers/main":        `{"status":"deleted"}`,
		"POST /v1/providers/main/test":     `{"ok":true,"latency_seconds":0.5}`,
		"POST /v1/reload":                  `{"at":"2026-11-30T05:00:00Z","report":{"added":["new"],"removed":[],"restarted":[],"reconfigured":[],"errors":{"bad":"manifest invalid"},"needs_restart":["listen"]}}`,
		"GET /v1/config":                   `{"path":"/etc/rh.yaml","config":{"listen":"127.0.0.1:7700"}}`,
		"GET /v1/routes":                   `{"services":{}}`,
		"GET /v1/inventory":                `{"models":[{"name":"tiny","size":5,"plugin":"ollama","type":"local"}]}`,
		"POST /v1/services/rerank":         `{"model":"r","results":[]}`,
		"POST /v1/services/text-to-image":  `{"model":"i","images":[{"url":"x"}]}`,
		"POST /v1/services/text-to-speech": `{"model":"t","audio":"AAE=","mime_type":"audio/wav"}`,
		"POST /v1/services/speech-to-text": `{"model":"s","text":"hello"}`,
		"POST /v1/services/chat":           `{"model":"m","message":{"role":"assistant","content":"hi"}}`,
	}, WithAdminToken("tok"))
	ctx := context.Background()
	check := func(want string, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", want, err)
		}
		if got := rec.last(); got != want {
			t.Fatalf("sent %q\nwant %q", got, want)
		}
	}
	p, err := c.Plugin(ctx, "echo")
	check("GET /v1/plugins/echo", err)
	if p.State != "running" {
		t.Fatalf("plugin %+v", p)
	}
	_, err = c.InstallPlugin(ctx, &InstallPluginRequest{Path: "/tmp/p.tar.gz", SHA256: "ab"})
	check(`POST /v1/plugins/install {"path":"/tmp/p.tar.gz","sha256":"ab"}`, err)
	_, err = c.UploadPlugin(ctx, strings.NewReader("GZ"), 2, "cd")
	check(`POST /v1/plugins/install?sha256=cd GZ`, err)
	_, err = c.EnablePlugin(ctx, "echo")
	check("POST /v1/plugins/echo/enable", err)
	_, err = c.DisablePlugin(ctx, "echo")
	check("POST /v1/plugins/echo/disable", err)
	check("DELETE /v1/plugins/echo", c.RemovePlugin(ctx, "echo"))
	sys, err := c.System(ctx)
	check("GET /v1/system", err)
	if sys.PreferredGPU != types.GPUAMD || len(sys.GPUs) != 1 || sys.GPUs[0].VRAMBytes != 8 {
		t.Fatalf("system %+v", sys)
	}
	_, err = c.StartEngine(ctx, "ollama")
	check("POST /v1/engines/ollama/start", err)
	_, err = c.StopEngine(ctx, "ollama")
	check("POST /v1/engines/ollama/stop", err)
	var evs []string
	err = c.UpgradeEngine(ctx, "ollama", nil, func(ev ProgressEvent) error { evs = append(evs, ev.Status); return nil })
	check("POST /v1/engines/ollama/upgrade {}", err)
	if strings.Join(evs, ",") != "downloading,success" {
		t.Fatalf("upgrade events %v", evs)
	}
	provs, err := c.Providers(ctx)
	check("GET /v1/providers", err)
	if len(provs) != 1 || provs[0].Keys[0].Masked != "sk-…abcd" || provs[0].Plugin != "openai" {
		t.Fatalf("providers %+v", provs)
	}
	_, err = c.PutProvider(ctx, &ProviderRequest{Plugin: "openai", Name: "main", BaseURL: "u", APIKeys: []ProviderKey{{Value: "sk-secret"}}})
	// The key is sent as given: the host needs it, and types.APIKey's
	// JSON would have masked it.
	check(`POST /v1/providers {"plugin":"openai","name":"main","base_url":"u","api_keys":[{"value":"sk-secret"}]}`, err)
	check("DELETE /v1/providers/main?plugin=openai", c.DeleteProvider(ctx, "main", "openai"))
	pt, err := c.TestProvider(ctx, "main", "")
	check("POST /v1/providers/main/test", err)
	if !pt.OK || pt.Latency != 0.5 {
		t.Fatalf("test %+v", pt)
	}
	rr, err := c.Reload(ctx)
	check("POST /v1/reload", err)
	if len(rr.Report.Added) != 1 || rr.Report.Errors["bad"] == "" || rr.Report.NeedsRestart[0] != "listen" {
		t.Fatalf("reload %+v", rr)
	}
	cfg, err := c.Config(ctx)
	check("GET /v1/config", err)
	if cfg.Path != "/etc/rh.yaml" || cfg.Config["listen"] != "127.0.0.1:7700" {
		t.Fatalf("config %v", cfg)
	}
	_, err = c.Routes(ctx)
	check("GET /v1/routes", err)
	inv, err := c.Inventory(ctx, true)
	check("GET /v1/inventory?running=true", err)
	if len(inv) != 1 || inv[0].Name != "tiny" || inv[0].Plugin != "ollama" || inv[0].Type != "local" {
		t.Fatalf("inventory %+v", inv)
	}
	ms, err := c.Models(ctx, true)
	check("GET /v1/inventory?running=true", err)
	if len(ms) != 1 || ms[0].ID != "tiny" || ms[0].Size != 5 || ms[0].State != "running" {
		t.Fatalf("models %+v", ms)
	}
	_, err = c.Rerank(ctx, &types.RerankRequest{Query: "q", Documents: []string{"a"}}, Options{Policy: PolicyLocal})
	check(`POST /v1/services/rerank {"query":"q","documents":["a"],"policy":"local"}`, err)
	img, err := c.TextToImage(ctx, &types.TextToImageRequest{Prompt: "cat"}, Options{Plugin: "sd"})
	check(`POST /v1/services/text-to-image {"prompt":"cat","plugin":"sd"}`, err)
	if img.Images[0].URL != "x" {
		t.Fatalf("image %+v", img)
	}
	tts, err := c.TextToSpeech(ctx, &types.TextToSpeechRequest{Input: "hi"}, Options{})
	check(`POST /v1/services/text-to-speech {"input":"hi"}`, err)
	if len(tts.Audio) != 2 {
		t.Fatalf("tts %+v", tts)
	}
	wav := filepath.Join(t.TempDir(), "a.wav")
	if err := os.WriteFile(wav, []byte{1, 2}, 0o600); err != nil {
		t.Fatal(err)
	}
	stt, err := c.SpeechToTextFile(ctx, wav, nil, Options{})
	check(`POST /v1/services/speech-to-text {"audio":"AQI=","filename":"a.wav","mime_type":"`+mime.TypeByExtension(".wav")+`"}`, err)
	if stt.Text != "hello" {
		t.Fatalf("stt %+v", stt)
	}
	raw, err := c.Invoke(ctx, "chat", map[string]any{"model": "m", "stream": true}, Options{Policy: PolicyRemote})
	check(`POST /v1/services/chat {"model":"m","policy":"remote"}`, err)
	var ch types.ChatResponse
	if json.Unmarshal(raw, &ch) != nil || ch.Message.Content != "hi" {
		t.Fatalf("invoke %s", raw)
	}
	for i, a := range rec.auth {
		if a != "Bearer tok" {
			t.Fatalf("request %d (%s) sent Authorization %q", i, rec.got[i], a)
		}
	}
}

// A failed call returns a nil result, and the error's Code is the
// project's code.
func TestErrorsAreNilResultsWithCodes(t *testing.T) {
	_, c := newRecorder(t, map[string]string{
		"GET /v1/plugins/ghost": `{"error":{"message":"no plugin named \"ghost\"","code":"plugin_not_found"}}`,
	})
	ctx := context.Background()
	p, err := c.Plugin(ctx, "ghost")
	if p != nil {
		t.Fatalf("non-nil result with an error: %+v", p)
	}
	var se *StatusError
	if !errors.As(err, &se) || se.Code() != types.CodePluginNotFound || CodeOf(err) != types.CodePluginNotFound {
		t.Fatalf("error %#v", err)
	}
	// Each result-returning method gives nil on error.
	checks := map[string]func() (any, error){
		"Health":     func() (any, error) { return c.Health(ctx) },
		"Version":    func() (any, error) { return c.Version(ctx) },
		"System":     func() (any, error) { return c.System(ctx) },
		"Chat":       func() (any, error) { return c.Chat(ctx, &types.ChatRequest{}, Options{}) },
		"Generate":   func() (any, error) { return c.Generate(ctx, &types.GenerateRequest{}, Options{}) },
		"Embed":      func() (any, error) { return c.Embed(ctx, &types.EmbedRequest{}, Options{}) },
		"CancelPull": func() (any, error) { return c.CancelPull(ctx, "x") },
		"Restart":    func() (any, error) { return c.RestartPlugin(ctx, "x") },
		"Reload":     func() (any, error) { return c.Reload(ctx) },
	}
	for name, f := range checks {
		v, err := f()
		if err == nil {
			t.Errorf("%s: no error", name)
		}
		if !isNilPtr(v) {
			t.Errorf("%s: non-nil result %#v with error %v", name, v, err)
		}
	}
	// Lists are nil too.
	if ps, err := c.Plugins(ctx); ps != nil || err == nil {
		t.Errorf("Plugins: %v %v", ps, err)
	}
	if ps, err := c.Pulls(ctx); ps != nil || err == nil {
		t.Errorf("Pulls: %v %v", ps, err)
	}
}

func isNilPtr(v any) bool {
	switch p := v.(type) {
	case *HealthResponse:
		return p == nil
	case *VersionResponse:
		return p == nil
	case *SystemInfo:
		return p == nil
	case *types.ChatResponse:
		return p == nil
	case *types.GenerateResponse:
		return p == nil
	case *types.EmbedResponse:
		return p == nil
	case *PullSnapshot:
		return p == nil
	case *PluginStatus:
		return p == nil
	case *ReloadResult:
		return p == nil
	}
	return false
}

// Code falls back from code_number to the name to the HTTP status.
func TestStatusErrorCode(t *testing.T) {
	for _, tc := range []struct {
		se   StatusError
		want types.Code
	}{
		{StatusError{StatusCode: 404, ErrorDetail: ErrorDetail{Code: "model_not_found", CodeNumber: 3000}}, types.CodeModelNotFound},
		{StatusError{StatusCode: 404, ErrorDetail: ErrorDetail{Code: "model_not_found"}}, types.CodeModelNotFound},
		{StatusError{StatusCode: 503, ErrorDetail: ErrorDetail{Code: "engine_unavailable"}}, types.CodeEngineUnavailable},
		{StatusError{StatusCode: 401}, types.CodeUnauthenticated},
		{StatusError{StatusCode: 418}, types.CodeUnknown},
	} {
		if got := tc.se.Code(); got != tc.want {
			t.Errorf("%+v: %v, want %v", tc.se, got, tc.want)
		}
	}
	if CodeOf(nil) != types.CodeOK || CodeOf(context.Canceled) != types.CodeCanceled {
		t.Error("CodeOf of nil or a context error")
	}
	c, _ := New("127.0.0.1:1", nil)
	_, err := c.Health(context.Background())
	if !errors.Is(err, ErrHostDown) || CodeOf(err) != types.CodeUnavailable {
		t.Errorf("host down: %v", err)
	}
}

// An older host without GET /v1/inventory: Models reads GET /v1/models.
func TestModelsFallsBackToOpenAIList(t *testing.T) {
	rec, c := newRecorder(t, map[string]string{
		"GET /v1/models": `{"object":"list","data":[{"id":"tiny","plugin":"ollama","size":5,"state":"running"}]}`,
	})
	ms, err := c.Models(context.Background(), true)
	if err != nil || len(ms) != 1 || ms[0].ID != "tiny" || rec.last() != "GET /v1/models?state=running" {
		t.Fatalf("%+v %v %s", ms, err, rec.last())
	}
}

// Options and the environment set the token; the last one wins.
func TestConstructorOptions(t *testing.T) {
	t.Setenv("ROUNDHOUSE_HOST", "")
	t.Setenv("ROUNDHOUSE_ADMIN_TOKEN", "admin")
	t.Setenv("ROUNDHOUSE_API_KEY", "")
	c, err := FromEnvironment()
	if err != nil || c.token != "admin" || c.Host() != "http://"+DefaultHost {
		t.Fatalf("%+v %v", c, err)
	}
	c, _ = FromEnvironment(WithAPIKey("key"))
	if c.token != "key" {
		t.Fatalf("option after the environment: %q", c.token)
	}
	hc := &http.Client{}
	c, _ = New("https://h:1", nil, WithHTTPClient(hc), WithAdminToken("a"))
	if c.http != hc || c.token != "a" || c.Host() != "https://h:1" {
		t.Fatalf("%+v", c)
	}
	for _, bad := range []string{"ftp://h", "http://"} {
		if _, err := New(bad, nil); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

// InvokeStream hands each event's JSON to the callback, and a mid-stream
// error line ends it with a StatusError.
func TestInvokeStream(t *testing.T) {
	_, c := newRecorder(t, map[string]string{
		"POST /v1/services/generate": "{\"content\":\"a\"}\n{\"content\":\"b\"}\n{\"error\":{\"message\":\"engine died\",\"code\":\"engine_unavailable\"}}\n",
	})
	var got []string
	err := c.InvokeStream(context.Background(), "generate", &types.GenerateRequest{Prompt: "x"}, Options{}, func(ev json.RawMessage) error {
		got = append(got, string(ev))
		return nil
	})
	var se *StatusError
	if len(got) != 2 || !errors.As(err, &se) || se.Code() != types.CodeEngineUnavailable || !se.InStream || se.StatusCode != 503 {
		t.Fatalf("%v %#v", got, err)
	}
}

// The service bodies carry the routing options and the stream flag next
// to the request's own fields: a request type that grew a field of the
// same JSON name would make encoding/json drop both, silently.
func TestBodiesKeepRoutingFields(t *testing.T) {
	o := Options{Policy: PolicyRemote, Plugin: "p"}
	for name, body := range map[string]any{
		"chat":           chatBody{streaming{true}, &types.ChatRequest{Model: "m"}, o},
		"generate":       generateBody{streaming{true}, &types.GenerateRequest{Model: "m"}, o},
		"embed":          embedBody{streaming{true}, &types.EmbedRequest{Model: "m"}, o},
		"rerank":         rerankBody{&types.RerankRequest{Model: "m"}, o},
		"text-to-image":  textToImageBody{&types.TextToImageRequest{Model: "m"}, o},
		"text-to-speech": textToSpeechBody{&types.TextToSpeechRequest{Model: "m"}, o},
		"speech-to-text": speechToTextBody{&types.SpeechToTextRequest{Model: "m"}, o},
	} {
		b, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		var m map[string]any
		_ = json.Unmarshal(b, &m)
		if m["policy"] != "remote" || m["plugin"] != "p" || m["model"] != "m" {
			t.Errorf("%s body lost a field: %s", name, b)
		}
		if streams := name == "chat" || name == "generate" || name == "embed"; streams && m["stream"] != true {
			t.Errorf("%s body lost stream: %s", name, b)
		}
	}
}
