package ovmstest

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sync"
	"testing"

	"github.com/roundhouse-ai/roundhouse/internal/testbed"
	"github.com/roundhouse-ai/roundhouse/sdk/engine/enginetest"
)

var (
	buildOnce sync.Once
	buildDir  string
	buildErr  error
)

// Build compiles cmd/ovms once per test binary and returns the path of
// the executable (named ovms, or ovms.exe).
func Build(t testing.TB) string {
	t.Helper()
	buildOnce.Do(func() {
		root, err := testbed.RepoRoot()
		if err != nil {
			buildErr = err
			return
		}
		if buildDir, buildErr = os.MkdirTemp("", "ovmstest-bin-"); buildErr != nil {
			return
		}
		cmd := exec.Command("go", "build", "-o", filepath.Join(buildDir, exeName()), "./internal/ovmstest/cmd/ovms")
		cmd.Dir = root
		if out, err := cmd.CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("go build ovms: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return filepath.Join(buildDir, exeName())
}

func exeName() string {
	if runtime.GOOS == "windows" {
		return "ovms.exe"
	}
	return "ovms"
}

// ArchivePath is where an OVMS release archive keeps the executable:
// ovms/bin/ovms on Linux (the ovms_ubuntu*.tar.gz layout, with its
// libraries in ovms/lib), ovms/ovms.exe on Windows.
func ArchivePath() string {
	if runtime.GOOS == "windows" {
		return "ovms/ovms.exe"
	}
	return "ovms/bin/ovms"
}

// Package writes bin into a release-shaped archive in dir; format is
// "tar.gz", "tar.zst" or "zip" (built by sdk/engine/enginetest). It
// returns the archive's path and sha256.
func Package(dir, bin, format string) (path, sum string, err error) {
	data, err := os.ReadFile(bin)
	if err != nil {
		return "", "", err
	}
	arch, err := enginetest.Archive(format, []enginetest.File{
		{Name: "ovms/", Dir: true, Mode: 0o755},
		{Name: "ovms/bin/", Dir: true, Mode: 0o755},
		{Name: "ovms/lib/", Dir: true, Mode: 0o755},
		{Name: ArchivePath(), Body: string(data), Mode: 0o755},
		{Name: "ovms/lib/libopenvino.so.fake", Body: "not a library: the fake needs none\n"},
	})
	if err != nil {
		return "", "", err
	}
	path = filepath.Join(dir, "ovms."+format)
	if err := os.WriteFile(path, arch, 0o644); err != nil {
		return "", "", err
	}
	return path, enginetest.SHA256(arch), nil
}

// Release is a packaged fake served over loopback HTTP.
type Release struct {
	URL    string
	SHA256 string
}

// ServeRelease builds the fake, packages it as format and serves the
// archive from a loopback HTTP server (enginetest's, which honours Range
// requests) that lives as long as the test.
func ServeRelease(t testing.TB, format string) Release {
	t.Helper()
	path, sum, err := Package(t.TempDir(), Build(t), format)
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	name := "/" + filepath.Base(path)
	srv := enginetest.NewServer(t, map[string][]byte{name: data})
	return Release{URL: srv.URL + name, SHA256: sum}
}
