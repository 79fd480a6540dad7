package ollama

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/roundhouse-ai/roundhouse/host/backend"
	"github.com/roundhouse-ai/roundhouse/host/compat/compattest"
	"github.com/roundhouse-ai/roundhouse/sdk"
)

func newServer(t testing.TB, fb *compattest.Backend, opts Options) *httptest.Server {
	t.Helper()
	mux := http.NewServeMux()
	Register(mux, fb, opts)
	mux.Handle("/", RootHandler())
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

func do(t *testing.T, method, url, body string) (*http.Response, []byte) {
	t.Helper()
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	req, _ := http.NewRequest(method, url, r)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, b
}

// lines splits an NDJSON body.
func lines(b []byte) []string {
	return strings.Split(strings.TrimSpace(string(b)), "\n")
}

func errorOf(t *testing.T, b []byte) string {
	t.Helper()
	var e ErrorResponse
	if err := json.Unmarshal(b, &e); err != nil || e.Error == "" {
		t.Fatalf("not an Ollama error: %s", b)
	}
	return e.Error
}

func TestHandlerRootAndVersion(t *testing.T) {
	srv := newServer(t, compattest.New(), Options{})
	resp, b := do(t, http.MethodGet, srv.URL+"/", "")
	if resp.StatusCode != 200 || string(b) != "Ollama is running" {
		t.Fatalf("root %d %q", resp.StatusCode, b)
	}
	if resp, _ := do(t, http.MethodHead, srv.URL+"/", ""); resp.StatusCode != 200 {
		t.Fatalf("HEAD / %d", resp.StatusCode)
	}
	if resp, _ := do(t, http.MethodGet, srv.URL+"/nothing", ""); resp.StatusCode != 404 {
		t.Fatalf("other path %d", resp.StatusCode)
	}
	if resp, _ := do(t, http.MethodPost, srv.URL+"/", "x"); resp.StatusCode != 405 {
		t.Fatalf("POST / %d", resp.StatusCode)
	}
	_, b = do(t, http.MethodGet, srv.URL+"/api/version", "")
	if string(b) != `{"version":"0.1.0-test"}`+"\n" {
		t.Fatalf("version %s", b)
	}
	srv2 := newServer(t, compattest.New(), Options{Version: "0.12.0"})
	if _, b = do(t, http.MethodGet, srv2.URL+"/api/version", ""); !strings.Contains(string(b), "0.12.0") {
		t.Fatalf("version override %s", b)
	}
	if resp, _ := do(t, http.MethodHead, srv.URL+"/api/tags", ""); resp.StatusCode != 200 {
		t.Fatalf("HEAD /api/tags %d", resp.StatusCode)
	}
}

func TestHandlerChat(t *testing.T) {
	fb := compattest.New()
	srv := newServer(t, fb, Options{})
	// Streaming is the default.
	resp, b := do(t, http.MethodPost, srv.URL+"/api/chat", `{"model":"llama3.2","messages":[{"role":"user","content":"hi"}],"options":{"temperature":0}}`)
	ls := lines(b)
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/x-ndjson" || len(ls) != 3 {
		t.Fatalf("%d %s %q", resp.StatusCode, resp.Header.Get("Content-Type"), ls)
	}
	var last ChatResponse
	_ = json.Unmarshal([]byte(ls[2]), &last)
	if !last.Done || last.DoneReason != "stop" || last.EvalCount != 2 || last.PromptEvalCount != 3 || last.TotalDuration <= 0 || last.Model != "llama3.2:latest" {
		t.Fatalf("final %s", ls[2])
	}
	if req := fb.Last("ChatStream").Req.(*sdk.ChatRequest); *req.Options.Temperature != 0 {
		t.Fatalf("request %+v", req)
	}
	// stream:false gives one object.
	resp, b = do(t, http.MethodPost, srv.URL+"/api/chat", `{"model":"llama3.2","messages":[{"role":"user","content":"hi"}],"stream":false}`)
	var whole ChatResponse
	if err := json.Unmarshal(b, &whole); err != nil || resp.Header.Get("Content-Type") != "application/json" ||
		!whole.Done || whole.Message.Content != "Hello" || whole.Message.Role != "assistant" {
		t.Fatalf("non-stream %s", b)
	}
}

