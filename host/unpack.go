package host

import (
	"archive/tar"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/roundhouse-ai/roundhouse/sdk"
)

// maxInstallBytes bounds what an install may unpack (a gzip bomb stops
// here, not at a full disk).
const maxInstallBytes = 4 << 30

// unpackChecked unpacks a .tar.gz into dir, checking its sha256 (when
// want is set) before anything it unpacked can be used.
func unpackChecked(r io.Reader, dir, want string) error {
	hash := sha256.New()
	tee := io.TeeReader(r, hash)
	if err := unpack(tee, dir); err != nil {
		return err
	}
	// Read to the end: the sum covers the whole archive, padding included.
	if _, err := io.Copy(io.Discard, tee); err != nil {
		return sdk.FieldError("body", "read the archive: %v", err)
	}
	if got := hex.EncodeToString(hash.Sum(nil)); want != "" && got != want {
		return sdk.FieldError("sha256", "the archive's sha256 is %s, not %s (nothing was installed)", got, want)
	}
	return nil
}

func unpack(r io.Reader, dir string) error {
	zr, err := gzip.NewReader(r)
	if err != nil {
		return sdk.FieldError("body", "not a .tar.gz: %v", err)
	}
	defer zr.Close()
	tr := tar.NewReader(zr)
	var total int64
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return sdk.FieldError("body", "bad .tar.gz: %v", err)
		}
		target, err := entryPath(dir, hdr.Name)
		if err != nil {
			return err
		}
		switch hdr.Typeflag {
		case tar.TypeDir:
			if err := os.MkdirAll(target, 0o755); err != nil {
				return sdk.WrapError(sdk.CodeInternal, err, "unpack %s", hdr.Name)
			}
		case tar.TypeReg:
			total += hdr.Size
			if total > maxInstallBytes {
				return sdk.FieldError("body", "the archive unpacks to more than %d bytes", int64(maxInstallBytes))
			}
			if err := writeFile(target, tr, hdr.FileInfo().Mode().Perm()); err != nil {
				return sdk.WrapError(sdk.CodeInternal, err, "unpack %s", hdr.Name)
			}
		case tar.TypeSymlink:
			if err := checkLink(dir, target, hdr.Linkname); err != nil {
				return err
			}
			if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
				return err
			}
			if err := os.Symlink(hdr.Linkname, target); err != nil {
				return sdk.WrapError(sdk.CodeInternal, err, "unpack %s", hdr.Name)
			}
		default:
			return sdk.FieldError("body", "archive entry %q: only files, directories and links inside the plugin are allowed", hdr.Name)
		}
	}
}

// entryPath is where an archive entry goes: refused when absolute, when
// it climbs out with "..", or when it would be written through a link.
func entryPath(dir, name string) (string, error) {
	clean := filepath.Clean(filepath.FromSlash(name))
	if filepath.IsAbs(name) || strings.HasPrefix(name, "/") || !filepath.IsLocal(clean) {
		return "", sdk.FieldError("body", "archive entry %q escapes the plugin directory (absolute or ..); refused, nothing was installed", name)
	}
	target := filepath.Join(dir, clean)
	// No parent may be a link: a link unpacked earlier must not redirect a
	// later entry outside the plugin.
	for p := filepath.Dir(target); p != dir && len(p) > len(dir); p = filepath.Dir(p) {
		if fi, err := os.Lstat(p); err == nil && fi.Mode()&fs.ModeSymlink != 0 {
			return "", sdk.FieldError("body", "archive entry %q is written through a link; refused, nothing was installed", name)
		}
	}
	return target, nil
}

// checkLink refuses a link whose target is absolute or resolves outside
// dir.
func checkLink(dir, at, link string) error {
	if filepath.IsAbs(link) {
		return sdk.FieldError("body", "link %s → %s is absolute; refused, nothing was installed", at, link)
	}
	resolved := filepath.Join(filepath.Dir(at), link)
	if rel, err := filepath.Rel(dir, resolved); err != nil || !filepath.IsLocal(rel) {
		return sdk.FieldError("body", "link %s → %s points outside the plugin; refused, nothing was installed", at, link)
	}
	return nil
}

func writeFile(path string, r io.Reader, mode fs.FileMode) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY, mode|0o600)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, io.LimitReader(r, maxInstallBytes)); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// copyTree copies a plugin directory: regular files and directories, and
// links that stay inside it.
func copyTree(src, dst string) error {
	return filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, path)
		target := filepath.Join(dst, rel)
		switch {
		case d.IsDir():
			return os.MkdirAll(target, 0o755)
		case d.Type()&fs.ModeSymlink != 0:
			link, err := os.Readlink(path)
			if err != nil {
				return err
			}
			if err := checkLink(dst, target, link); err != nil {
				return &sdk.Error{Code: sdk.CodeInvalidArgument, Field: "path", Message: sdk.AsError(err).Message}
			}
			return os.Symlink(link, target)
		case d.Type().IsRegular():
			f, err := os.Open(path)
			if err != nil {
				return err
			}
			defer f.Close()
			info, _ := d.Info()
			return writeFile(target, f, info.Mode().Perm())
		}
		return sdk.FieldError("path", "%s: only files, directories and links inside the plugin are allowed", path)
	})
}
