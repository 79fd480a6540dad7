package engine

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/roundhouse-ai/roundhouse/sdk/engine/enginetest"
)

type entry = enginetest.File

// formats are the archive kinds Extract takes, by builder.
var formats = map[string]func(t *testing.T, entries []entry) []byte{}

func init() {
	for _, f := range enginetest.Formats {
		formats[f] = func(t *testing.T, entries []entry) []byte { return enginetest.MustArchive(t, f, entries) }
	}
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
		{Name: "bin", Dir: true},
		{Name: "bin/engine", Body: "#!/bin/sh\n", Mode: 0o755},
		{Name: "lib/engine/libggml.so.1", Body: "lib"},
		{Name: "lib/engine/libggml.so", Symlink: true, Link: "libggml.so.1"},
		{Name: "./lib/engine/./README", Body: "readme"},
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
			dest, err := extractBytes(t, formats[kind](t, []entry{{Name: "a", Body: "x"}, {Name: "b", Hardlink: true, Link: "a"}}))
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
		"dotdot":              {{Name: "../evil", Body: "x"}},
		"nested dotdot":       {{Name: "bin/../../evil", Body: "x"}},
		"absolute":            {{Name: "/tmp/evil", Body: "x"}},
		"backslash":           {{Name: `..\evil`, Body: "x"}},
		"drive letter":        {{Name: "C:/evil", Body: "x"}},
		"symlink absolute":    {{Name: "lib", Symlink: true, Link: "/etc"}},
		"symlink dotdot":      {{Name: "lib", Symlink: true, Link: "../.."}},
		"symlink then write":  {{Name: "lib", Symlink: true, Link: "sub/../.."}, {Name: "lib/evil", Body: "x"}},
		"hardlink outside":    {{Name: "a", Hardlink: true, Link: "../../etc/passwd"}},
		"hardlink absolute":   {{Name: "a", Hardlink: true, Link: "/etc/passwd"}},
		"duplicate overwrite": {{Name: "a", Body: "x"}, {Name: "a", Body: "y"}},
	}
	for name, entries := range bad {
		for kind, build := range formats {
			if kind == "zip" && entries[0].Hardlink {
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
			os.WriteFile(src, formats[kind](t, []entry{{Name: "lib/evil", Body: "x"}}), 0o644)
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
	dest, err := extractBytes(t, enginetest.MustArchive(t, "tar", []entry{{Name: "engine", Body: "hi", Mode: 0o755}}))
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
	os.WriteFile(src, formats["tar.gz"](t, []entry{{Name: "a", Body: "x"}}), 0o644)
	os.Mkdir(filepath.Join(dir, "out"), 0o755)
	if err := Extract(ctx, src, filepath.Join(dir, "out")); !errors.Is(err, context.Canceled) {
		t.Fatalf("Extract with a cancelled ctx = %v", err)
	}
}
