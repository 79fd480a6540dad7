package ovmstest

import (
	"archive/tar"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sync"
	"testing"

	"github.com/klauspost/compress/zstd"

	"github.com/roundhouse-ai/roundhouse/internal/testbed"
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
// "tar.gz" or "tar.zst". It returns the archive's path and sha256.
func Package(dir, bin, format string) (path, sum string, err error) {
	path = filepath.Join(dir, "ovms."+format)
	f, err := os.Create(path)
	if err != nil {
		return "", "", err
	}
	defer f.Close()
	h := sha256.New()
	w := io.MultiWriter(f, h)
	var zw io.WriteCloser
	switch format {
	case "tar.gz":
		zw = gzip.NewWriter(w)
	case "tar.zst":
		if zw, err = zstd.NewWriter(w); err != nil {
			return "", "", err
		}
	default:
		return "", "", fmt.Errorf("ovmstest: unknown archive format %q", format)
	}
	tw := tar.NewWriter(zw)
	data, err := os.ReadFile(bin)
	if err != nil {
		return "", "", err
	}
	for _, d := range []string{"ovms/", "ovms/bin/", "ovms/lib/"} {
		if err := tw.WriteHeader(&tar.Header{Name: d, Typeflag: tar.TypeDir, Mode: 0o755}); err != nil {
			return "", "", err
		}
	}
	files := []struct {
		name string
		mode int64
		data []byte
	}{
		{ArchivePath(), 0o755, data},
		{"ovms/lib/libopenvino.so.fake", 0o644, []byte("not a library: the fake needs none\n")},
	}
	for _, fl := range files {
		if err := tw.WriteHeader(&tar.Header{Name: fl.name, Mode: fl.mode, Size: int64(len(fl.data)), Typeflag: tar.TypeReg}); err != nil {
			return "", "", err
		}
		if _, err := tw.Write(fl.data); err != nil {
			return "", "", err
		}
	}
	if err := tw.Close(); err != nil {
		return "", "", err
	}
	if err := zw.Close(); err != nil {
		return "", "", err
	}
	return path, hex.EncodeToString(h.Sum(nil)), f.Close()
}

// Release is a packaged fake served over loopback HTTP.
type Release struct {
	URL    string
	SHA256 string
}

// ServeRelease builds the fake, packages it as format and serves the
// archive from a loopback HTTP server that lives as long as the test.
func ServeRelease(t testing.TB, format string) Release {
	t.Helper()
	bin := Build(t)
	path, sum, err := Package(t.TempDir(), bin, format)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.ServeFile(w, r, path)
	}))
	t.Cleanup(srv.Close)
	return Release{URL: srv.URL + "/" + filepath.Base(path), SHA256: sum}
}
