package main

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/gzip"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
)

// entry is one archive member for the test builders.
type entry struct {
	name, body, link string
	dir, symlink     bool
	hardlink         bool
	mode             int64
}

func makeTgz(t *testing.T, entries []entry) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	tw := tar.NewWriter(zw)
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
			tw.Write([]byte(e.body))
		}
	}
	tw.Close()
	zw.Close()
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
	zw.Close()
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
	return dest, extractArchive(src, dest)
}

func TestExtractGood(t *testing.T) {
	good := []entry{
		{name: "bin", dir: true},
		{name: "bin/ollama", body: "#!/bin/sh\n", mode: 0o755},
		{name: "lib/ollama/libggml.so.1", body: "lib"},
		{name: "lib/ollama/libggml.so", symlink: true, link: "libggml.so.1"},
		{name: "./lib/ollama/./README", body: "readme"},
	}
	for _, kind := range []string{"tgz", "zip"} {
		t.Run(kind, func(t *testing.T) {
			data := makeTgz(t, good)
			if kind == "zip" {
				data = makeZip(t, good)
			}
			dest, err := extractBytes(t, data)
			if err != nil {
				t.Fatal(err)
			}
			st, err := os.Stat(filepath.Join(dest, "bin", "ollama"))
			if err != nil || st.Mode().Perm()&0o111 == 0 {
				t.Fatalf("bin/ollama: %v, mode %v", err, st)
			}
			if b, err := os.ReadFile(filepath.Join(dest, "lib/ollama/libggml.so")); err != nil || string(b) != "lib" {
				t.Fatalf("symlink: %q %v", b, err)
			}
			if b, _ := os.ReadFile(filepath.Join(dest, "lib/ollama/README")); string(b) != "readme" {
				t.Fatalf("README = %q", b)
			}
			if exe, err := locateExecutable(dest); err != nil || exe != filepath.Join(dest, "bin", exeName()) {
				t.Fatalf("locateExecutable = %q, %v", exe, err)
			}
		})
	}
	t.Run("tgz hardlink", func(t *testing.T) {
		dest, err := extractBytes(t, makeTgz(t, []entry{{name: "a", body: "x"}, {name: "b", hardlink: true, link: "a"}}))
		if err != nil {
			t.Fatal(err)
		}
		if b, _ := os.ReadFile(filepath.Join(dest, "b")); string(b) != "x" {
			t.Fatalf("b = %q", b)
		}
	})
}

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
		"duplicate overwrite": {{name: "a", body: "x"}, {name: "a", body: "y"}},
	}
	for name, entries := range bad {
		for _, kind := range []string{"tgz", "zip"} {
			if kind == "zip" && (entries[0].hardlink || name == "drive letter") {
				continue // zip has no hardlinks; Go's zip writer keeps the name
			}
			t.Run(name+"/"+kind, func(t *testing.T) {
				parent := t.TempDir()
				data := makeTgz(t, entries)
				if kind == "zip" {
					data = makeZip(t, entries)
				}
				src := filepath.Join(parent, "archive")
				os.WriteFile(src, data, 0o644)
				dest := filepath.Join(parent, "a", "b", "out")
				os.MkdirAll(dest, 0o755)
				err := extractArchive(src, dest)
				if err == nil {
					t.Fatal("extractArchive accepted an unsafe archive")
				}
				if name != "duplicate overwrite" && !errors.Is(err, errUnsafeEntry) {
					t.Logf("rejected with %v", err)
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

func TestExtractFormats(t *testing.T) {
	if _, err := extractBytes(t, []byte{0x28, 0xb5, 0x2f, 0xfd, 0, 0, 0}); err == nil || !bytes.Contains([]byte(err.Error()), []byte("zstd")) {
		t.Errorf("zstd: %v", err)
	}
	if _, err := extractBytes(t, []byte("not an archive at all")); err == nil {
		t.Error("garbage accepted")
	}
	// A plain (uncompressed) tar works too.
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	tw.WriteHeader(&tar.Header{Name: "ollama", Mode: 0o755, Size: 2, Typeflag: tar.TypeReg})
	tw.Write([]byte("hi"))
	tw.Close()
	dest, err := extractBytes(t, buf.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := locateExecutable(dest); err != nil {
		t.Fatal(err)
	}
}
