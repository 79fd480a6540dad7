package host

import (
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

	"github.com/roundhouse-ai/roundhouse/sdk"
	"github.com/roundhouse-ai/roundhouse/sdk/gpu"
)

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
	want := strings.ToLower(strings.TrimSpace(src.SHA256))
	if want != "" {
		if b, err := hex.DecodeString(want); err != nil || len(b) != sha256.Size {
			return nil, sdk.FieldError("sha256", "%q must be 64 hex digits", src.SHA256)
		}
	}
	if err := os.MkdirAll(root, 0o755); err != nil {
		return nil, sdk.WrapError(sdk.CodeInternal, err, "create plugin root %s", root)
	}
	stage, err := os.MkdirTemp(root, ".install-")
	if err != nil {
		return nil, sdk.WrapError(sdk.CodeInternal, err, "create a staging dir in %s", root)
	}
	defer os.RemoveAll(stage)
	isDir, err := stageSource(src, stage, want)
	if err != nil {
		return nil, err
	}
	dir, err := pluginDirIn(stage)
	if err != nil {
		return nil, err
	}
	c, err := checkStaged(dir, isDir, want)
	if err != nil {
		return nil, err
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

// stageSource unpacks or copies src into stage; it reports whether src
// was a directory (whose sha256 is then the executable's).
func stageSource(src InstallSource, stage, want string) (bool, error) {
	switch {
	case src.Archive != nil:
		return false, unpackChecked(src.Archive, stage, want)
	case src.Path == "":
		return false, sdk.FieldError("path", "required: a plugin directory or a .tar.gz on the host's machine")
	case !filepath.IsAbs(src.Path):
		return false, sdk.FieldError("path", "%q must be absolute (the host's working directory is not yours)", src.Path)
	}
	st, err := os.Stat(src.Path)
	if err != nil {
		return false, sdk.FieldError("path", "%v", err)
	}
	if st.IsDir() {
		return true, copyTree(src.Path, stage)
	}
	f, err := os.Open(src.Path)
	if err != nil {
		return false, sdk.FieldError("path", "%v", err)
	}
	defer f.Close()
	return false, unpackChecked(f, stage, want)
}

// checkStaged checks an unpacked plugin as discovery would, and more:
// the executable must be inside it, and match the sha256 the caller gave
// (for a directory) and the one in the manifest.
func checkStaged(dir string, isDir bool, want string) (Candidate, error) {
	invalid := func(format string, args ...any) error {
		return &sdk.Error{Code: sdk.CodeManifestInvalid, Field: "manifest", Message: fmt.Sprintf(format, args...) + " (nothing was installed)"}
	}
	c := inspect(dir, UsableGPUs(gpu.Detect()))
	if c.Err != nil {
		return c, invalid("%s", c.Err.Error())
	}
	if rel, err := filepath.Rel(dir, c.Executable); err != nil || !filepath.IsLocal(rel) {
		return c, invalid("executable %s is outside the plugin directory; ship it inside", c.Executable)
	}
	if st, err := os.Stat(c.Executable); err != nil || !st.Mode().IsRegular() {
		return c, invalid("the executable for this platform (%s) is missing from the plugin", filepath.Base(c.Executable))
	}
	sum := fileSHA256(c.Executable)
	if isDir && want != "" && sum != want {
		return c, sdk.FieldError("sha256", "the executable's sha256 is %s, not %s (nothing was installed)", sum, want)
	}
	if c.SHA256 != "" && !strings.EqualFold(c.SHA256, sum) {
		return c, invalid("the executable's sha256 is %s but the manifest says %s", sum, c.SHA256)
	}
	return c, nil
}

// RemovePlugin stops the plugin and deletes its directory. Only a
// directory directly inside a configured plugin root is ever deleted; a
// plugin root entry that is a link is unlinked, its target left alone.
func (h *Host) RemovePlugin(ctx context.Context, name string) error {
	stopped, dir, err := h.unlistPlugin(ctx, name)
	if err != nil {
		return err
	}
	// The plugin is out of the routing table; its calls in flight finish
	// (at most drainWait) before its process stops. The files go once it
	// has stopped, so nothing is deleted under a running executable.
	select {
	case <-stopped:
	case <-ctx.Done():
		// The caller gave up waiting; the files still go once it stops.
		go func() { <-stopped; h.deleteRemoved(dir) }()
		return nil
	}
	if err := h.deleteRemoved(dir); err != nil {
		return sdk.WrapError(sdk.CodeInternal, err, "remove %s", dir)
	}
	return nil
}

// unlistPlugin moves the plugin's directory aside (the plugin disappears
// from discovery at once) and applies the config without it. It returns a
// channel closed once the plugin's process has stopped, and where its
// files now are.
func (h *Host) unlistPlugin(ctx context.Context, name string) (<-chan struct{}, string, error) {
	h.applyMu.Lock()
	defer h.applyMu.Unlock()
	p := h.Plugin(name)
	if p == nil {
		return nil, "", &sdk.Error{Code: sdk.CodePluginNotFound, Field: "name", Message: fmt.Sprintf("no plugin named %q (GET /v1/plugins lists them)", name)}
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
		return nil, "", sdk.Errorf(sdk.CodeFailedPrecondition, "plugin %s lives in %s, outside every plugin root; remove it by hand", name, dir)
	}
	aside := dir
	fi, err := os.Lstat(dir)
	switch {
	case err != nil:
	case fi.Mode()&fs.ModeSymlink != 0:
		// A link is unlinked, its target left alone.
		err = os.Remove(dir)
		aside = ""
	default:
		// Rename first: the plugin disappears at once, even if deleting a
		// large tree takes a while or fails half-way.
		aside = filepath.Join(filepath.Dir(dir), ".remove-"+filepath.Base(dir))
		_ = os.RemoveAll(aside)
		err = os.Rename(dir, aside)
	}
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, "", sdk.WrapError(sdk.CodeInternal, err, "remove %s", dir)
	}
	_, retired := h.applyRetiring(ctx, cfg, Discover(cfg.PluginDirs))
	stopped := retired[p]
	if stopped == nil { // not running from this directory any more
		stopped = make(chan struct{})
		close(stopped)
	}
	h.log.Info("plugin removed", "plugin", name, "dir", dir)
	return stopped, aside, nil
}

// deleteRemoved deletes a removed plugin's set-aside directory.
func (h *Host) deleteRemoved(aside string) error {
	if aside == "" {
		return nil
	}
	if err := os.RemoveAll(aside); err != nil && !errors.Is(err, fs.ErrNotExist) {
		h.log.Warn("could not delete a removed plugin's files", "dir", aside, "error", err)
		return err
	}
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
