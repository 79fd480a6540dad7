package main

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/roundhouse-ai/roundhouse/internal/openaitest/fake"
	"github.com/roundhouse-ai/roundhouse/internal/ovmstest"
	"github.com/roundhouse-ai/roundhouse/internal/proctest"
	"github.com/roundhouse-ai/roundhouse/sdk"
)

// TestManagedLifecycle runs the fake ovms executable as the plugin's own
// child: start, pull with progress, load (config.json changes, readiness
// flips), every service, unload, delete, a SIGKILLed engine restarted,
// and Shutdown leaving no ovms behind.
func TestManagedLifecycle(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the fake ovms executable")
	}
	cfg := managedConfig(t, nil)
	p := newConfigured(t, cfg)
	ctx := ctxFor(t, 2*time.Minute)

	st, err := p.StartEngine(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !st.Running || st.PID == 0 || st.Mode != modeManaged {
		t.Fatalf("status after start = %+v", st)
	}
	s, _, _ := p.snapshot()
	args := strings.Join(mustCmdline(t, st.PID), " ")
	for _, want := range []string{"--rest_port " + portOf(s.hostPort), "--config_path " + s.configPath, "--model_repository_path " + s.repoDir, "--port "} {
		if !strings.Contains(args, want) {
			t.Errorf("ovms started without %q: %s", want, args)
		}
	}

	// Pull: progress for the weights file rises to its total, then success.
	const llm, emb, rr = "gpt-4o-mini", "text-embedding-3-small", "OpenVINO/bge-reranker-base-int8-ov"
	var evs []sdk.Progress
	if err := p.PullModel(ctx, &sdk.PullRequest{Model: llm}, func(ev *sdk.Progress) error { evs = append(evs, *ev); return nil }); err != nil {
		t.Fatal(err)
	}
	var completed []int64
	for _, ev := range evs {
		if ev.Digest == "openvino_model.bin" && ev.Total > 0 {
			completed = append(completed, ev.Completed)
		}
	}
	if len(completed) < 5 || !slices.IsSorted(completed) || completed[len(completed)-1] != 4190000 || evs[len(evs)-1].Status != "success" {
		t.Fatalf("pull progress: %v, last %+v", completed, evs[len(evs)-1])
	}
	for _, m := range []string{emb, rr} {
		if err := p.PullModel(ctx, &sdk.PullRequest{Model: m}, nil); err != nil {
			t.Fatal(err)
		}
	}
	models, err := p.ListModels(ctx)
	if err != nil || len(models) != 3 {
		t.Fatalf("models = %+v %v", models, err)
	}
	for _, m := range models {
		if m.Name == rr && !slices.Equal(m.Services, []string{sdk.ServiceRerank}) {
			t.Errorf("%s services = %v", rr, m.Services)
		}
	}

	// Load: config.json gains the entry, readiness flips to 200.
	if ok, _ := p.ready(ctx, s, llm); ok {
		t.Fatal("ready before load")
	}
	if err := p.LoadModel(ctx, &sdk.LoadRequest{Model: llm}); err != nil {
		t.Fatal(err)
	}
	if data, _ := os.ReadFile(s.configPath); !strings.Contains(string(data), `"name": "gpt-4o-mini"`) {
		t.Fatalf("config.json after load: %s", data)
	}
	if ok, _ := p.ready(ctx, s, llm); !ok {
		t.Fatal("not ready after load")
	}
	running, _ := p.ListRunningModels(ctx)
	if len(running) != 1 || running[0].Name != llm {
		t.Fatalf("running = %+v", running)
	}

	// Services. Embed and rerank load their models on first use.
	var text strings.Builder
	err = p.ChatStream(ctx, &sdk.ChatRequest{Model: llm, Messages: []sdk.Message{{Role: "user", Content: "Say hello."}}}, func(c *sdk.ChatChunk) error {
		text.WriteString(c.Content)
		return nil
	})
	if err != nil || text.Len() == 0 {
		t.Fatalf("chat stream: %q %v", text.String(), err)
	}
	e, err := p.Embed(ctx, &sdk.EmbedRequest{Model: emb, Input: []string{"one", "two"}})
	if err != nil || len(e.Embeddings) != 2 || len(e.Embeddings[0]) == 0 {
		t.Fatalf("embed: %+v %v", e, err)
	}
	r, err := p.Rerank(ctx, &sdk.RerankRequest{Model: rr, Query: "red apple", Documents: []string{"blue sky", "a red apple", "red"}, TopN: 2})
	if err != nil || len(r.Results) != 2 || r.Results[0].Index != 1 || r.Results[0].Document != "a red apple" {
		t.Fatalf("rerank: %+v %v", r, err)
	}
	if _, err := p.Rerank(ctx, &sdk.RerankRequest{Model: rr, Query: "q"}); !isField(err, "documents") {
		t.Fatalf("rerank without documents: %v", err)
	}
	if _, err := p.Chat(ctx, &sdk.ChatRequest{Model: "nope", Messages: []sdk.Message{{Role: "user", Content: "x"}}}); err == nil {
		t.Fatal("chat with an unknown model succeeded")
	}

	// Unload: gone from config.json, readiness 404.
	if err := p.UnloadModel(ctx, llm); err != nil {
		t.Fatal(err)
	}
	if ok, _ := p.ready(ctx, s, llm); ok {
		t.Fatal("ready after unload")
	}
	if data, _ := os.ReadFile(s.configPath); strings.Contains(string(data), `"gpt-4o-mini"`) {
		t.Fatalf("config.json after unload: %s", data)
	}
	// Delete: the directory goes, the model is no longer listed.
	if err := p.DeleteModel(ctx, rr); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(s.repoDir, "OpenVINO")); !os.IsNotExist(err) {
		t.Errorf("empty organisation directory left: %v", err)
	}
	if err := p.DeleteModel(ctx, rr); !isCode(err, sdk.CodeModelNotFound) {
		t.Fatalf("second delete = %v", err)
	}

	// SIGKILL the engine: the supervisor restarts it.
	pid := st.PID
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	eventually(t, 30*time.Second, "ovms restarted", func() bool {
		st, err := p.CheckEngine(ctx)
		return err == nil && st.Running && st.PID != pid && st.Restarts >= 1
	})
	st, _ = p.CheckEngine(ctx)
	if _, err := p.Embed(ctx, &sdk.EmbedRequest{Model: emb, Input: []string{"again"}}); err != nil {
		t.Fatalf("embed after restart: %v", err)
	}
	// Shutdown stops our child and leaves nothing running.
	if err := p.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	eventually(t, 10*time.Second, "ovms gone", func() bool { return !proctest.Alive(st.PID) })
}

