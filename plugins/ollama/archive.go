package main

import (
	"archive/tar"
	"archive/zip"
	"bufio"
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"strings"
)

// Limits against archives that would fill the disk. Ollama's own archives
// are a few GB with CUDA libraries.
const (
	maxArchiveBytes   = 16 << 30
	maxArchiveEntries = 100_000
)

// errUnsafeEntry marks an archive entry that would write outside the
// destination.
var errUnsafeEntry = errors.New("unsafe archive entry")

// extractArchive unpacks the archive at src into dest (an existing empty
// directory), sniffing the format from its first bytes rather than trusting
// a URL's extension: gzip'd tar (.tgz, .tar.gz), plain tar, or zip.
//
// Every write goes through an os.Root, which refuses to leave dest even via
// symlinks; names are also checked up front so the error says which entry
// was rejected.
func extractArchive(src, dest string) error {
	f, err := os.Open(src)
	if err != nil {
		return err
	}
	defer f.Close()
	head := make([]byte, 512)
	n, _ := io.ReadFull(f, head)
	head = head[:n]
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return err
	}
	root, err := os.OpenRoot(dest)
	if err != nil {
		return err
	}
	defer root.Close()
	switch {
	case bytes.HasPrefix(head, []byte{0x1f, 0x8b}):
		zr, err := gzip.NewReader(bufio.NewReader(f))
		if err != nil {
			return fmt.Errorf("gzip: %w", err)
		}
		defer zr.Close()
		return extractTar(zr, root)
	case bytes.HasPrefix(head, []byte("PK\x03\x04")), bytes.HasPrefix(head, []byte("PK\x05\x06")):
		st, err := f.Stat()
		if err != nil {
			return err
		}
		return extractZip(f, st.Size(), root)
	case len(head) >= 262 && string(head[257:262]) == "ustar":
		return extractTar(bufio.NewReader(f), root)
	case bytes.HasPrefix(head, []byte{0x28, 0xb5, 0x2f, 0xfd}):
		return errors.New("zstd-compressed archives (.tar.zst) are not supported: repack it as .tgz (zstd -dc x.tar.zst | gzip > x.tgz) or use a .zip")
	default:
		return errors.New("unknown archive format: expected .tgz/.tar.gz, .tar or .zip")
	}
}

