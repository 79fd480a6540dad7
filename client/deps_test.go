package client

import (
	"os/exec"
	"strings"
	"testing"
)

// TestClientStaysLight guards the point of package types: an application
// that imports client must not pull in gRPC, protobuf or go-plugin.
func TestClientStaysLight(t *testing.T) {
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("go is not on PATH")
	}
	out, err := exec.Command(goBin, "list", "-deps", ".").Output()
	if err != nil {
		t.Fatalf("go list -deps: %v", err)
	}
	for _, pkg := range strings.Fields(string(out)) {
		for _, heavy := range []string{"grpc", "protobuf", "go-plugin"} {
			if strings.Contains(pkg, heavy) {
				t.Errorf("client depends on %s", pkg)
			}
		}
	}
}
