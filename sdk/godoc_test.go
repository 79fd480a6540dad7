package sdk

import (
	"os/exec"
	"regexp"
	"testing"
)

// TestNoHostAPI keeps the host side out of the author's package: go doc
// shows no launcher, process or connection (they are sdk/pluginhost's).
func TestNoHostAPI(t *testing.T) {
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("go is not on PATH")
	}
	out, err := exec.Command(goBin, "doc", ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go doc: %v\n%s", err, out)
	}
	if m := regexp.MustCompile(`\b(Launch\w*|Conn|Process|CleanupProcesses|DefaultSocketDir|ServeInProcess)\b`).FindAll(out, -1); len(m) > 0 {
		t.Errorf("go doc ./sdk shows host-side API: %q", m)
	}
}