func TestHandlerLoadUnload(t *testing.T) {
	fb := compattest.New()
	srv := newServer(t, fb, Options{})
	tests := []struct {
		path, body, reason, method string
	}{
		{"/api/chat", `{"model":"llama3.2","messages":[]}`, "load", "LoadModel"},
		{"/api/chat", `{"model":"llama3.2","messages":[],"keep_alive":0}`, "unload", "UnloadModel"},
		{"/api/generate", `{"model":"llama3.2"}`, "load", "LoadModel"},
		{"/api/generate", `{"model":"llama3.2","keep_alive":"0s"}`, "unload", "UnloadModel"},
		{"/api/generate", `{"model":"llama3.2","keep_alive":"1h"}`, "load", "LoadModel"},
	}
	for _, tt := range tests {
		resp, b := do(t, http.MethodPost, srv.URL+tt.path, tt.body)
		var r struct {
			Done       bool   `json:"done"`
			DoneReason string `json:"done_reason"`
			Model      string `json:"model"`
		}
		if err := json.Unmarshal(b, &r); err != nil || resp.StatusCode != 200 || !r.Done || r.DoneReason != tt.reason || r.Model != "llama3.2" {
			t.Fatalf("%s %s: %d %s", tt.path, tt.body, resp.StatusCode, b)
		}
		if c := fb.Calls(); c[len(c)-1].Method != tt.method {
			t.Fatalf("%s: last call %s", tt.body, c[len(c)-1].Method)
		}
	}
	if req := fb.Last("LoadModel").Req.(*sdk.LoadRequest); *req.KeepAlive != 3600 {
		t.Fatalf("keep_alive %v", *req.KeepAlive)
	}
	resp, b := do(t, http.MethodPost, srv.URL+"/api/chat", `{"model":"ghost","messages":[],"keep_alive":0}`)
	if resp.StatusCode != 404 {
		t.Fatalf("unload unknown %d %s", resp.StatusCode, b)
	}
	resp, b = do(t, http.MethodPost, srv.URL+"/api/generate", `{}`)
	if resp.StatusCode != 400 || !strings.Contains(errorOf(t, b), "model") {
		t.Fatalf("load without model %d %s", resp.StatusCode, b)
	}
}

func TestHandlerGenerate(t *testing.T) {
	srv := newServer(t, compattest.New(), Options{})
	_, b := do(t, http.MethodPost, srv.URL+"/api/generate", `{"model":"llama3.2","prompt":"hi"}`)
	ls := lines(b)
	if len(ls) != 3 || !strings.Contains(ls[0], `"response":"Hel"`) || !strings.Contains(ls[2], `"done":true`) {
		t.Fatalf("stream %q", ls)
	}
	_, b = do(t, http.MethodPost, srv.URL+"/api/generate", `{"model":"llama3.2","prompt":"hi","stream":false}`)
	var g GenerateResponse
	if err := json.Unmarshal(b, &g); err != nil || g.Response != "Hello" || !g.Done || g.EvalCount != 2 {
		t.Fatalf("whole %s", b)
	}
}

func TestHandlerStreamErrors(t *testing.T) {
	fb := compattest.New()
	fb.Chunks = []*sdk.ChatChunk{{Content: "par"}}
	fb.StreamErr = sdk.Errorf(sdk.CodeEngineUnavailable, "engine crashed")
	srv := newServer(t, fb, Options{})
	for _, path := range []string{"/api/chat", "/api/generate"} {
		resp, b := do(t, http.MethodPost, srv.URL+path, `{"model":"llama3.2","messages":[{"role":"user","content":"hi"}],"prompt":"hi"}`)
		ls := lines(b)
		if resp.StatusCode != 200 || len(ls) != 2 || errorOf(t, []byte(ls[1])) != "engine crashed" {
			t.Fatalf("%s: %d %q", path, resp.StatusCode, ls)
		}
	}
	// Before the first line the error keeps its status.
	resp, b := do(t, http.MethodPost, srv.URL+"/api/chat", `{"model":"ghost","messages":[{"role":"user","content":"hi"}]}`)
	if resp.StatusCode != 404 || resp.Header.Get("Content-Type") != "application/json" {
		t.Fatalf("unknown model %d %s", resp.StatusCode, b)
	}
}

func TestHandlerDisconnectCancelsBackend(t *testing.T) {
	for _, path := range []string{"/api/chat", "/api/generate"} {
		t.Run(path, func(t *testing.T) {
			fb := compattest.New()
			fb.BlockStream = true
			srv := newServer(t, fb, Options{})
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			req, _ := http.NewRequestWithContext(ctx, http.MethodPost, srv.URL+path,
				strings.NewReader(`{"model":"llama3.2","messages":[{"role":"user","content":"hi"}],"prompt":"hi"}`))
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			if line, err := bufio.NewReader(resp.Body).ReadString('\n'); err != nil || !strings.Contains(line, "Hel") {
				t.Fatalf("first line %q %v", line, err)
			}
			<-fb.Blocked
			cancel()
			select {
			case <-fb.Canceled:
			case <-time.After(5 * time.Second):
				t.Fatal("backend context not cancelled")
			}
		})
	}
}

