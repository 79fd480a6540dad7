package config

import (
	"os"
	"reflect"
	"strings"
	"testing"
)

// Every key of the configuration (yaml tags of Config and every struct
// nested in it) is documented in docs/config.md, so the reference cannot
// fall behind the Go types.
func TestDocsCoverEveryKey(t *testing.T) {
	doc, err := os.ReadFile("../../docs/config.md")
	if err != nil {
		t.Fatal(err)
	}
	seen := map[reflect.Type]bool{}
	var walk func(t reflect.Type, path string)
	var missing []string
	walk = func(ty reflect.Type, path string) {
		for ty.Kind() == reflect.Pointer || ty.Kind() == reflect.Slice || ty.Kind() == reflect.Map {
			ty = ty.Elem()
		}
		if ty.Kind() != reflect.Struct || ty.PkgPath() == "time" || seen[ty] {
			return
		}
		seen[ty] = true
		for i := 0; i < ty.NumField(); i++ {
			f := ty.Field(i)
			name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
			if name == "-" || !f.IsExported() {
				continue
			}
			if name == "" {
				name = strings.ToLower(f.Name)
			}
			if !strings.Contains(string(doc), "`"+name+"`") {
				missing = append(missing, path+name)
			}
			walk(f.Type, path+name+".")
		}
	}
	walk(reflect.TypeFor[Config](), "")
	if len(seen) < 5 {
		t.Fatalf("walked only %d structs; the walk is broken", len(seen))
	}
	for _, k := range missing {
		t.Errorf("config key %s is not documented in docs/config.md: add it (as `key`) to the right table", k)
	}
}