func mustCmdline(t *testing.T, pid int) []string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "cmdline"))
	if err != nil {
		t.Skipf("no /proc: %v", err)
	}
	return strings.Split(strings.TrimRight(string(data), "\x00"), "\x00")
}

func itoa(i int) string { return strings.TrimSpace(strings.Repeat(" ", 0) + fmtInt(i)) }

func fmtInt(i int) string {
	return strings.TrimLeft(strings.Replace(string(rune('0'+0)), "0", "", 1)+intString(i), " ")
}

func intString(i int) string {
	if i == 0 {
		return "0"
	}
	var b []byte
	for ; i > 0; i /= 10 {
		b = append([]byte{byte('0' + i%10)}, b...)
	}
	return string(b)
}

func isCode(err error, code sdk.Code) bool {
	var e *sdk.Error
	return errors.As(err, &e) && e.Code == code
}

func isField(err error, field string) bool {
	var e *sdk.Error
	return errors.As(err, &e) && e.Field == field
}

// TestInstall installs the packaged fake from a loopback server: .tar.gz
// .tar.zst and .zip with the right sha256, and a wrong sha256 refused; the
// installed ovms then runs as the engine.
func TestInstall(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the fake ovms executable")
	}
	for _, format := range []string{"tar.gz", "tar.zst", "zip"} {
		t.Run(format, func(t *testing.T) {
			rel := ovmstest.ServeRelease(t, format)
			ctx := ctxFor(t, time.Minute)
			cfg := managedConfig(t, nil)
			delete(cfg.Settings, "ovms_path")
			p := newConfigured(t, cfg)
			bad := strings.Repeat("0", 64)
			if err := p.InstallEngine(ctx, &sdk.InstallEngineRequest{URL: rel.URL, SHA256: bad}, nil); !isCode(err, sdk.CodeEngineChecksum) {
				t.Fatalf("install with a wrong sha256 = %v", err)
			}
			if st, _ := p.CheckEngine(ctx); st.Installed {
				t.Fatal("installed after a checksum failure")
			}
			var evs []string
			if err := p.InstallEngine(ctx, &sdk.InstallEngineRequest{URL: rel.URL, SHA256: rel.SHA256}, func(ev *sdk.Progress) error {
				evs = append(evs, ev.Status)
				return nil
			}); err != nil {
				t.Fatal(err)
			}
			if len(evs) == 0 || evs[len(evs)-1] != "success" || !slices.Contains(evs, "verifying sha256 digest") {
				t.Errorf("install events: %v", evs)
			}
			st, _ := p.CheckEngine(ctx)
			if !st.Installed || !strings.HasPrefix(st.Version, "2026.0.0.fake") || !strings.HasSuffix(st.Executable, filepath.FromSlash("ovms/bin/ovms")) {
				t.Fatalf("after install: %+v (events %v)", st, evs)
			}
			if st, err := p.StartEngine(ctx); err != nil || !st.Running {
				t.Fatalf("start the installed ovms: %+v %v", st, err)
			}
		})
	}
}