func TestHandlerPull(t *testing.T) {
	fb := compattest.New()
	srv := newServer(t, fb, Options{})
	resp, b := do(t, http.MethodPost, srv.URL+"/api/pull", `{"model":"llama3.2","insecure":true}`)
	ls := lines(b)
	if resp.StatusCode != 200 || len(ls) != 7 || ls[0] != `{"status":"pulling manifest"}` || ls[6] != `{"status":"success"}` ||
		!strings.HasPrefix(ls[2], `{"status":"pulling dde5aa3fc5ff","digest":"sha256:dde5aa3fc5ff`) {
		t.Fatalf("%d %q", resp.StatusCode, ls)
	}
	if req := fb.Last("PullModel").Req.(backend.PullRequest); req.Model != "llama3.2" || !req.Insecure {
		t.Fatalf("pull request %+v", req)
	}
	// stream:false: one object. "name" is the deprecated spelling.
	_, b = do(t, http.MethodPost, srv.URL+"/api/pull", `{"name":"llama3.2","stream":false}`)
	if string(b) != `{"status":"success"}`+"\n" {
		t.Fatalf("non-stream %s", b)
	}
	// A backend that reports no manifest step or success still yields both.
	fb.Progress = []*sdk.Progress{{Status: "downloading", Digest: "sha256:abc", Total: 1, Completed: 1}}
	_, b = do(t, http.MethodPost, srv.URL+"/api/pull", `{"model":"x"}`)
	if ls := lines(b); len(ls) != 3 || ls[0] != `{"status":"pulling manifest"}` || ls[2] != `{"status":"success"}` {
		t.Fatalf("synthesized %q", ls)
	}
	// Failure before any progress: status code; after: an error line.
	resp, b = do(t, http.MethodPost, srv.URL+"/api/pull", `{"model":"missing-model"}`)
	if resp.StatusCode != 404 {
		t.Fatalf("missing %d %s", resp.StatusCode, b)
	}
	fb.Progress = nil
	fb.StreamErr = sdk.Errorf(sdk.CodeModelPullFailed, "disk full")
	resp, b = do(t, http.MethodPost, srv.URL+"/api/pull", `{"model":"x"}`)
	ls = lines(b)
	if resp.StatusCode != 200 || errorOf(t, []byte(ls[len(ls)-1])) != "disk full" {
		t.Fatalf("mid-stream %q", ls)
	}
	resp, b = do(t, http.MethodPost, srv.URL+"/api/pull", `{"model":"x","stream":false}`)
	if resp.StatusCode != 500 || errorOf(t, b) != "disk full" {
		t.Fatalf("non-stream failure %d %s", resp.StatusCode, b)
	}
	resp, b = do(t, http.MethodPost, srv.URL+"/api/pull", `{}`)
	if resp.StatusCode != 400 || !strings.HasPrefix(errorOf(t, b), "model") {
		t.Fatalf("no model %d %s", resp.StatusCode, b)
	}
}

func TestHandlerModelManagement(t *testing.T) {
	fb := compattest.New()
	srv := newServer(t, fb, Options{})
	resp, b := do(t, http.MethodPost, srv.URL+"/api/show", `{"model":"llama3.2"}`)
	var s ShowResponse
	if err := json.Unmarshal(b, &s); err != nil || resp.StatusCode != 200 || s.Details.Family != "llama" || s.Template == "" ||
		strings.Join(s.Capabilities, ",") != "completion" {
		t.Fatalf("show %d %s", resp.StatusCode, b)
	}
	if resp, b := do(t, http.MethodPost, srv.URL+"/api/show", `{"name":"ghost"}`); resp.StatusCode != 404 {
		t.Fatalf("show unknown %d %s", resp.StatusCode, b)
	}
	if resp, b := do(t, http.MethodDelete, srv.URL+"/api/delete", `{"model":"llama3.2"}`); resp.StatusCode != 200 || len(b) != 0 {
		t.Fatalf("delete %d %s", resp.StatusCode, b)
	}
	if resp, _ := do(t, http.MethodDelete, srv.URL+"/api/delete", `{"name":"all-minilm"}`); resp.StatusCode != 200 {
		t.Fatalf("delete by name %d", resp.StatusCode)
	}
	if fb.Last("DeleteModel").Req.(string) != "all-minilm" {
		t.Fatal("delete by name did not reach the backend")
	}
	if resp, _ := do(t, http.MethodDelete, srv.URL+"/api/delete", `{"model":"ghost"}`); resp.StatusCode != 404 {
		t.Fatalf("delete unknown %d", resp.StatusCode)
	}
	if resp, b := do(t, http.MethodPost, srv.URL+"/api/copy", `{"source":"llama3.2","destination":"backup"}`); resp.StatusCode != 200 || len(b) != 0 {
		t.Fatalf("copy %d %s", resp.StatusCode, b)
	}
	if cr := fb.Last("CopyModel").Req.(*sdk.CopyRequest); cr.Source != "llama3.2" || cr.Destination != "backup" {
		t.Fatalf("copy reached the backend as %+v", cr)
	}
	if resp, _ := do(t, http.MethodPost, srv.URL+"/api/copy", `{"source":"ghost","destination":"backup"}`); resp.StatusCode != 404 {
		t.Fatalf("copy unknown %d", resp.StatusCode)
	}
	if resp, _ := do(t, http.MethodPost, srv.URL+"/api/copy", `{"source":"llama3.2"}`); resp.StatusCode != 400 {
		t.Fatalf("copy without destination %d", resp.StatusCode)
	}
	if resp, _ := do(t, http.MethodPost, srv.URL+"/api/push", `{"model":"ghost"}`); resp.StatusCode != 404 {
		t.Fatalf("push unknown %d", resp.StatusCode)
	}
	_, b = do(t, http.MethodGet, srv.URL+"/api/tags", "")
	var l ListResponse
	if err := json.Unmarshal(b, &l); err != nil || len(l.Models) != 3 {
		t.Fatalf("tags %s", b)
	}
	_, b = do(t, http.MethodGet, srv.URL+"/api/ps", "")
	var p ProcessResponse
	if err := json.Unmarshal(b, &p); err != nil || len(p.Models) != 1 || p.Models[0].SizeVRAM == 0 {
		t.Fatalf("ps %s", b)
	}
}

