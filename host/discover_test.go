package host

import (
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

func writePlugin(t *testing.T, root, dir, manifest string, exe bool) {
	t.Helper()
	d := filepath.Join(root, dir)
	if err := os.MkdirAll(d, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(d, "plugin.yaml"), []byte(manifest), 0o644); err != nil {
		t.Fatal(err)
	}
	if exe {
		if err := os.WriteFile(filepath.Join(d, "bin"), []byte("#!/bin/sh\n"), 0o755); err != nil {
			t.Fatal(err)
		}
	}
}

func manifestYAML(name, typ, service string) string {
	return "version: \"1\"\nprovider:\n  name: " + name + "\n  version: 1.0.0\n  type: " + typ +
		"\nservices:\n  - service_name: " + service + "\nplatforms:\n  " + runtime.GOOS + "_" + runtime.GOARCH + ":\n    executable: bin\n"
}

func TestDiscover(t *testing.T) {
	root := t.TempDir()
	writePlugin(t, root, "good", manifestYAML("good", "local", "chat"), true)
	writePlugin(t, root, "badtype", manifestYAML("badtype", "cloudy", "chat"), true)
	writePlugin(t, root, "noexe", manifestYAML("noexe", "remote", "embed"), false)
	writePlugin(t, root, "zdup", manifestYAML("good", "local", "chat"), true)
	writePlugin(t, root, "badsvc", manifestYAML("badsvc", "local", "teleport"), true)
	writePlugin(t, root, "traversal", manifestYAML("../evil", "local", "chat"), true)
	if err := os.MkdirAll(filepath.Join(root, "not-a-plugin"), 0o755); err != nil {
		t.Fatal(err)
	}
	got := map[string]Candidate{}
	for _, c := range Discover([]string{root, filepath.Join(root, "missing-root")}) {
		got[filepath.Base(c.Dir)] = c
	}
	tests := []struct {
		dir     string
		wantErr string // "" = valid
	}{
		{"good", ""},
		{"badtype", `provider.type: unknown value "cloudy"`},
		{"noexe", "does not exist"},
		{"zdup", `plugin name "good" already used`},
		{"badsvc", `services[0].service_name: unknown service "teleport"`},
		{"traversal", "provider.name"},
	}
	for _, tt := range tests {
		t.Run(tt.dir, func(t *testing.T) {
			c, ok := got[tt.dir]
			if !ok {
				t.Fatalf("not discovered; got %v", got)
			}
			switch {
			case tt.wantErr == "" && c.Err != nil:
				t.Fatalf("unexpected error: %v", c.Err)
			case tt.wantErr != "" && (c.Err == nil || !strings.Contains(c.Err.Error(), tt.wantErr)):
				t.Fatalf("error = %v, want it to contain %q", c.Err, tt.wantErr)
			}
		})
	}
	if _, ok := got["not-a-plugin"]; ok {
		t.Error("a directory without a manifest was taken for a plugin")
	}
	if c := got["good"]; c.Executable != filepath.Join(root, "good", "bin") {
		t.Errorf("executable = %q", c.Executable)
	}
}
