package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/coder/websocket"
	"github.com/creack/pty"

	"github.com/roundhouse-ai/roundhouse/client"
	"github.com/roundhouse-ai/roundhouse/types"
)

// scripted is a fake host: handlers by "METHOD /path", recording each
// request's body and Authorization header.
type scripted struct {
	mu       sync.Mutex
	handlers map[string]http.HandlerFunc
	bodies   map[string]string
	auth     []string
	queries  map[string]string
}

func newScripted(t *testing.T, handlers map[string]http.HandlerFunc) (*scripted, string) {
	t.Helper()
	s := &scripted{handlers: handlers, bodies: map[string]string{}, queries: map[string]string{}}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		key := r.Method + " " + r.URL.Path
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
		s.mu.Lock()
		s.bodies[key] = string(body)
		s.queries[key] = r.URL.RawQuery
		s.auth = append(s.auth, r.Header.Get("Authorization"))
		h := s.handlers[key]
		s.mu.Unlock()
		if h == nil {
			writeErr(w, 404, "not_found", "no route "+key)
			return
		}
		h(w, r)
	}))
	t.Cleanup(srv.Close)
	return s, srv.URL
}

func (s *scripted) body(key string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.bodies[key]
}

func writeErr(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(client.ErrorBody{Error: client.ErrorDetail{Code: code, Message: msg}})
}

func answer(body string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, body)
	}
}

// echoChat answers a chat with "echo(<number of messages>): <last>".
func echoChat(w http.ResponseWriter, r *http.Request) {
	var req struct {
		types.ChatRequest
		Stream bool `json:"stream"`
	}
	_ = json.NewDecoder(r.Body).Decode(&req)
	text := "echo(" + strings.Repeat("|", 0) + itoa(len(req.Messages)) + "): " + req.Messages[len(req.Messages)-1].Content
	if !req.Stream {
		answer(`{"model":"m","message":{"role":"assistant","content":`+quote(text)+`}}`)(w, r)
		return
	}
	send := ndjson(w)
	send(types.ChatChunk{Content: text})
	send(types.ChatChunk{Done: true})
}