// TestAttached uses an OVMS the plugin did not start (the fake, in
// process): it never stops it, and load/unload still go through
// config.json and the reload API, readiness flipping after LOADING.
func TestAttached(t *testing.T) {
	up := fake.NewServer(fake.Options{NoAuth: true})
	t.Cleanup(up.Close)
	p, srv, repo := attachedFake(t, ovmstest.Options{Upstream: up.URL, LoadDelay: 200 * time.Millisecond})
	ctx := ctxFor(t, time.Minute)
	st, err := p.StartEngine(ctx)
	if err != nil || st.Mode != modeAttached || !st.Running {
		t.Fatalf("start attached = %+v %v", st, err)
	}
	if _, err := p.StopEngine(ctx); !isCode(err, sdk.CodeEngineNotManaged) {
		t.Fatalf("stop attached = %v", err)
	}
	if err := ovmstest.Pull(ctx, ovmstest.PullOptions{SourceModel: "gpt-4o-mini", RepositoryPath: repo, FileBytes: 10, Step: time.Millisecond}, nopWriter{}); err != nil {
		t.Fatal(err)
	}
	before := srv.Reloads()
	if err := p.LoadModel(ctx, &sdk.LoadRequest{Model: "gpt-4o-mini"}); err != nil {
		t.Fatal(err)
	}
	if srv.Reloads() != before+1 {
		t.Errorf("reloads %d → %d", before, srv.Reloads())
	}
	resp, err := p.Chat(ctx, &sdk.ChatRequest{Model: "gpt-4o-mini", Messages: []sdk.Message{{Role: "user", Content: "hi"}}})
	if err != nil || resp.Message.Content == "" {
		t.Fatalf("chat: %+v %v", resp, err)
	}
	if err := p.LoadModel(ctx, &sdk.LoadRequest{Model: "not/pulled"}); !isCode(err, sdk.CodeModelNotFound) {
		t.Fatalf("load of a model not pulled = %v", err)
	}
	if err := p.UnloadModel(ctx, "gpt-4o-mini"); err != nil {
		t.Fatal(err)
	}
	if h, _ := p.Health(ctx); h.State != sdk.HealthServing {
		t.Fatalf("health = %+v", h)
	}
}

type nopWriter struct{}

func (nopWriter) Write(b []byte) (int, error) { return len(b), nil }

