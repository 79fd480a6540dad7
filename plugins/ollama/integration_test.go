//go:build linux

package main

// Integration tests against the real test bed (internal/testbed): a real
// Ollama 0.17.4 built from source, a deterministic tiny GGUF model, and a
// local registry behind a throttling front. They skip, saying why, when
// the test bed's ollama binary has not been built (`make ollama`), and in
// -short mode.

import (
	"archive/tar"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/roundhouse-ai/roundhouse/internal/testbed"
	"github.com/roundhouse-ai/roundhouse/sdk"
	"github.com/roundhouse-ai/roundhouse/sdk/engine"
)

func requireBed(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("real test bed: skipped in -short mode")
	}
	return testbed.RequireOllamaBinary(t)
}

// realEnv keeps a managed engine's key pair and history out of the real
// home directory and off the cloud.
func realEnv(t *testing.T) map[string]any {
	return map[string]any{"HOME": t.TempDir(), "OLLAMA_NO_CLOUD": "1", "OLLAMA_NOHISTORY": "1"}
}

// realManaged is a plugin managing the test bed's ollama on a free port.
func realManaged(t *testing.T, bin string) *plugin {
	t.Helper()
	p := testPlugin(t, map[string]any{
		"engine_host": freeHost(t), "ollama_path": bin, "manage_engine": "true",
		"engine_env": realEnv(t), "start_timeout": 60.0,
	})
	t.Cleanup(func() {
		if t.Failed() {
			b, _ := os.ReadFile(filepath.Join(p.snapshot().set.dataDir, "logs", "ollama-serve.log"))
			if len(b) > 8000 {
				b = b[len(b)-8000:]
			}
			t.Logf("managed ollama log tail:\n%s", b)
		}
	})
	return p
}

