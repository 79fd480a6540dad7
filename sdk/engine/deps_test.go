package engine

import (
	"os/exec"
	"strings"
	"testing"
)

// The kit is for any local plugin, so it may depend on the standard
// library, the project's std-only types and the two libraries it needs,
// and nothing else: no gRPC, protobuf or go-plugin.
func TestKitDependsOnlyOnTheAllowedModules(t *testing.T) {
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("go is not on PATH")
	}
	out, err := exec.Command(goBin, "list", "-deps", ".").Output()
	if err != nil {
		t.Fatalf("go list -deps: %v", err)
	}
	allowed := []string{
		"github.com/roundhouse-ai/roundhouse/types",
		"github.com/roundhouse-ai/roundhouse/sdk/engine",
		"github.com/cenkalti/backoff/v5",
		"github.com/klauspost/compress/",
	}
	for _, pkg := range strings.Fields(string(out)) {
		first, _, _ := strings.Cut(pkg, "/")
		if !strings.Contains(first, ".") { // the standard library
			continue
		}
		ok := false
		for _, a := range allowed {
			ok = ok || pkg == strings.TrimSuffix(a, "/") || strings.HasPrefix(pkg, a)
		}
		if !ok {
			t.Errorf("sdk/engine depends on %s", pkg)
		}
	}
}
