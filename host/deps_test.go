package host

import (
	"os/exec"
	"strings"
	"testing"
)

// The host core returns its own structs; host/api maps them to the wire
// types of package client. The core must not depend on the client library.
func TestHostCoreDoesNotImportClient(t *testing.T) {
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("go is not on PATH")
	}
	out, err := exec.Command(goBin, "list", "-deps", ".").Output()
	if err != nil {
		t.Fatalf("go list -deps: %v", err)
	}
	for _, pkg := range strings.Fields(string(out)) {
		if pkg == "github.com/roundhouse-ai/roundhouse/client" {
			t.Errorf("package host depends on %s; return a host struct and map it in host/api/wire.go", pkg)
		}
	}
}
