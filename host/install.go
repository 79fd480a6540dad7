package host

import (
	"archive/tar"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"compress/gzip"

	"github.com/roundhouse-ai/roundhouse/sdk"
	"github.com/roundhouse-ai/roundhouse/sdk/gpu"
)

// maxInstallBytes bounds what an install may unpack (a gzip bomb stops
// here, not at a full disk).
const maxInstallBytes = 4 << 30

// InstallSource is what InstallPlugin installs: a directory or a .tar.gz
// on this machine (Path), or a .tar.gz stream (Archive).
type InstallSource struct {
	Path    string
	Archive io.Reader
	// SHA256, when set, is the hex sha256 of the .tar.gz, or of the
	// plugin's executable when Path is a directory.
	SHA256 string
}

// InstallPlugin installs a plugin into the first plugin root: it is
// unpacked (or copied) into a hidden staging directory in that root,
// checked (manifest valid for this platform, executable present inside
// the plugin, sha256 given by the caller and the one in the manifest),
// then renamed into place, so a half-installed plugin is never
// discovered. Archive entries with absolute paths, ".." or links that
// point outside the plugin are refused. It returns the installed plugin.
func (h *Host) InstallPlugin(ctx context.Context, src InstallSource) (*Plugin, error) {
	cfg := h.Config()
	if len(cfg.PluginDirs) == 0 {
		return nil, sdk.Errorf(sdk.CodeFailedPrecondition, "no plugin root is configured: set plugin_dirs in the config")
	}
	root := cfg.PluginDirs[0]
	if err := os.MkdirAll(root, 0o755); err != nil {
		return nil, sdk.WrapError(sdk.CodeInternal, err, "create plugin root %s", root)
	}
	want := strings.ToLower(strings.TrimSpace(src.SHA256))
	if want != "" {
		if b, err := hex.DecodeString(want); err != nil || len(b) != sha256.Size {
			return nil, sdk.FieldError("sha256", "%q must be 64 hex digits", src.SHA256)
		}
	}
	stage, err := os.MkdirTemp(root, ".install-")
	if err != nil {
		return nil, sdk.WrapError(sdk.CodeInternal, err, "create a staging dir in %s", root)
	}
	defer os.RemoveAll(stage)

	isDir := false
	switch {
	case src.Archive != nil:
		err = unpackChecked(src.Archive, stage, want)
	case src.Path == "":
		return nil, sdk.FieldError("path", "required: a plugin directory or a .tar.gz on the host's machine")
	case !filepath.IsAbs(src.Path):
		return nil, sdk.FieldError("path", "%q must be absolute (the host's working directory is not yours)", src.Path)
	default:
		st, serr := os.Stat(src.Path)
		switch {
		case serr != nil:
			return nil, sdk.FieldError("path", "%v", serr)
		case st.IsDir():
			isDir = true
			err = copyTree(src.Path, stage)
		default:
			f, oerr := os.Open(src.Path)
			if oerr != nil {
				return nil, sdk.FieldError("path", "%v", oerr)
			}
			err = unpackChecked(f, stage, want)
			f.Close()
		}
	}
	if err != nil {
		return nil, err
	}
	dir, err := pluginDirIn(stage)
	if err != nil {
		return nil, err
	}
	c := inspect(dir, UsableGPUs(gpu.Detect()))
	if c.Err != nil {
		return nil, &sdk.Error{Code: sdk.CodeManifestInvalid, Field: "manifest", Message: c.Err.Error() + " (nothing was installed)"}
	}
	if rel, err := filepath.Rel(dir, c.Executable); err != nil || !filepath.IsLocal(rel) {
		return nil, &sdk.Error{Code: sdk.CodeManifestInvalid, Field: "manifest", Message: fmt.Sprintf("executable %s is outside the plugin directory; ship it inside (nothing was installed)", c.Executable)}
	}
	st, err := os.Stat(c.Executable)
	if err != nil || !st.Mode().IsRegular() {
		return nil, &sdk.Error{Code: sdk.CodeManifestInvalid, Field: "manifest", Message: fmt.Sprintf("the executable for this platform (%s) is missing from the plugin (nothing was installed)", filepath.Base(c.Executable))}
	}
	sum := fileSHA256(c.Executable)
	if isDir && want != "" && sum != want {
		return nil, sdk.FieldError("sha256", "the executable's sha256 is %s, not %s (nothing was installed)", sum, want)
	}
	if c.SHA256 != "" && !strings.EqualFold(c.SHA256, sum) {
		return nil, &sdk.Error{Code: sdk.CodeManifestInvalid, Field: "manifest", Message: fmt.Sprintf("the executable's sha256 is %s but the manifest says %s (nothing was installed)", sum, c.SHA256)}
	}
	name := c.Name()

	h.applyMu.Lock()
	target := filepath.Join(root, name)
	if h.Plugin(name) != nil || exists(target) {
		h.applyMu.Unlock()
		return nil, sdk.Errorf(sdk.CodeAlreadyExists, "plugin %s is already installed (remove it first: DELETE /v1/plugins/%s)", name, name)
	}
	if err := os.Rename(dir, target); err != nil {
		h.applyMu.Unlock()
		return nil, sdk.WrapError(sdk.CodeInternal, err, "move the plugin into %s", root)
	}
	rep := h.applyLocked(ctx, h.Config(), Discover(h.Config().PluginDirs))
	h.applyMu.Unlock()
	h.log.Info("plugin installed", "plugin", name, "dir", target)
	p := h.Plugin(name)
	if p == nil {
		return nil, sdk.Errorf(sdk.CodeInternal, "plugin %s was installed in %s but not discovered: %v", name, target, rep.Errors)
	}
	return p, nil
}

