package sdk

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"strings"
	"testing"
)

// exportedNames lists the package-level exported names declared in the
// non-test files matching glob.
func exportedNames(t *testing.T, glob string) map[string]bool {
	t.Helper()
	files, err := filepath.Glob(glob)
	if err != nil || len(files) == 0 {
		t.Fatalf("glob %s: %v", glob, err)
	}
	names := map[string]bool{}
	fset := token.NewFileSet()
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		af, err := parser.ParseFile(fset, f, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		for name, obj := range af.Scope.Objects {
			if ast.IsExported(name) && obj.Kind != ast.Bad {
				names[name] = true
			}
		}
	}
	return names
}

// TestTypesForwarded keeps sdk/types.go in step with package types: every
// exported name of types is available as sdk.<Name>.
func TestTypesForwarded(t *testing.T) {
	have := exportedNames(t, "types.go")
	for name := range exportedNames(t, "../types/*.go") {
		if !have[name] {
			t.Errorf("types.%s has no alias or forward in sdk/types.go", name)
		}
	}
}
