package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/roundhouse-ai/roundhouse/internal/testbed"
)

// TestCLIModelManagement drives the real roundhouse binary against the
// host with the real engine: `models create --from` the tiny GGUF (upload
// with progress, then create), `models create --modelfile` with the test
// bed's Modelfile (FROM the same file: not uploaded again) and with one
// FROM a model name, `models cp`, `run` with the
// copy, `models push` to a throwaway registry, then `models pull` it back
// under another name and `run` it.
func TestCLIModelManagement(t *testing.T) {
	h := startOllamaHost(t)
	hostBin, _ := binaries(t)
	ctx := ctxFor(t, 5*time.Minute)
	tiny := h.bed.Models["tiny"]
	cache := t.TempDir()
	rh := func(args ...string) string {
		t.Helper()
		cmd := exec.CommandContext(ctx, hostBin, append([]string{"--host", h.URL}, args...)...)
		cmd.Env = append(os.Environ(), "XDG_CACHE_HOME="+cache) // upload state of this test only
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("roundhouse %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return string(out)
	}

	// Create from the GGUF: uploaded (hashed while sent), created.
	out := rh("models", "create", "cli-raw", "--from", tiny.GGUF)
	if !strings.Contains(out, "uploading tiny.gguf") || !strings.Contains(out, "100%") ||
		!strings.Contains(out, "creating cli-raw") || !strings.Contains(out, "success") || strings.Contains(out, "\r") {
		t.Fatalf("create --from output:\n%s", out)
	}
	// The test bed's own Modelfile (FROM ./tiny.gguf, a multi-line
	// TEMPLATE, PARAMETERs): the blob is there already, not sent twice.
	out = rh("models", "create", "cli-tiny", "--modelfile", filepath.Join(tiny.Dir, "Modelfile"))
	if !strings.Contains(out, "not sending it again") || !strings.Contains(out, "success") {
		t.Fatalf("create --modelfile (file) output:\n%s", out)
	}

	// A Modelfile over a base model.
	mf := filepath.Join(t.TempDir(), "Modelfile")
	if err := os.WriteFile(mf, []byte("FROM cli-tiny\nSYSTEM You are terse.\nPARAMETER num_predict 16\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if out := rh("models", "create", "cli-terse", "--modelfile", mf); !strings.Contains(out, "success") {
		t.Fatalf("create --modelfile output:\n%s", out)
	}
	show, err := h.c.Models(ctx, false)
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]bool{}
	for _, m := range show {
		names[strings.TrimSuffix(m.ID, ":latest")] = true
	}
	if !names["cli-raw"] || !names["cli-tiny"] || !names["cli-terse"] {
		t.Fatalf("models after create: %v", names)
	}

	// Copy, then chat with the copy.
	if out := rh("models", "cp", "cli-tiny", "cli-tiny-copy"); !strings.Contains(out, "copied cli-tiny to cli-tiny-copy") {
		t.Fatalf("cp output:\n%s", out)
	}
	if ans := rh("run", "cli-tiny-copy", "Say", "hello."); strings.TrimSpace(ans) == "" {
		t.Fatal("run with the copy printed nothing")
	}
	if ans := rh("run", "cli-terse", "Say", "hello."); strings.TrimSpace(ans) == "" {
		t.Fatal("run with the Modelfile-made model printed nothing")
	}

	// Push to a throwaway registry, pull it back under another name.
	reg, err := testbed.StartRegistry(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = reg.Close() })
	ref := reg.Ref("cli-tiny")
	rh("models", "cp", "cli-tiny", ref)
	out = rh("models", "push", ref, "--insecure")
	if !strings.Contains(out, "pushing "+ref) || !strings.Contains(out, "success") {
		t.Fatalf("push output:\n%s", out)
	}
	// Creates and the push were tracked beside pulls (a finished one stays
	// listed for a minute).
	ops, err := h.c.Pulls(ctx)
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[string]string{}
	for _, op := range ops {
		kinds[op.Kind+" "+op.Model] = op.State
	}
	if kinds["create cli-tiny"] != "success" || kinds["push "+ref] != "success" {
		t.Fatalf("GET /v1/pulls: %+v", ops)
	}
	rh("models", "rm", ref)
	if out := rh("models", "pull", ref, "--insecure"); !strings.Contains(out, "success") {
		t.Fatalf("pull back output:\n%s", out)
	}
	rh("models", "cp", ref, "cli-pulled-back")
	if ans := rh("run", "cli-pulled-back", "Say", "hello."); strings.TrimSpace(ans) == "" {
		t.Fatal("run with the pulled-back model printed nothing")
	}
}
