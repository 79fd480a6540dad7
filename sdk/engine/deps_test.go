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
	allowed := []string{
		"github.com/roundhouse-ai/roundhouse/types",
		"github.com/roundhouse-ai/roundhouse/sdk/engine",
		"github.com/cenkalti/backoff/v5",
		"github.com/klauspost/compress",
	}
	list := exec.Command("go", "list", "-deps", "-f", "{{if not .Standard}}{{.ImportPath}}{{end}}", ".")
	out, err := list.Output()
	if err != nil {
		t.Skipf("go list is not available here: %v", err)
	}
	for _, pkg := range strings.Fields(string(out)) {
		ok := false
		for _, a := range allowed {
			ok = ok || pkg == a || strings.HasPrefix(pkg, a+"/")
		}
		if !ok {
			t.Errorf("sdk/engine depends on %s, which a plugin author should not have to pull in", pkg)
		}
	}
}