// groupMembers lists the live processes in process group pgid.
func groupMembers(pgid int) []int {
	var out []int
	dirs, _ := os.ReadDir("/proc")
	for _, d := range dirs {
		pid, err := strconv.Atoi(d.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile("/proc/" + d.Name() + "/stat")
		if err != nil {
			continue
		}
		s := string(b)
		i := strings.LastIndexByte(s, ')')
		f := strings.Fields(s[i+1:])
		// f[0] is field 3 (state), f[2] field 5 (pgrp).
		if len(f) > 2 && f[0] != "Z" && f[2] == strconv.Itoa(pgid) {
			out = append(out, pid)
		}
	}
	return out
}

func hasModel(models []sdk.Model, ref string) bool {
	return slices.ContainsFunc(models, func(m sdk.Model) bool { return sameModel(m.Name, ref) })
}

func chatOnce(ctx context.Context, p *plugin, model string) ([]*sdk.ChatChunk, error) {
	var chunks []*sdk.ChatChunk
	err := p.ChatStream(ctx, &sdk.ChatRequest{
		Model:    model,
		Messages: []sdk.Message{{Role: "user", Content: "Tell me a story."}},
		Options:  &sdk.Options{Seed: ptr(int64(1)), Temperature: ptr(0.0), MaxTokens: ptr(24)},
	}, func(c *sdk.ChatChunk) error { chunks = append(chunks, c); return nil })
	return chunks, err
}

// TestRealManagedEngine walks a managed engine through its life: lazy
// start as a process group, a throttled pull with progress, streamed chat,
// generate, embed, load/unload, a SIGKILL the watchdog recovers from,
// delete, and a stop that takes the whole group down.
func TestRealManagedEngine(t *testing.T) {
	bin := requireBed(t)
	shortRestarts(t)
	bed := testbed.NewBed(t)
	p := realManaged(t, bin)
	ctx := ctxT(t, 8*time.Minute)
	tiny, big := bed.Ref("tiny"), bed.Ref("big")

	es, err := p.StartEngine(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !es.Running || es.Mode != modeManaged || es.Version != testbed.OllamaVersion() || es.PID == 0 {
		t.Fatalf("status = %+v", es)
	}
	if g, _ := syscall.Getpgid(es.PID); g != es.PID {
		t.Fatalf("engine pgid %d, want its own pid %d", g, es.PID)
	}

	// Pull the big model throttled: progress arrives in increasing steps.
	bed.Registry.SetRate(8 << 20)
	var mu sync.Mutex
	var completed []int64
	err = p.PullModel(ctx, &sdk.PullRequest{Model: big, Insecure: true}, func(pr *sdk.Progress) error {
		mu.Lock()
		defer mu.Unlock()
		if pr.Status == "downloading" && pr.Digest == bed.Models["big"].Digest {
			if n := len(completed); n == 0 || pr.Completed > completed[n-1] {
				completed = append(completed, pr.Completed)
			}
		}
		return nil
	})
	bed.Registry.SetRate(0)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("pull of %s: %d increasing progress events", big, len(completed))
	if len(completed) < 3 || completed[len(completed)-1] != bed.Models["big"].Size {
		t.Fatalf("progress steps %v, want >= 3 ending at %d", completed, bed.Models["big"].Size)
	}
	if err := p.PullModel(ctx, &sdk.PullRequest{Model: tiny, Insecure: true}, nil); err != nil {
		t.Fatal(err)
	}
	models, err := p.ListModels(ctx)
	if err != nil || !hasModel(models, tiny) || !hasModel(models, big) {
		t.Fatalf("ListModels = %+v, %v", models, err)
	}

	// Streamed chat, token by token.
	chunks, err := chatOnce(ctx, p, tiny)
	if err != nil {
		t.Fatal(err)
	}
	var text strings.Builder
	for _, c := range chunks[:len(chunks)-1] {
		text.WriteString(c.Content)
		if c.Done {
			t.Error("done before the last chunk")
		}
	}
	last := chunks[len(chunks)-1]
	t.Logf("chat: %d chunks, %q, finish %s, usage %+v", len(chunks), text.String(), last.FinishReason, last.Usage)
	if len(chunks) < 3 || text.Len() == 0 || !last.Done || last.Usage == nil || last.Usage.CompletionTokens == 0 {
		t.Fatalf("stream: %d chunks, text %q, last %+v", len(chunks), text.String(), last)
	}

	gen, err := p.Generate(ctx, &sdk.GenerateRequest{Model: tiny, Prompt: "Once upon a time", Options: &sdk.Options{MaxTokens: ptr(8), Seed: ptr(int64(1))}})
	if err != nil || gen.Text == "" || gen.Usage == nil {
		t.Fatalf("Generate = %+v, %v", gen, err)
	}

	emb, err := p.Embed(ctx, &sdk.EmbedRequest{Model: tiny, Input: []string{"hello", "world"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(emb.Embeddings) != 2 || len(emb.Embeddings[0]) == 0 {
		t.Fatalf("Embed = %d vectors", len(emb.Embeddings))
	}

	// Load and unload show in the running list; the runner joins the group.
	if err := p.LoadModel(ctx, &sdk.LoadRequest{Model: big, KeepAlive: ptr(-1.0)}); err != nil {
		t.Fatal(err)
	}
	running, err := p.ListRunningModels(ctx)
	if err != nil || !hasModel(running, big) {
		t.Fatalf("after load: %+v, %v", running, err)
	}
	for _, m := range running {
		if sameModel(m.Name, big) && (m.SizeBytes == 0 || m.ExpiresAt < time.Now().AddDate(1, 0, 0).Unix()) {
			t.Errorf("loaded forever, but %+v", m)
		}
	}
	info, _ := p.Info(ctx)
	if info.Compute == nil || info.Compute.Kind == "" {
		t.Errorf("compute with models loaded = %+v", info.Compute)
	}
	if members := groupMembers(es.PID); len(members) < 2 {
		t.Errorf("engine group %v: want the runner in it", members)
	}
	if err := p.UnloadModel(ctx, big); err != nil {
		t.Fatal(err)
	}
	running, _ = p.ListRunningModels(ctx)
	if hasModel(running, big) {
		t.Fatalf("still running after unload: %+v", running)
	}

	// SIGKILL the engine: the watchdog restarts it and the next chat works.
	if err := p.LoadModel(ctx, &sdk.LoadRequest{Model: tiny}); err != nil {
		t.Fatal(err)
	}
	old := es.PID
	if members := groupMembers(old); len(members) < 2 {
		t.Errorf("engine group %v: want the tiny runner in it", members)
	}
	if err := syscall.Kill(old, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	eventually(t, 60*time.Second, "watchdog restart", func() bool {
		es, err = p.EngineStatus(ctx)
		return err == nil && es.Running && es.PID != 0 && es.PID != old && es.Restarts == 1
	})
	t.Logf("restarted: %+v", es)
	eventually(t, 10*time.Second, "old group gone", func() bool { return len(groupMembers(old)) == 0 })
	if _, err := chatOnce(ctx, p, tiny); err != nil {
		t.Fatalf("chat after restart: %v", err)
	}

	// Delete.
	if err := p.DeleteModel(ctx, big); err != nil {
		t.Fatal(err)
	}
	models, _ = p.ListModels(ctx)
	if hasModel(models, big) {
		t.Fatal("big still listed after delete")
	}
	wantCode(t, p.DeleteModel(ctx, big), sdk.CodeModelNotFound)
	_, err = chatOnce(ctx, p, big)
	wantCode(t, err, sdk.CodeModelNotFound)

	// Stop takes the whole group, runners included.
	leader := es.PID
	if _, err := p.StopEngine(ctx); err != nil {
		t.Fatal(err)
	}
	eventually(t, 10*time.Second, "group gone", func() bool { return len(groupMembers(leader)) == 0 })
	// Stopped on purpose: serving again on demand (the next call starts it).
	h, _ := p.Health(ctx)
	if h.State != sdk.HealthServing || !strings.Contains(h.Message, "first call") {
		t.Errorf("health after stop = %+v", h)
	}
}

// Cancelling a throttled pull midway stops the download: the model does
// not appear.
func TestRealPullCancel(t *testing.T) {
	bin := requireBed(t)
	bed := testbed.NewBed(t)
	p := realManaged(t, bin)
	ctx := ctxT(t, 5*time.Minute)
	big := bed.Ref("big")
	bed.Registry.SetRate(1 << 20)
	t.Cleanup(func() { bed.Registry.SetRate(0) })

	pctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var got int64
	err := p.PullModel(pctx, &sdk.PullRequest{Model: big, Insecure: true}, func(pr *sdk.Progress) error {
		if pr.Status == "downloading" && pr.Completed > 0 && got == 0 {
			got = pr.Completed
			cancel()
		}
		return nil
	})
	if sdk.ErrorCode(err) != sdk.CodeCanceled {
		t.Fatalf("cancelled pull returned %v", err)
	}
	if got == 0 || got >= bed.Models["big"].Size {
		t.Fatalf("cancelled at %d of %d bytes", got, bed.Models["big"].Size)
	}
	served := bed.Registry.Stats()
	time.Sleep(2 * time.Second)
	if after := bed.Registry.Stats(); after.BlobBytes > served.BlobBytes+(2<<20) {
		t.Errorf("the registry kept serving after cancel: %d -> %d bytes", served.BlobBytes, after.BlobBytes)
	}
	models, err := p.ListModels(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if hasModel(models, big) {
		t.Fatalf("cancelled model is installed: %+v", models)
	}
}

// Attach mode with a real Ollama the test runs: used, never stopped.
func TestRealAttach(t *testing.T) {
	requireBed(t)
	bed := testbed.NewBed(t)
	o := testbed.NewOllama(t)
	p := testPlugin(t, map[string]any{"engine_host": o.Host()}) // auto
	ctx := ctxT(t, 3*time.Minute)
	tiny := bed.Ref("tiny")

	info, err := p.Info(ctx)
	if err != nil || info.EngineMode != modeAttached || info.EngineHost != o.Host() {
		t.Fatalf("info = %+v, %v", info, err)
	}
	if err := p.PullModel(ctx, &sdk.PullRequest{Model: tiny, Insecure: true}, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := chatOnce(ctx, p, tiny); err != nil {
		t.Fatal(err)
	}
	_, err = p.StopEngine(ctx)
	wantCode(t, err, sdk.CodeEngineNotManaged)
	wantCode(t, p.UpgradeEngine(ctx, nil, nil), sdk.CodeEngineNotManaged)
	sctx, cancel := context.WithTimeout(ctx, 1500*time.Millisecond)
	defer cancel()
	if err := p.Shutdown(sctx); err != nil {
		t.Fatal(err)
	}
	if _, err := o.Client().Version(ctx); err != nil {
		t.Fatalf("the external Ollama is gone after the plugin shut down: %v", err)
	}
}

// Install from a loopback server serving the test bed's engine tarball,
// then run it: good and wrong sha256.
func TestRealInstall(t *testing.T) {
	bin := requireBed(t)
	tarball, sum, err := testbed.EngineTarball(bin)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.ServeFile(w, r, tarball)
	}))
	t.Cleanup(srv.Close)
	t.Setenv("PATH", "/usr/bin:/bin") // no ollama on PATH: only the installed copy
	p := testPlugin(t, map[string]any{"engine_host": freeHost(t), "manage_engine": "true", "engine_env": realEnv(t)})
	ctx := ctxT(t, 3*time.Minute)
	set := p.snapshot().set
	url := srv.URL + "/ollama-linux-amd64.tgz"

	err = p.InstallEngine(ctx, &sdk.InstallEngineRequest{URL: url, SHA256: strings.Repeat("f", 64)}, nil)
	wantCode(t, err, sdk.CodeEngineChecksum)
	if got := entries(engineRoot(set)); len(got) != 0 {
		t.Fatalf("engine dir after checksum mismatch: %v", got)
	}

	var downloads int
	err = p.InstallEngine(ctx, &sdk.InstallEngineRequest{URL: url, SHA256: sum}, func(pr *sdk.Progress) error {
		if pr.Status == "downloading" {
			downloads++
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	es, err := p.CheckEngine(ctx)
	if err != nil || !es.Installed || es.Version != testbed.OllamaVersion() || !strings.HasPrefix(es.Executable, engineRoot(set)) {
		t.Fatalf("CheckEngine = %+v, %v", es, err)
	}
	t.Logf("installed %s (%d download events)", es.Executable, downloads)
	es, err = p.StartEngine(ctx)
	if err != nil || !es.Running || es.Version != testbed.OllamaVersion() {
		t.Fatalf("StartEngine on the installed copy = %+v, %v", es, err)
	}

	// Upgrade to another archive while it runs: installed beside it, then
	// the engine restarts on the new binary; the old copy stays as the
	// previous version, for rollback.
	other := filepath.Join(t.TempDir(), "other.tgz")
	sum2 := writeTarball(t, other, bin, "release-notes.txt")
	srv2 := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { http.ServeFile(w, r, other) }))
	t.Cleanup(srv2.Close)
	var statuses []string
	err = p.UpgradeEngine(ctx, &sdk.InstallEngineRequest{URL: srv2.URL + "/o.tgz", SHA256: sum2}, func(pr *sdk.Progress) error {
		if len(statuses) == 0 || statuses[len(statuses)-1] != pr.Status {
			statuses = append(statuses, pr.Status)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("upgrade: %v", statuses)
	up, err := p.EngineStatus(ctx)
	if err != nil || !up.Running || up.PID == es.PID || up.Executable == es.Executable {
		t.Fatalf("after upgrade %+v (before %+v), %v", up, es, err)
	}
	if gone(es.PID) == false {
		t.Errorf("old engine %d still runs", es.PID)
	}
	prev, ok := (&engine.Installer{Dir: engineRoot(set)}).Previous()
	if !ok || prev.Exe != es.Executable {
		t.Errorf("previous version = %+v, %v; want the old copy %s kept for rollback", prev, ok, es.Executable)
	}
}

// writeTarball writes a .tgz with bin/ollama (bin) and one extra file,
// returning its sha256.
func writeTarball(t *testing.T, path, bin, extra string) string {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	h := sha256.New()
	zw, _ := gzip.NewWriterLevel(io.MultiWriter(f, h), gzip.BestSpeed)
	tw := tar.NewWriter(zw)
	src, err := os.Open(bin)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	st, _ := src.Stat()
	tw.WriteHeader(&tar.Header{Name: "bin/ollama", Mode: 0o755, Size: st.Size(), Typeflag: tar.TypeReg})
	if _, err := io.Copy(tw, src); err != nil {
		t.Fatal(err)
	}
	tw.WriteHeader(&tar.Header{Name: extra, Mode: 0o644, Size: 2, Typeflag: tar.TypeReg})
	tw.Write([]byte("hi"))
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(h.Sum(nil))
}