// entryName validates an archive entry name and returns it cleaned, in
// slash form, relative to the destination.
func entryName(name string) (string, error) {
	bad := func(why string) (string, error) {
		return "", fmt.Errorf("%w %q: %s", errUnsafeEntry, name, why)
	}
	switch {
	case name == "":
		return bad("empty name")
	case strings.ContainsRune(name, 0):
		return bad("NUL in name")
	case strings.Contains(name, `\`):
		return bad("backslash in name")
	case strings.HasPrefix(name, "/"):
		return bad("absolute path")
	case len(name) >= 2 && name[1] == ':':
		return bad("drive letter")
	}
	for _, part := range strings.Split(name, "/") {
		if part == ".." {
			return bad("path traversal (..)")
		}
	}
	clean := path.Clean(name)
	if clean == "." {
		return ".", nil
	}
	return clean, nil
}

// linkTarget validates a symlink target: relative and without "..", so it
// can only point at or below its own directory.
func linkTarget(name, target string) error {
	switch {
	case target == "":
		return fmt.Errorf("%w %q: empty symlink target", errUnsafeEntry, name)
	case strings.HasPrefix(target, "/") || strings.Contains(target, `\`) || (len(target) >= 2 && target[1] == ':'):
		return fmt.Errorf("%w %q: symlink to absolute path %q", errUnsafeEntry, name, target)
	}
	for _, part := range strings.Split(target, "/") {
		if part == ".." {
			return fmt.Errorf("%w %q: symlink target %q leaves its directory", errUnsafeEntry, name, target)
		}
	}
	return nil
}

// budget counts bytes and entries written.
type budget struct {
	bytes   int64
	entries int
}

func (b *budget) entry() error {
	b.entries++
	if b.entries > maxArchiveEntries {
		return fmt.Errorf("archive has more than %d entries", maxArchiveEntries)
	}
	return nil
}

func extractTar(r io.Reader, root *os.Root) error {
	tr := tar.NewReader(r)
	var b budget
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("tar: %w", err)
		}
		if err := b.entry(); err != nil {
			return err
		}
		name, err := entryName(h.Name)
		if err != nil {
			return err
		}
		switch h.Typeflag {
		case tar.TypeDir:
			if err := root.MkdirAll(name, 0o755); err != nil {
				return err
			}
		case tar.TypeReg: // tar.Reader already turned legacy TypeRegA into this
			if err := writeFile(root, name, h.FileInfo().Mode(), tr, &b); err != nil {
				return err
			}
		case tar.TypeSymlink:
			if err := linkTarget(h.Name, h.Linkname); err != nil {
				return err
			}
			if err := mkParent(root, name); err != nil {
				return err
			}
			if err := root.Symlink(h.Linkname, name); err != nil {
				return err
			}
		case tar.TypeLink:
			target, err := entryName(h.Linkname)
			if err != nil {
				return err
			}
			if err := mkParent(root, name); err != nil {
				return err
			}
			if err := root.Link(target, name); err != nil {
				return err
			}
		case tar.TypeXGlobalHeader, tar.TypeXHeader, tar.TypeGNULongName, tar.TypeGNULongLink:
			// Metadata; tar.Reader already applied it.
		default:
			return fmt.Errorf("%w %q: unsupported type %q (devices and fifos are not allowed)", errUnsafeEntry, h.Name, h.Typeflag)
		}
	}
}

func extractZip(r io.ReaderAt, size int64, root *os.Root) error {
	zr, err := zip.NewReader(r, size)
	if err != nil {
		return fmt.Errorf("zip: %w", err)
	}
	var b budget
	for _, zf := range zr.File {
		if err := b.entry(); err != nil {
			return err
		}
		name, err := entryName(zf.Name)
		if err != nil {
			return err
		}
		mode := zf.Mode()
		switch {
		case mode.IsDir():
			if err := root.MkdirAll(name, 0o755); err != nil {
				return err
			}
		case mode&fs.ModeSymlink != 0:
			rc, err := zf.Open()
			if err != nil {
				return err
			}
			target, err := io.ReadAll(io.LimitReader(rc, 4096))
			rc.Close()
			if err != nil {
				return err
			}
			if err := linkTarget(zf.Name, string(target)); err != nil {
				return err
			}
			if err := mkParent(root, name); err != nil {
				return err
			}
			if err := root.Symlink(string(target), name); err != nil {
				return err
			}
		case mode.IsRegular():
			rc, err := zf.Open()
			if err != nil {
				return err
			}
			err = writeFile(root, name, mode, rc, &b)
			rc.Close()
			if err != nil {
				return err
			}
		default:
			return fmt.Errorf("%w %q: unsupported file type %v", errUnsafeEntry, zf.Name, mode.Type())
		}
	}
	return nil
}

func mkParent(root *os.Root, name string) error {
	if dir := path.Dir(name); dir != "." {
		return root.MkdirAll(dir, 0o755)
	}
	return nil
}

// writeFile creates name (which must not exist yet) with only the
// permission bits that matter: executable or not.
func writeFile(root *os.Root, name string, mode fs.FileMode, r io.Reader, b *budget) error {
	if err := mkParent(root, name); err != nil {
		return err
	}
	perm := fs.FileMode(0o644)
	if mode&0o111 != 0 {
		perm = 0o755
	}
	f, err := root.OpenFile(name, os.O_CREATE|os.O_EXCL|os.O_WRONLY, perm)
	if err != nil {
		return err
	}
	n, err := io.Copy(f, io.LimitReader(r, maxArchiveBytes-b.bytes+1))
	b.bytes += n
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	if b.bytes > maxArchiveBytes {
		return fmt.Errorf("archive unpacks to more than %d bytes", int64(maxArchiveBytes))
	}
	return nil
}
