package config

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// keyed matches an error that names what is wrong: a Validate error
// ("plugins.x.providers[0].name: ...") or a YAML error with its line
// ("line 3: field nope not found", "yaml: line 2: did not find ...").
var keyed = regexp.MustCompile(`^([a-z_]+(\."(\\.|[^"])*"|\.[^ :"]+|\[\d+\])*: |.*line \d+)`)

// FuzzLoad feeds arbitrary YAML to Load: it never panics, and every error
// names the key or the line at fault.
func FuzzLoad(f *testing.F) {
	f.Add(DefaultYAML())
	f.Add([]byte("listen: 127.0.0.1:1\nstart: lazy\nlog_level: debug\n"))
	f.Add([]byte("plugins:\n  openai:\n    providers:\n      - name: Bad Name\n        base_url: x\n"))
	f.Add([]byte("listen: [1, 2]\n"))
	f.Add([]byte("nope: 1\n"))
	f.Add([]byte("a: &a [*a, *a, *a]\nb: *a\n"))
	for _, k := range []string{"ROUNDHOUSE_HOST", "ROUNDHOUSE_PLUGIN_DIRS", "ROUNDHOUSE_DATA_DIR", "ROUNDHOUSE_ADMIN_TOKEN", "ROUNDHOUSE_LOG_LEVEL"} {
		os.Unsetenv(k) // the environment would override what is fuzzed
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		path := filepath.Join(t.TempDir(), "config.yaml")
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
		_, err := Load(path)
		if err == nil {
			return
		}
		msg := strings.TrimPrefix(err.Error(), path+": ")
		if !keyed.MatchString(msg) {
			t.Fatalf("error names no key or line: %v", err)
		}
	})
}
