package engine

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/klauspost/compress/zstd"
)

// entry is one archive member for the test builders.
type entry struct {
	name, body, link string
	dir, symlink     bool
	hardlink         bool
	mode             int64
}

// formats are the archive kinds Extract takes, by builder.
var formats = map[string]func(t *testing.T, entries []entry) []byte{
	"tar.gz":  makeTgz,
	"tar.zst": makeTzst,
	"zip":     makeZip,
}

func makeTar(t *testing.T, w io.Writer, entries []entry) {
	t.Helper()
	tw := tar.NewWriter(w)
	for _, e := range entries {
		h := &tar.Header{Name: e.name, Mode: e.mode}
		switch {
		case e.dir:
			h.Typeflag, h.Mode = tar.TypeDir, 0o755
		case e.symlink:
			h.Typeflag, h.Linkname = tar.TypeSymlink, e.link
		case e.hardlink:
			h.Typeflag, h.Linkname = tar.TypeLink, e.link
		default:
			h.Typeflag, h.Size = tar.TypeReg, int64(len(e.body))
			if h.Mode == 0 {
				h.Mode = 0o644
			}
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		if h.Typeflag == tar.TypeReg {
			if _, err := tw.Write([]byte(e.body)); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
}

func makeTgz(t *testing.T, entries []entry) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestSpeed) // fast under -race
	makeTar(t, zw, entries)
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func makeTzst(t *testing.T, entries []entry) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw, err := zstd.NewWriter(&buf, zstd.WithEncoderConcurrency(1), zstd.WithEncoderLevel(zstd.SpeedFastest))
	if err != nil {
		t.Fatal(err)
	}
	makeTar(t, zw, entries)
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func makeZip(t *testing.T, entries []entry) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, e := range entries {
		h := &zip.FileHeader{Name: e.name, Method: zip.Deflate}
		switch {
		case e.dir:
			h.Name += "/"
			h.SetMode(fs.ModeDir | 0o755)
		case e.symlink:
			h.SetMode(fs.ModeSymlink | 0o777)
		default:
			mode := fs.FileMode(e.mode)
			if mode == 0 {
				mode = 0o644
			}
			h.SetMode(mode)
		}
		w, err := zw.CreateHeader(h)
		if err != nil {
			t.Fatal(err)
		}
		switch {
		case e.symlink:
			w.Write([]byte(e.link))
		case !e.dir:
			w.Write([]byte(e.body))
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func extractBytes(t *testing.T, data []byte) (string, error) {
	t.Helper()
	dir := t.TempDir()
	src := filepath.Join(dir, "archive")
	if err := os.WriteFile(src, data, 0o644); err != nil {
		t.Fatal(err)
	}
	dest := filepath.Join(dir, "out")
	if err := os.Mkdir(dest, 0o755); err != nil {
		t.Fatal(err)
	}
	return dest, Extract(context.Background(), src, dest)
}

func TestExtractGood(t *testing.T) {
	good := []entry{
		{name: "bin", dir: true},
		{name: "bin/engine", body: "#!/bin/sh\n", mode: 0o755},
		{name: "lib/engine/libggml.so.1", body: "lib"},
		{name: "lib/engine/libggml.so", symlink: true, link: "libggml.so.1"},
		{name: "./lib/engine/./README", body: "readme"},
	}
	for kind, build := range formats {
		t.Run(kind, func(t *testing.T) {
			dest, err := extractBytes(t, build(t, good))
			if err != nil {
				t.Fatal(err)
			}
			st, err := os.Stat(filepath.Join(dest, "bin", "engine"))
			if err != nil || st.Mode().Perm()&0o111 == 0 {
				t.Fatalf("bin/engine: %v, mode %v", err, st)
			}
			if b, err := os.ReadFile(filepath.Join(dest, "lib/engine/libggml.so")); err != nil || string(b) != "lib" {
				t.Fatalf("symlink: %q %v", b, err)
			}
			if b, _ := os.ReadFile(filepath.Join(dest, "lib/engine/README")); string(b) != "readme" {
				t.Fatalf("README = %q", b)
			}
			if exe, err := FindExecutable(dest, "engine"); err != nil || exe != filepath.Join(dest, "bin", "engine") {
				t.Fatalf("FindExecutable = %q, %v", exe, err)
			}
		})
	}
	for _, kind := range []string{"tar.gz", "tar.zst"} {
		t.Run(kind+" hardlink", func(t *testing.T) {
			dest, err := extractBytes(t, formats[kind](t, []entry{{name: "a", body: "x"}, {name: "b", hardlink: true, link: "a"}}))
			if err != nil {
				t.Fatal(err)
			}
			if b, _ := os.ReadFile(filepath.Join(dest, "b")); string(b) != "x" {
				t.Fatalf("b = %q", b)
			}
		})
	}
}

// Every way out of the destination is refused, in every format, and
// nothing is written outside it.
func TestExtractRejectsTraversal(t *testing.T) {
	bad := map[string][]entry{
		"dotdot":              {{name: "../evil", body: "x"}},
		"nested dotdot":       {{name: "bin/../../evil", body: "x"}},
		"absolute":            {{name: "/tmp/evil", body: "x"}},
		"backslash":           {{name: `..\evil`, body: "x"}},
		"drive letter":        {{name: "C:/evil", body: "x"}},
		"symlink absolute":    {{name: "lib", symlink: true, link: "/etc"}},
		"symlink dotdot":      {{name: "lib", symlink: true, link: "../.."}},
		"symlink then write":  {{name: "lib", symlink: true, link: "sub/../.."}, {name: "lib/evil", body: "x"}},
		"hardlink outside":    {{name: "a", hardlink: true, link: "../../etc/passwd"}},
		"hardlink absolute":   {{name: "a", hardlink: true, link: "/etc/passwd"}},
		"duplicate overwrite": {{name: "a", body: "x"}, {name: "a", body: "y"}},
	}
	for name, entries := range bad {
		for kind, build := range formats {
			if kind == "zip" && entries[0].hardlink {
				continue // zip has no hard links
			}
			t.Run(name+"/"+kind, func(t *testing.T) {
				parent := t.TempDir()
				src := filepath.Join(parent, "archive")
				if err := os.WriteFile(src, build(t, entries), 0o644); err != nil {
					t.Fatal(err)
				}
				dest := filepath.Join(parent, "a", "b", "out")
				if err := os.MkdirAll(dest, 0o755); err != nil {
					t.Fatal(err)
				}
				err := Extract(context.Background(), src, dest)
				if err == nil {
					t.Fatal("Extract accepted an unsafe archive")
				}
				if name != "duplicate overwrite" && !errors.Is(err, ErrUnsafeEntry) {
					t.Errorf("rejected with %v, want ErrUnsafeEntry", err)
				}
				for _, p := range []string{filepath.Join(parent, "evil"), filepath.Join(parent, "a", "evil"), filepath.Join(parent, "a", "b", "evil")} {
					if _, err := os.Lstat(p); err == nil {
						t.Fatalf("%s was written outside the destination", p)
					}
				}
			})
		}
	}
}

// A link that is harmless by name but would lead a later write out of
// the destination is stopped by os.Root.
func TestExtractLinkThenWriteThroughIt(t *testing.T) {
	for _, kind := range []string{"tar.gz", "tar.zst"} {
		t.Run(kind, func(t *testing.T) {
			outside := t.TempDir()
			parent := t.TempDir()
			dest := filepath.Join(parent, "out")
			os.Mkdir(dest, 0o755)
			// A symlink planted in dest beforehand (the archive cannot make
			// one that leaves), then an archive writing through it.
			if err := os.Symlink(outside, filepath.Join(dest, "lib")); err != nil {
				t.Fatal(err)
			}
			src := filepath.Join(parent, "archive")
			os.WriteFile(src, formats[kind](t, []entry{{name: "lib/evil", body: "x"}}), 0o644)
			if err := Extract(context.Background(), src, dest); err == nil {
				t.Fatal("wrote through a link that leaves the destination")
			}
			if _, err := os.Lstat(filepath.Join(outside, "evil")); err == nil {
				t.Fatal("file written outside the destination")
			}
		})
	}
}

func TestExtractFormats(t *testing.T) {
	if _, err := extractBytes(t, []byte("not an archive at all")); err == nil {
		t.Error("garbage accepted")
	}
	if _, err := extractBytes(t, []byte{0x28, 0xb5, 0x2f, 0xfd, 0, 0, 0}); err == nil {
		t.Error("broken zstd accepted")
	}
	// A plain (uncompressed) tar works too.
	var buf bytes.Buffer
	makeTar(t, &buf, []entry{{name: "engine", body: "hi", mode: 0o755}})
	dest, err := extractBytes(t, buf.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := FindExecutable(dest, "engine"); err != nil {
		t.Fatal(err)
	}
	if _, err := FindExecutable(dest, "other"); err == nil {
		t.Error("FindExecutable found a file that is not there")
	}
}

func TestExtractHonoursContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	dir := t.TempDir()
	src := filepath.Join(dir, "a.tgz")
	os.WriteFile(src, makeTgz(t, []entry{{name: "a", body: "x"}}), 0o644)
	os.Mkdir(filepath.Join(dir, "out"), 0o755)
	if err := Extract(ctx, src, filepath.Join(dir, "out")); !errors.Is(err, context.Canceled) {
		t.Fatalf("Extract with a cancelled ctx = %v", err)
	}
}
