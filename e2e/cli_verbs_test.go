package e2e

import (
	"bytes"
	"encoding/json"
	"errors"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/roundhouse-ai/roundhouse/client"
)

// TestCLIVerbs drives the real roundhouse binary against the host with the
// real engine through the verbs a user runs after `make run`: pull, list
// (tables and --json), show, chat from a pipe, run from stdin, invoke,
// load/ps/unload, plugins and engines, and the exit code of a missing
// model.
func TestCLIVerbs(t *testing.T) {
	h := startOllamaHost(t)
	hostBin, _ := binaries(t)
	ctx := ctxFor(t, 5*time.Minute)
	tiny := h.bed.Ref("tiny")
	rh := func(stdin string, args ...string) (string, string, int) {
		t.Helper()
		cmd := exec.CommandContext(ctx, hostBin, append([]string{"--host", h.URL}, args...)...)
		cmd.Stdin = strings.NewReader(stdin)
		var out, errOut bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errOut
		err := cmd.Run()
		code := 0
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			code = ee.ExitCode()
		} else if err != nil {
			t.Fatalf("roundhouse %s: %v", strings.Join(args, " "), err)
		}
		return out.String(), errOut.String(), code
	}
	ok := func(stdin string, args ...string) string {
		t.Helper()
		out, errOut, code := rh(stdin, args...)
		if code != 0 {
			t.Fatalf("roundhouse %s: exit %d\n%s%s", strings.Join(args, " "), code, out, errOut)
		}
		return out
	}
	jsonOf := func(v any, args ...string) {
		t.Helper()
		out := ok("", append(args, "--json")...)
		if err := json.Unmarshal([]byte(out), v); err != nil {
			t.Fatalf("roundhouse %s --json: %v\n%s", strings.Join(args, " "), err, out)
		}
	}

	if out := ok("", "models", "pull", tiny, "--insecure"); !strings.Contains(out, "success") || strings.Contains(out, "\r") {
		t.Fatalf("pull:\n%s", out)
	}
	var models struct{ Models []client.Model }
	jsonOf(&models, "models", "ls")
	found := false
	for _, m := range models.Models {
		found = found || (m.ID == tiny && m.Plugin == "ollama" && m.Size > 0)
	}
	if !found {
		t.Fatalf("models ls --json lacks %s: %+v", tiny, models)
	}
	if out := ok("", "models", "show", tiny); !strings.Contains(out, "plugin:") || !strings.Contains(out, "ollama") {
		t.Fatalf("models show:\n%s", out)
	}
	if out := ok("Say hello.\n/bye\n", "chat", tiny); strings.TrimSpace(out) == "" {
		t.Fatal("chat from a pipe printed nothing")
	}
	if out := ok("Say hello.", "run", tiny); strings.TrimSpace(out) == "" {
		t.Fatal("run from stdin printed nothing")
	}
	if out := ok("", "invoke", "embed", "--model", tiny, "one", "two"); strings.Count(out, "dimensions") != 2 {
		t.Fatalf("invoke embed:\n%s", out)
	}
	ok("", "models", "load", tiny)
	var ps struct{ Models []client.Model }
	jsonOf(&ps, "models", "ps")
	if len(ps.Models) == 0 || ps.Models[0].State != "running" {
		t.Fatalf("models ps --json after load: %+v", ps)
	}
	ok("", "models", "unload", tiny)
	var p client.PluginStatus
	jsonOf(&p, "plugins", "show", "ollama")
	if p.Name != "ollama" || p.State != "running" {
		t.Fatalf("plugins show: %+v", p)
	}
	var engines client.EngineList
	jsonOf(&engines, "engines", "ls")
	if len(engines.Engines) != 1 || engines.Engines[0].Engine == nil || !engines.Engines[0].Engine.Running {
		t.Fatalf("engines ls: %+v", engines)
	}
	var sys client.SystemInfo
	jsonOf(&sys, "system")
	if sys.CPUCores == 0 || sys.MemoryTotal == 0 {
		t.Fatalf("system: %+v", sys)
	}
	var pulls client.PullList
	jsonOf(&pulls, "pulls", "ls")
	if len(pulls.Pulls) == 0 || pulls.Pulls[0].Model == "" {
		t.Fatalf("pulls ls: %+v", pulls)
	}
	if out := ok("", "status"); !strings.Contains(out, "host "+h.URL) || !strings.Contains(out, "ollama  local") {
		t.Fatalf("status:\n%s", out)
	}
	_, errOut, code := rh("", "run", "no-such-model-here", "hi")
	if code != 3 || strings.Count(errOut, "\n") != 1 || !strings.Contains(errOut, "roundhouse models ls") {
		t.Fatalf("missing model: exit %d, stderr %q", code, errOut)
	}
}
