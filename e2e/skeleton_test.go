package e2e

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/roundhouse-ai/roundhouse/client"
	"github.com/roundhouse-ai/roundhouse/internal/hosttest"
	"github.com/roundhouse-ai/roundhouse/sdk"
)

// The skeleton `roundhouse plugins new` writes is a real plugin: it builds,
// passes the conformance suite in its own test, and a host loads it and
// routes chat to it — what a plugin author gets on day one.
func TestPluginSkeletonBuildsPassesSdktestAndLoads(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a module and runs its tests")
	}
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("go is not on PATH")
	}
	repo, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	work := t.TempDir()
	dir := filepath.Join(work, "hello")
	run := func(dir string, name string, args ...string) string {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, name, args...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "GOWORK=off", "GOFLAGS=-mod=mod")
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
		}
		return string(out)
	}
	run(repo, goBin, "run", "./cmd/roundhouse", "plugins", "new", "hello", "--dir", dir, "--sdk", repo)
	run(dir, goBin, "mod", "tidy")
	run(dir, goBin, "vet", "./...")
	if out := run(dir, goBin, "test", "-count=1", "-v", "./..."); !strings.Contains(out, "--- PASS: TestConformance") {
		t.Fatalf("the skeleton's conformance test did not pass:\n%s", out)
	}

	root := filepath.Join(work, "plugins")
	exe := "roundhouse-plugin-hello"
	if runtime.GOOS == "windows" {
		exe += ".exe"
	}
	run(dir, goBin, "build", "-o", filepath.Join(root, "hello", exe), ".")
	manifest, err := os.ReadFile(filepath.Join(dir, "plugin.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "hello", "plugin.yaml"), manifest, 0o644); err != nil {
		t.Fatal(err)
	}

	h := hosttest.Start(t, hosttest.Options{NoEcho: true, ExtraRoots: []string{root}})
	c, _ := client.New(h.URL, nil)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	resp, err := c.Chat(ctx, &sdk.ChatRequest{Model: "hello/hello-1", Messages: []sdk.Message{{Role: "user", Content: "hi"}}}, client.Options{})
	if err != nil || !strings.Contains(resp.Message.Content, "hello heard: hi") {
		t.Fatalf("chat through the skeleton plugin: %+v %v", resp, err)
	}
}
