package e2e

import (
	"os/exec"
	"strings"
	"testing"
	"time"
)

// TestCLIPullAndRun drives the real roundhouse binary against a host with
// the ollama plugin: `models pull` prints progress as plain lines when
// stdout is not a terminal, then `run` streams an answer and `models ls`
// lists the model.
func TestCLIPullAndRun(t *testing.T) {
	h := startOllamaHost(t)
	hostBin, _ := binaries(t)
	big := h.bed.Ref("big")
	h.bed.Registry.SetRate(20 << 20)
	defer h.bed.Registry.SetRate(0)
	rh := func(args ...string) string {
		t.Helper()
		ctx := ctxFor(t, 3*time.Minute)
		out, err := exec.CommandContext(ctx, hostBin, append([]string{"--host", h.URL}, args...)...).CombinedOutput()
		if err != nil {
			t.Fatalf("roundhouse %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return string(out)
	}
	out := rh("models", "pull", big, "--insecure")
	percents := 0
	for _, l := range strings.Split(out, "\n") {
		if strings.Contains(l, "%") && strings.Contains(l, "/s ETA") {
			percents++
		}
	}
	if percents < 3 || !strings.Contains(out, "success") || strings.Contains(out, "\r") {
		t.Fatalf("pull output (%d progress lines):\n%s", percents, out)
	}
	if ls := rh("models", "ls"); !strings.Contains(ls, big) || !strings.Contains(ls, "ollama") {
		t.Fatalf("models ls:\n%s", ls)
	}
	if ans := rh("run", big, "Say", "hello."); strings.TrimSpace(ans) == "" {
		t.Fatal("run printed nothing")
	}
	if rm := rh("models", "rm", big); !strings.Contains(rm, "deleted") {
		t.Fatalf("models rm: %s", rm)
	}
}
