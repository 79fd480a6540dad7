package engine

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
)

// ExeName is name as an executable file name on this platform: with
// ".exe" on Windows.
func ExeName(name string) string {
	if runtime.GOOS == "windows" && !strings.HasSuffix(name, ".exe") {
		return name + ".exe"
	}
	return name
}

// FindExecutable finds the executable file named name (see [ExeName]) in
// an unpacked archive at root: root/bin/name, root/name, or the first one
// found at most three directories down (archives with a top directory).
func FindExecutable(root, name string) (string, error) {
	for _, c := range []string{filepath.Join(root, "bin", name), filepath.Join(root, name)} {
		if st, err := os.Stat(c); err == nil && st.Mode().IsRegular() {
			return c, nil
		}
	}
	var found string
	_ = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || found != "" {
			return filepath.SkipAll
		}
		rel, _ := filepath.Rel(root, p)
		if d.IsDir() && rel != "." && strings.Count(rel, string(filepath.Separator)) >= 3 {
			return filepath.SkipDir
		}
		if !d.IsDir() && d.Name() == name && d.Type().IsRegular() {
			found = p
			return filepath.SkipAll
		}
		return nil
	})
	if found == "" {
		return "", fmt.Errorf("the archive has no %s executable (looked for bin/%s, %s and a few directories down)", name, name, name)
	}
	return found, nil
}