func itoa(n int) string { b, _ := json.Marshal(n); return string(b) }
func quote(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// runCLI runs a command line the way main does (flags, client from
// --host), with the given stdin, and returns the exit code and streams.
func runCLI(stdin string, argv ...string) (int, string, string) {
	var out, errOut bytes.Buffer
	c := &cli{in: strings.NewReader(stdin), out: &out, errOut: &errOut}
	code := c.execute(context.Background(), argv)
	return code, out.String(), errOut.String()
}

// Exit codes: 0 ok, 1 error, 2 usage, 3 not found, 4 host unreachable;
// errors are one line with a hint.
func TestExitCodesAndErrors(t *testing.T) {
	_, url := newScripted(t, map[string]http.HandlerFunc{
		"GET /health":     answer(`{"status":"ok","version":"1","plugins":{}}`),
		"GET /v1/plugins": answer(`{"plugins":[]}`),
		"POST /v1/models/load": func(w http.ResponseWriter, r *http.Request) {
			writeErr(w, 404, "model_not_found", "model \"ghost\" not found")
		},
		"POST /v1/models/unload": func(w http.ResponseWriter, r *http.Request) {
			writeErr(w, 401, "unauthenticated", "an API key is required")
		},
		"POST /v1/engines/x/start": func(w http.ResponseWriter, r *http.Request) {
			writeErr(w, 503, "engine_unavailable", "the engine crashed\nstack trace line")
		},
	})
	for _, tc := range []struct {
		argv []string
		code int
		err  string
	}{
		{[]string{"--host", url, "status"}, 0, ""},
		{[]string{"--host", url, "bogus"}, 2, `unknown command "bogus"`},
		{[]string{"--host", url, "models", "load"}, 2, "usage: roundhouse models load NAME"},
		{[]string{"--host", url, "models", "ls", "--nope"}, 2, "unknown flag: --nope"},
		{[]string{"--host", url, "chat", "--policy", "cloud"}, 2, "--policy"},
		{[]string{"--host", url, "models", "load", "ghost"}, 3, "hint: `roundhouse models ls` lists models"},
		{[]string{"--host", url, "models", "unload", "m"}, 1, "hint: pass --token KEY or set ROUNDHOUSE_API_KEY"},
		{[]string{"--host", url, "engines", "start", "x"}, 1, "the engine crashed stack trace line (engine_unavailable, HTTP 503)"},
		{[]string{"--host", "127.0.0.1:1", "status"}, 4, "roundhouse serve"},
		{[]string{"--host", "ftp://x", "status"}, 2, "scheme"},
	} {
		code, _, errOut := runCLI("", tc.argv...)
		if code != tc.code || !strings.Contains(errOut, tc.err) {
			t.Errorf("%v: exit %d, stderr %q; want %d and %q", tc.argv, code, errOut, tc.code, tc.err)
		}
		if tc.code != 0 && (strings.Count(errOut, "\n") != 1 || !strings.HasPrefix(errOut, "error: ")) {
			t.Errorf("%v: error is not one line: %q", tc.argv, errOut)
		}
		if strings.Contains(errOut, "\x1b[") {
			t.Errorf("%v: colour in a non-terminal: %q", tc.argv, errOut)
		}
	}
}

// --host reaches the host without going through the environment, and
// --token is sent as the bearer token.
func TestHostAndTokenFlags(t *testing.T) {
	t.Setenv("ROUNDHOUSE_HOST", "127.0.0.1:1")
	t.Setenv("ROUNDHOUSE_API_KEY", "from-env")
	s, url := newScripted(t, map[string]http.HandlerFunc{"GET /v1/plugins": answer(`{"plugins":[]}`)})
	if code, _, errOut := runCLI("", "--host", url, "plugins", "ls", "--token", "flag-key"); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if os.Getenv("ROUNDHOUSE_HOST") != "127.0.0.1:1" {
		t.Error("--host was carried through the environment")
	}
	if code, _, _ := runCLI("", "--host", url, "plugins", "ls"); code != 0 {
		t.Fatal(code)
	}
	if strings.Join(s.auth, ",") != "Bearer flag-key,Bearer from-env" {
		t.Errorf("Authorization headers: %v", s.auth)
	}
}

// Colour only on a terminal, and never with NO_COLOR.
func TestColour(t *testing.T) {
	ptmx, tty, err := pty.Open()
	if err != nil {
		t.Skipf("no pty: %v", err)
	}
	defer ptmx.Close()
	defer tty.Close()
	c := &cli{}
	os.Unsetenv("NO_COLOR")
	t.Setenv("TERM", "xterm")
	if got := c.paint(tty, colRed, "error:"); got != "\x1b[31merror:\x1b[0m" {
		t.Errorf("terminal: %q", got)
	}
	if got := c.paint(&bytes.Buffer{}, colRed, "error:"); got != "error:" {
		t.Errorf("buffer: %q", got)
	}
	t.Setenv("NO_COLOR", "")
	if got := c.paint(tty, colRed, "error:"); got != "error:" {
		t.Errorf("NO_COLOR: %q", got)
	}
}

// run reads the prompt from stdin when none is given; chat reads a
// conversation from a pipe (no prompts printed), with """ blocks and /bye.
func TestRunAndChatFromPipes(t *testing.T) {
	_, url := newScripted(t, map[string]http.HandlerFunc{"POST /v1/services/chat": echoChat})
	code, out, errOut := runCLI("what is\nthis?\n", "--host", url, "run", "m")
	if code != 0 || out != "echo(1): what is\nthis?\n" {
		t.Fatalf("run from stdin: %d %q %q", code, out, errOut)
	}
	code, out, _ = runCLI("", "--host", url, "run", "m", "--system", "be brief", "hi", "there")
	if code != 0 || out != "echo(2): hi there\n" {
		t.Fatalf("run with a prompt: %d %q", code, out)
	}
	if code, _, errOut := runCLI("", "--host", url, "run", "m"); code != 2 || !strings.Contains(errOut, "no prompt") {
		t.Fatalf("run without a prompt: %d %q", code, errOut)
	}
	code, out, errOut = runCLI("hello\n\"\"\"\nline one\nline two\n\"\"\"\n\"\"\"one line\"\"\"\n/bye\nnot sent\n", "--host", url, "chat", "m")
	want := "echo(1): hello\necho(3): line one\nline two\necho(5): one line\n"
	if code != 0 || out != want {
		t.Fatalf("chat: %d\n%q\nwant\n%q\n%s", code, out, want, errOut)
	}
	// End of input ends the session too.
	if code, out, _ := runCLI("hi\n", "--host", url, "chat", "m"); code != 0 || out != "echo(1): hi\n" {
		t.Fatalf("chat to EOF: %d %q", code, out)
	}
}

// invoke calls each service with files for audio and images.
func TestInvokeServices(t *testing.T) {
	s, url := newScripted(t, map[string]http.HandlerFunc{
		"POST /v1/services/chat":           echoChat,
		"POST /v1/services/embed":          answer(`{"model":"e","embeddings":[[0.1,0.2,0.3,0.4,0.5],[1,2]]}`),
		"POST /v1/services/rerank":         answer(`{"model":"r","results":[{"index":1,"relevance_score":0.9},{"index":0,"relevance_score":0.1}]}`),
		"POST /v1/services/text-to-image":  answer(`{"model":"i","images":[{"data":"iVBORw==","mime_type":"image/png"},{"url":"https://x/y.png"}]}`),
		"POST /v1/services/text-to-speech": answer(`{"model":"t","audio":"UklGRg==","mime_type":"audio/wav"}`),
		"POST /v1/services/speech-to-text": answer(`{"model":"s","text":"hello world"}`),
		"GET /v1/services/speech-to-text/live": func(w http.ResponseWriter, r *http.Request) {
			conn, err := websocket.Accept(w, r, nil)
			if err != nil {
				return
			}
			defer conn.CloseNow()
			n := 0
			_, _, _ = conn.Read(r.Context()) // the config
			for {
				typ, data, err := conn.Read(r.Context())
				if err != nil || typ == websocket.MessageText {
					break
				}
				n += len(data)
				_ = conn.Write(r.Context(), websocket.MessageText, []byte(`{"text":"partial","is_final":false}`))
			}
			_ = conn.Write(r.Context(), websocket.MessageText, []byte(`{"text":"heard `+itoa(n)+` bytes","is_final":true}`))
			conn.Close(websocket.StatusNormalClosure, "done")
		},
	})
	dir := t.TempDir()
	t.Chdir(dir)
	check := func(want string, argv ...string) {
		t.Helper()
		code, out, errOut := runCLI("", append([]string{"--host", url, "invoke"}, argv...)...)
		if code != 0 || !strings.Contains(out, want) {
			t.Errorf("invoke %v: %d %q %q; want %q", argv, code, out, errOut, want)
		}
	}
	check("echo(1): hi", "chat", "hi")
	check("5 dimensions", "embed", "a", "b")
	check("1     0.9000  b", "rerank", "--query", "q", "a", "b")
	if !strings.Contains(s.body("POST /v1/services/rerank"), `"documents":["a","b"]`) {
		t.Errorf("rerank body %s", s.body("POST /v1/services/rerank"))
	}
	check("wrote image.png", "text-to-image", "a", "cat", "--plugin", "sd")
	check("https://x/y.png", "text-to-image", "a", "cat")
	if !strings.Contains(s.body("POST /v1/services/text-to-image"), `"prompt":"a cat"`) {
		t.Errorf("image body %s", s.body("POST /v1/services/text-to-image"))
	}
	check("wrote out.wav", "text-to-speech", "-o", "out.wav", "hello")
	if data, err := os.ReadFile("out.wav"); err != nil || string(data) != "RIFF" {
		t.Errorf("out.wav: %q %v", data, err)
	}
	check("hello world", "speech-to-text", "out.wav", "--language", "en")
	if b := s.body("POST /v1/services/speech-to-text"); !strings.Contains(b, `"audio":"UklGRg=="`) || !strings.Contains(b, `"filename":"out.wav"`) || !strings.Contains(b, `"language":"en"`) {
		t.Errorf("speech body %s", b)
	}
	check(`"text": "hello world"`, "speech-to-text", "--data", `{"audio":"AA=="}`)
	if code, out, errOut := runCLI("abcd", "--host", url, "invoke", "speech-to-text", "-", "--live"); code != 0 || out != "heard 4 bytes\n" {
		t.Errorf("live from stdin: %d %q %q", code, out, errOut)
	}
	check(`"content": "echo(1): x"`, "chat", "x", "--json")
	if code, _, errOut := runCLI("", "--host", url, "invoke", "dance"); code != 2 || !strings.Contains(errOut, "unknown service") {
		t.Errorf("unknown service: %d %q", code, errOut)
	}
}

// providers add reads keys from the environment or stdin, sends them, and
// never prints them.
func TestProvidersAddKeys(t *testing.T) {
	s, url := newScripted(t, map[string]http.HandlerFunc{"POST /v1/providers": answer(`{"plugin":"openai","name":"main"}`)})
	t.Setenv("MY_KEY", "sk-secret-1")
	code, out, errOut := runCLI("sk-secret-2\n", "--host", url, "providers", "add", "main", "--plugin", "openai",
		"--base-url", "https://api.example/v1", "--key-env", "MY_KEY", "--key-stdin", "--model", "gpt-x")
	if code != 0 || strings.Contains(out+errOut, "secret") {
		t.Fatalf("%d %q %q", code, out, errOut)
	}
	var got client.ProviderRequest
	if err := json.Unmarshal([]byte(s.body("POST /v1/providers")), &got); err != nil || len(got.APIKeys) != 2 ||
		got.APIKeys[0].Value != "sk-secret-1" || got.APIKeys[1].Value != "sk-secret-2" || got.Models[0] != "gpt-x" || got.Plugin != "openai" {
		t.Fatalf("sent %s", s.body("POST /v1/providers"))
	}
	if code, _, errOut := runCLI("", "--host", url, "providers", "add", "x", "--key-env", "UNSET_VAR_X"); code != 2 || !strings.Contains(errOut, "UNSET_VAR_X") {
		t.Fatalf("unset variable: %d %q", code, errOut)
	}
}

// plugins install sends a .tar.gz as the body with its sha256, and names
// a directory by its absolute path.
func TestPluginsInstall(t *testing.T) {
	s, url := newScripted(t, map[string]http.HandlerFunc{"POST /v1/plugins/install": answer(`{"name":"p","version":"1","state":"starting"}`)})
	dir := t.TempDir()
	tgz := filepath.Join(dir, "p.tar.gz")
	if err := os.WriteFile(tgz, []byte("GZDATA"), 0o600); err != nil {
		t.Fatal(err)
	}
	if code, out, errOut := runCLI("", "--host", url, "plugins", "install", tgz, "--sha256", "abc"); code != 0 || !strings.Contains(out, "installed p 1") {
		t.Fatalf("%d %q %q", code, out, errOut)
	}
	if s.body("POST /v1/plugins/install") != "GZDATA" || s.queries["POST /v1/plugins/install"] != "sha256=abc" {
		t.Fatalf("upload: %q %q", s.body("POST /v1/plugins/install"), s.queries["POST /v1/plugins/install"])
	}
	if code, _, _ := runCLI("", "--host", url, "plugins", "install", dir); code != 0 {
		t.Fatal(code)
	}
	if want, _ := json.Marshal(client.InstallPluginRequest{Path: dir}); s.body("POST /v1/plugins/install") != string(want) {
		t.Fatalf("dir install sent %s", s.body("POST /v1/plugins/install"))
	}
}

// plugins describe reads a manifest here: platform, services, problems.
func TestPluginsDescribe(t *testing.T) {
	dir := t.TempDir()
	plat := runtime.GOOS + "_" + runtime.GOARCH
	manifest := "version: \"1\"\nprovider: {name: demo, version: 0.1.0, type: local}\n" +
		"services:\n  - service_name: chat\n    default_model: tiny\n" +
		"platforms:\n  " + plat + ": {executable: ./demo, dependencies: [{command: no-such-tool-xyz, install: get it}]}\n"
	if err := os.WriteFile(filepath.Join(dir, "plugin.yaml"), []byte(manifest), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, _ := runCLI("", "plugins", "describe", dir)
	for _, want := range []string{"demo 0.1.0 (local)", plat + " (supported)", "SERVICE  DEFAULT MODEL", "chat     tiny", "no-such-tool-xyz", "does not exist", "get it"} {
		if !strings.Contains(out, want) {
			t.Errorf("describe lacks %q:\n%s", want, out)
		}
	}
	if code != 1 {
		t.Errorf("exit %d with problems", code)
	}
	if err := os.WriteFile(filepath.Join(dir, "demo"), []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "plugin.yaml"), []byte(strings.Replace(manifest, ", dependencies: [{command: no-such-tool-xyz, install: get it}]", "", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, _ = runCLI("", "plugins", "describe", dir, "--json")
	var d description
	if err := json.Unmarshal([]byte(out), &d); err != nil || code != 0 || len(d.Problems) != 0 || !d.Supported || d.Services[0].Name != "chat" || d.GPUUsing != "cpu" {
		t.Fatalf("%d %v %+v\n%s", code, err, d, out)
	}
}

// config validate runs here and names the key and line of a mistake.
func TestConfigValidate(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.yaml")
	bad := filepath.Join(dir, "bad.yaml")
	_ = os.WriteFile(good, []byte("listen: 127.0.0.1:7799\n"), 0o600)
	_ = os.WriteFile(bad, []byte("listen: 127.0.0.1:7799\nlisten_adress: x\n"), 0o600)
	if code, out, _ := runCLI("", "config", "validate", good); code != 0 || !strings.Contains(out, "ok") {
		t.Fatalf("good: %d %q", code, out)
	}
	if code, _, errOut := runCLI("", "config", "validate", bad); code != 1 || !strings.Contains(errOut, "bad.yaml:2:") || !strings.Contains(errOut, "listen_adress") {
		t.Fatalf("bad: %d %q", code, errOut)
	}
}

// Shell completion for bash, zsh and fish comes from cobra.
func TestCompletion(t *testing.T) {
	for shell, want := range map[string]string{"bash": "bash completion", "zsh": "#compdef roundhouse", "fish": "fish completion"} {
		if code, out, _ := runCLI("", "completion", shell); code != 0 || !strings.Contains(out, want) {
			t.Errorf("%s: %d %.80q", shell, code, out)
		}
	}
	code, out, _ := runCLI("", "__complete", "invoke", "")
	if code != 0 || !strings.Contains(out, "text-to-speech") {
		t.Errorf("invoke completes services: %d %q", code, out)
	}
	code, out, _ = runCLI("", "--help")
	if code != 0 || !strings.Contains(out, "4  host unreachable") {
		t.Errorf("--help lacks the exit codes: %q", out)
	}
}