// TestPullCancel cancels a pull midway: the ovms --pull child is
// killed, the call answers canceled, the
// partial download stays for a resume, and the model is not listed.
func TestPullCancel(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the fake ovms executable")
	}
	cfg := managedConfig(t, nil)
	cfg.Settings["engine_env"].(map[string]any)["OVMS_FAKE_PULL_STEP_MS"] = "200"
	p := newConfigured(t, cfg)
	ctx, cancel := context.WithCancel(ctxFor(t, time.Minute))
	var got []sdk.Progress
	err := p.PullModel(ctx, &sdk.PullRequest{Model: "OpenVINO/Qwen3-8B-int4-ov"}, func(ev *sdk.Progress) error {
		got = append(got, *ev)
		if ev.Completed > 0 {
			cancel()
		}
		return nil
	})
	if !isCode(err, sdk.CodeCanceled) {
		t.Fatalf("cancelled pull = %v (events %+v)", err, got)
	}
	s, _, _ := p.snapshot()
	if _, err := os.Stat(filepath.Join(s.repoDir, "OpenVINO", "Qwen3-8B-int4-ov.lfswip")); err != nil {
		t.Errorf("no .lfswip marker left for a resume: %v", err)
	}
	if models, _ := p.ListModels(context.Background()); len(models) != 0 {
		t.Errorf("a cancelled pull is listed: %+v", models)
	}
	// A pull OVMS refuses fails with its message.
	err = p.PullModel(context.Background(), &sdk.PullRequest{Model: "org/missing-model"}, nil)
	if !isCode(err, sdk.CodeModelPullFailed) || !strings.Contains(err.Error(), "Authentication is required") {
		t.Fatalf("pull of a missing model = %v", err)
	}
	if err := p.PullModel(context.Background(), &sdk.PullRequest{Model: "../etc"}, nil); !isField(err, "model") {
		t.Fatalf("pull of ../etc = %v", err)
	}
}

// TestAutoAttaches: with manage_engine auto, an OVMS already answering at
// engine_host is used, not replaced; with true, the port being taken
// makes our own fail to start instead of silently attaching.
func TestAutoAttaches(t *testing.T) {
	p, _, repo := attachedFake(t, ovmstest.Options{})
	s, _, _ := p.snapshot()
	cfg := &sdk.Config{DataDir: t.TempDir(), Settings: map[string]any{
		"engine_host": s.hostPort, "manage_engine": "auto", "model_repository_path": repo, "config_path": s.configPath,
	}}
	auto := newConfigured(t, cfg)
	ctx := ctxFor(t, time.Minute)
	st, err := auto.StartEngine(ctx)
	if err != nil || st.Mode != modeAttached || st.PID != 0 {
		t.Fatalf("auto with an OVMS answering: %+v %v", st, err)
	}
	info, _ := auto.Info(ctx)
	if info.EngineMode != modeAttached || info.Details["device"] != "CPU" || info.Compute.Kind != "cpu" {
		t.Fatalf("info = %+v", info)
	}
	if testing.Short() {
		return
	}
	cfg.Settings["manage_engine"], cfg.Settings["ovms_path"], cfg.Settings["start_timeout"] = "true", ovmstest.Build(t), 5.0
	own := newConfigured(t, cfg)
	if _, err := own.StartEngine(ctx); err == nil {
		t.Fatal("manage_engine true started on a taken port")
	}
}

// TestAPIKey: with settings.api_key a managed ovms is started with
// --api_key_file (a 0600 file) and /v3 calls carry the key; the key shows
// in no error.
func TestAPIKey(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the fake ovms executable")
	}
	const key = "ovms-secret-key-1234"
	cfg := managedConfig(t, map[string]any{"api_key": key})
	repo := filepath.Join(cfg.DataDir, "models")
	if err := ovmstest.Pull(context.Background(), ovmstest.PullOptions{SourceModel: "gpt-4o-mini", RepositoryPath: repo, FileBytes: 10, Step: time.Millisecond}, nopWriter{}); err != nil {
		t.Fatal(err)
	}
	p := newConfigured(t, cfg)
	ctx := ctxFor(t, time.Minute)
	if _, err := p.Chat(ctx, &sdk.ChatRequest{Model: "gpt-4o-mini", Messages: []sdk.Message{{Role: "user", Content: "hi"}}}); err != nil {
		t.Fatalf("chat with the key: %v", err)
	}
	fi, err := os.Stat(filepath.Join(cfg.DataDir, "api_key"))
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("api_key file: %v %v", fi, err)
	}
	// A client without the key is refused by the engine.
	s, _, _ := p.snapshot()
	s.apiKey = ""
	_, err = p.client(s).Chat(ctx, &sdk.ChatRequest{Model: "gpt-4o-mini", Messages: []sdk.Message{{Role: "user", Content: "hi"}}})
	if err == nil || strings.Contains(err.Error(), key) {
		t.Fatalf("keyless call = %v", err)
	}
}
