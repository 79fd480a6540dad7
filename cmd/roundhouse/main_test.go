package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/roundhouse-ai/roundhouse/client"
	"github.com/roundhouse-ai/roundhouse/internal/proctest"
	"github.com/roundhouse-ai/roundhouse/internal/testplugin"
	"github.com/roundhouse-ai/roundhouse/sdk"
)

// envAsHost makes the test binary run as the roundhouse command, so tests
// drive a real host process; the same binary is the test plugin too.
const envAsHost = "ROUNDHOUSE_TEST_AS_HOST"

func TestMain(m *testing.M) {
	testplugin.MaybeServe()
	if os.Getenv(envAsHost) != "" {
		os.Exit(run(os.Args[1:]))
	}
	// Times print the same on every machine (golden files); set before
	// any goroutine reads it.
	time.Local = time.UTC
	os.Exit(m.Run())
}

type hostProc struct {
	cmd  *exec.Cmd
	addr string
	c    *client.Client
	log  *bytes.Buffer
}

func startHostProcess(t *testing.T) *hostProc {
	t.Helper()
	root := t.TempDir()
	if _, err := testplugin.Manifest(root, "echo"); err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	cfg := filepath.Join(t.TempDir(), "roundhouse.yaml")
	yaml := fmt.Sprintf("listen: %s\nplugin_dirs: [%s]\ndata_dir: %s\nplugins:\n  echo:\n    env: {%s: echo}\n",
		addr, root, t.TempDir(), testplugin.EnvServe)
	if err := os.WriteFile(cfg, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	exe, _ := os.Executable()
	cmd := exec.Command(exe, "serve", "--config", cfg)
	cmd.Env = append(os.Environ(), envAsHost+"=1")
	var log bytes.Buffer
	cmd.Stdout, cmd.Stderr = &log, &log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	c, _ := client.New(addr, nil)
	h := &hostProc{cmd: cmd, addr: addr, c: c, log: &log}
	deadline := time.Now().Add(20 * time.Second)
	for {
		ps, err := c.Plugins(context.Background())
		if err == nil && len(ps) == 1 && ps[0].State == "running" {
			return h
		}
		if time.Now().After(deadline) {
			t.Fatalf("host not ready: %v %+v\n%s", err, ps, log.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (h *hostProc) pluginPID(t *testing.T) int {
	ps, err := h.c.Plugins(context.Background())
	if err != nil || len(ps) == 0 || ps[0].PID == 0 {
		t.Fatalf("plugins: %+v %v", ps, err)
	}
	return ps[0].PID
}

func waitGone(t *testing.T, pid int, within time.Duration) {
	t.Helper()
	deadline := time.Now().Add(within)
	for proctest.Alive(pid) {
		if time.Now().After(deadline) {
			t.Fatalf("plugin process %d still alive %s after the host went", pid, within)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// A host killed with SIGKILL leaves no plugin behind (parent-death signal,
// then the plugin's own parent watch).
func TestHostKillLeavesNoPlugin(t *testing.T) {
	h := startHostProcess(t)
	pid := h.pluginPID(t)
	if err := h.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = h.cmd.Wait()
	waitGone(t, pid, 2*time.Second)
}

// A host stopped with SIGTERM shuts its plugins down and exits 0.
func TestHostGracefulShutdown(t *testing.T) {
	h := startHostProcess(t)
	pid := h.pluginPID(t)
	if err := h.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := h.cmd.Wait(); err != nil {
		t.Fatalf("host exit: %v\n%s", err, h.log.String())
	}
	waitGone(t, pid, 2*time.Second)
}

// The CLI verbs talk to the running host through the client package.
func TestCLIAgainstHost(t *testing.T) {
	h := startHostProcess(t)
	cases := []struct {
		args []string
		want []string
	}{
		{[]string{"version"}, []string{"protocol v1"}},
		{[]string{"status"}, []string{"ok", "echo", "running"}},
		{[]string{"plugins", "ls"}, []string{"NAME", "echo", "local", "chat,generate,embed"}},
		{[]string{"run", "echo-1", "hello", "there"}, []string{"echo: hello there"}},
	}
	for _, tc := range cases {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			var out bytes.Buffer
			c := &cli{c: h.c, out: &out}
			if err := c.dispatch(context.Background(), tc.args); err != nil {
				t.Fatal(err)
			}
			for _, w := range tc.want {
				if !strings.Contains(out.String(), w) {
					t.Errorf("output lacks %q:\n%s", w, out.String())
				}
			}
		})
	}
	var out bytes.Buffer
	err := (&cli{c: h.c, out: &out}).dispatch(context.Background(), []string{"run", "missing", "x"})
	if err == nil || !strings.Contains(err.Error(), "model_not_found") {
		t.Fatalf("error for a missing model: %v", err)
	}
	_ = sdk.Version
}

func TestCLIHostDown(t *testing.T) {
	c, _ := client.New("127.0.0.1:1", nil)
	err := (&cli{c: c, out: &bytes.Buffer{}}).dispatch(context.Background(), []string{"status"})
	if err == nil || !strings.Contains(err.Error(), "roundhouse serve") {
		t.Fatalf("host-down error does not say what to do: %v", err)
	}
}

func TestKeysNewPrintsKeyAndHash(t *testing.T) {
	var out strings.Builder
	if code := keys(&out, []string{"new", "my-app", "--scope", "invoke,admin"}); code != 0 {
		t.Fatalf("exit %d", code)
	}
	lines := strings.Split(out.String(), "\n")
	key := strings.TrimSpace(lines[1])
	sum := sha256.Sum256([]byte(key))
	if !strings.HasPrefix(key, "rh-") || !strings.Contains(out.String(), "sha256: "+hex.EncodeToString(sum[:])) ||
		!strings.Contains(out.String(), "scopes: [invoke, admin]") {
		t.Fatalf("output:\n%s", out.String())
	}
	if code := keys(&out, []string{"new", "x", "--scope", "root"}); code == 0 {
		t.Fatal("unknown scope accepted")
	}
}

func TestPluginsNewRefusesBadInput(t *testing.T) {
	var out strings.Builder
	if code := newPlugin(&out, []string{"Bad Name"}); code == 0 {
		t.Fatal("invalid plugin name accepted")
	}
	dir := t.TempDir()
	if code := newPlugin(&out, []string{"ok", "--dir", dir}); code == 0 {
		t.Fatal("existing directory overwritten")
	}
	if code := newPlugin(&out, []string{"ok", "--dir", filepath.Join(dir, "x"), "--sdk", dir}); code == 0 {
		t.Fatal("--sdk that is not a checkout accepted")
	}
	target := filepath.Join(dir, "fresh")
	if code := newPlugin(&out, []string{"fresh", "--dir", target}); code != 0 {
		t.Fatalf("exit %d: %s", code, out.String())
	}
	for _, f := range []string{"main.go", "plugin.go", "plugin_test.go", "plugin.yaml", "go.mod", "README.md"} {
		if _, err := os.Stat(filepath.Join(target, f)); err != nil {
			t.Errorf("%s not written: %v", f, err)
		}
	}
}
