package engine

import (
	"archive/tar"
	"archive/zip"
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"strings"

	"github.com/klauspost/compress/zstd"
)

// Limits against archives that would fill the disk. Engine archives are a
// few GB with GPU libraries.
const (
	maxArchiveBytes   = 16 << 30
	maxArchiveEntries = 100_000
)

// ErrUnsafeEntry marks an archive entry that would write outside the
// destination (a "..", an absolute path, a link that leaves it) or that
// is not a plain file, directory or link.
var ErrUnsafeEntry = errors.New("unsafe archive entry")

// Extract unpacks the archive at src into dest (an existing, empty
// directory). The format is sniffed from the first bytes, not trusted from
// a file name: gzip'd tar (.tar.gz, .tgz), zstd'd tar (.tar.zst), plain
// tar, or zip.
//
// Every write goes through an [os.Root], which refuses to leave dest even
// via a symlink an earlier entry created; names and link targets are also
// checked up front so the error says which entry was rejected (it wraps
// [ErrUnsafeEntry]). An existing file is never overwritten. ctx is checked
// between entries.
func Extract(ctx context.Context, src, dest string) error {
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
		return extractTar(ctx, zr, root)
	case bytes.HasPrefix(head, []byte{0x28, 0xb5, 0x2f, 0xfd}):
		// One goroutine: decoding is sequential anyway, and nothing is left
		// running after Close.
		zr, err := zstd.NewReader(bufio.NewReader(f), zstd.WithDecoderConcurrency(1), zstd.WithDecoderMaxMemory(1<<30))
		if err != nil {
			return fmt.Errorf("zstd: %w", err)
		}
		defer zr.Close()
		return extractTar(ctx, zr, root)
	case bytes.HasPrefix(head, []byte("PK\x03\x04")), bytes.HasPrefix(head, []byte("PK\x05\x06")):
		st, err := f.Stat()
		if err != nil {
			return err
		}
		return extractZip(ctx, f, st.Size(), root)
	case len(head) >= 262 && string(head[257:262]) == "ustar":
		return extractTar(ctx, bufio.NewReader(f), root)
	default:
		return errors.New("unknown archive format: expected .tar.gz/.tgz, .tar.zst, .tar or .zip")
	}
}

// entryName validates an archive entry name and returns it cleaned, in
// slash form, relative to the destination.
func entryName(name string) (string, error) {
	bad := func(why string) (string, error) {
		return "", fmt.Errorf("%w %q: %s", ErrUnsafeEntry, name, why)
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
	return path.Clean(name), nil
}

// linkTarget validates a symlink target: relative and without "..", so it
// can only point at or below its own directory.
func linkTarget(name, target string) error {
	switch {
	case target == "":
		return fmt.Errorf("%w %q: empty symlink target", ErrUnsafeEntry, name)
	case strings.HasPrefix(target, "/") || strings.Contains(target, `\`) || (len(target) >= 2 && target[1] == ':'):
		return fmt.Errorf("%w %q: symlink to absolute path %q", ErrUnsafeEntry, name, target)
	}
	for _, part := range strings.Split(target, "/") {
		if part == ".." {
			return fmt.Errorf("%w %q: symlink target %q leaves its directory", ErrUnsafeEntry, name, target)
		}
	}
	return nil
}

// budget counts bytes and entries written.
type budget struct {
	bytes   int64
	entries int
}

func (b *budget) entry(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	b.entries++
	if b.entries > maxArchiveEntries {
		return fmt.Errorf("archive has more than %d entries", maxArchiveEntries)
	}
	return nil
}

func extractTar(ctx context.Context, r io.Reader, root *os.Root) error {
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
		if err := b.entry(ctx); err != nil {
			return err
		}
		name, err := entryName(h.Name)
		if err != nil {
			return err
		}
		switch h.Typeflag {
		case tar.TypeDir:
			err = root.MkdirAll(name, 0o755)
		case tar.TypeReg: // tar.Reader already turned legacy TypeRegA into this
			err = writeFile(root, name, h.FileInfo().Mode(), tr, &b)
		case tar.TypeSymlink:
			err = symlink(root, h.Name, name, h.Linkname)
		case tar.TypeLink:
			var target string
			if target, err = entryName(h.Linkname); err == nil {
				if err = mkParent(root, name); err == nil {
					err = root.Link(target, name)
				}
			}
		case tar.TypeXGlobalHeader, tar.TypeXHeader, tar.TypeGNULongName, tar.TypeGNULongLink:
			// Metadata; tar.Reader already applied it.
		default:
			err = fmt.Errorf("%w %q: unsupported type %q (devices and fifos are not allowed)", ErrUnsafeEntry, h.Name, h.Typeflag)
		}
		if err != nil {
			return err
		}
	}
}

func extractZip(ctx context.Context, r io.ReaderAt, size int64, root *os.Root) error {
	zr, err := zip.NewReader(r, size)
	if err != nil {
		return fmt.Errorf("zip: %w", err)
	}
	var b budget
	for _, zf := range zr.File {
		if err := b.entry(ctx); err != nil {
			return err
		}
		name, err := entryName(zf.Name)
		if err != nil {
			return err
		}
		mode := zf.Mode()
		switch {
		case mode.IsDir():
			err = root.MkdirAll(name, 0o755)
		case mode&fs.ModeSymlink != 0:
			var target []byte
			if target, err = readSmall(zf); err == nil {
				err = symlink(root, zf.Name, name, string(target))
			}
		case mode.IsRegular():
			var rc io.ReadCloser
			if rc, err = zf.Open(); err == nil {
				err = writeFile(root, name, mode, rc, &b)
				rc.Close()
			}
		default:
			err = fmt.Errorf("%w %q: unsupported file type %v", ErrUnsafeEntry, zf.Name, mode.Type())
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// readSmall reads a zip symlink entry's target.
func readSmall(zf *zip.File) ([]byte, error) {
	rc, err := zf.Open()
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	return io.ReadAll(io.LimitReader(rc, 4096))
}

func symlink(root *os.Root, rawName, name, target string) error {
	if err := linkTarget(rawName, target); err != nil {
		return err
	}
	if err := mkParent(root, name); err != nil {
		return err
	}
	return root.Symlink(target, name)
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