func TestHandlerEmbed(t *testing.T) {
	srv := newServer(t, compattest.New(), Options{})
	_, b := do(t, http.MethodPost, srv.URL+"/api/embed", `{"model":"all-minilm","input":["ab","c"]}`)
	var e EmbedResponse
	if err := json.Unmarshal(b, &e); err != nil || len(e.Embeddings) != 2 || e.Embeddings[0][0] != 2 || e.Model != "all-minilm:latest" || e.TotalDuration <= 0 {
		t.Fatalf("embed %s", b)
	}
	// No input is a mistake, not a load request: 400 naming input.
	for _, body := range []string{`{"model":"all-minilm","input":[]}`, `{"model":"all-minilm","input":""}`,
		`{"model":"all-minilm","input":null}`, `{"model":"all-minilm"}`} {
		resp, b := do(t, http.MethodPost, srv.URL+"/api/embed", body)
		if resp.StatusCode != 400 || !strings.Contains(string(b), `{"error":"input: `) {
			t.Fatalf("%s: %d %s, want 400 naming input", body, resp.StatusCode, b)
		}
	}
	_, b = do(t, http.MethodPost, srv.URL+"/api/embeddings", `{"model":"all-minilm","prompt":"abc"}`)
	if string(b) != `{"embedding":[3,0.5,-0.25]}`+"\n" {
		t.Fatalf("legacy %s", b)
	}
	if _, b = do(t, http.MethodPost, srv.URL+"/api/embeddings", `{"model":"all-minilm","prompt":""}`); string(b) != `{"embedding":[]}`+"\n" {
		t.Fatalf("legacy empty %s", b)
	}
	if resp, _ := do(t, http.MethodPost, srv.URL+"/api/embed", `{"model":"ghost","input":"x"}`); resp.StatusCode != 404 {
		t.Fatalf("unknown %d", resp.StatusCode)
	}
}

func TestHandlerBadInput(t *testing.T) {
	srv := newServer(t, compattest.New(), Options{MaxBodyBytes: 512})
	tests := []struct {
		path, body string
		status     int
		mention    string
	}{
		{"/api/chat", `{"model":`, 400, "body"},
		{"/api/chat", `{"model":"m","messages":"hi"}`, 400, "messages"},
		{"/api/chat", `{"model":"m","messages":[{"role":"user","content":"x"}],"options":{"temperature":"hot"}}`, 400, "options.temperature"},
		{"/api/generate", `{"model":"m","prompt":"x","format":"xml"}`, 400, "format"},
		{"/api/generate", `{"model":"m","prompt":"` + strings.Repeat("x", 1024) + `"}`, 413, "body"},
		{"/api/embed", ``, 400, "body"},
		{"/api/show", `{}`, 400, "model"},
	}
	for _, tt := range tests {
		resp, b := do(t, http.MethodPost, srv.URL+tt.path, tt.body)
		if resp.StatusCode != tt.status || !strings.Contains(errorOf(t, b), tt.mention) {
			t.Errorf("%s %.40s: %d %s", tt.path, tt.body, resp.StatusCode, b)
		}
	}
}