// RemovePlugin stops the plugin and deletes its directory. Only a
// directory directly inside a configured plugin root is ever deleted; a
// plugin root entry that is a link is unlinked, its target left alone.
func (h *Host) RemovePlugin(ctx context.Context, name string) error {
	h.applyMu.Lock()
	defer h.applyMu.Unlock()
	p := h.Plugin(name)
	if p == nil {
		return &sdk.Error{Code: sdk.CodePluginNotFound, Field: "name", Message: fmt.Sprintf("no plugin named %q (GET /v1/plugins lists them)", name)}
	}
	dir := filepath.Clean(p.cand.Dir)
	cfg := h.Config()
	inRoot := false
	for _, root := range cfg.PluginDirs {
		if filepath.Dir(dir) == filepath.Clean(root) && filepath.Base(dir) != "." && filepath.Base(dir) != ".." {
			inRoot = true
		}
	}
	if !inRoot {
		return sdk.Errorf(sdk.CodeFailedPrecondition, "plugin %s lives in %s, outside every plugin root; remove it by hand", name, dir)
	}
	p.Close()
	fi, err := os.Lstat(dir)
	switch {
	case err != nil:
	case fi.Mode()&fs.ModeSymlink != 0:
		err = os.Remove(dir)
	default:
		// Rename first: the plugin disappears at once, even if deleting a
		// large tree takes a while or fails half-way.
		trash := filepath.Join(filepath.Dir(dir), ".remove-"+filepath.Base(dir))
		_ = os.RemoveAll(trash)
		if err = os.Rename(dir, trash); err == nil {
			err = os.RemoveAll(trash)
		}
	}
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return sdk.WrapError(sdk.CodeInternal, err, "remove %s", dir)
	}
	h.applyLocked(ctx, cfg, Discover(cfg.PluginDirs))
	h.log.Info("plugin removed", "plugin", name, "dir", dir)
	return nil
}

func exists(p string) bool {
	_, err := os.Lstat(p)
	return err == nil
}

// pluginDirIn finds the plugin in an unpacked tree: the tree itself, or
// its only top-level directory.
func pluginDirIn(stage string) (string, error) {
	if hasManifest(stage) {
		return stage, nil
	}
	entries, _ := os.ReadDir(stage)
	if len(entries) == 1 && entries[0].IsDir() && hasManifest(filepath.Join(stage, entries[0].Name())) {
		return filepath.Join(stage, entries[0].Name()), nil
	}
	return "", &sdk.Error{Code: sdk.CodeManifestInvalid, Field: "manifest", Message: "no plugin.yaml (or plugin.json) at the top of the plugin or of its only directory (nothing was installed)"}
}

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
