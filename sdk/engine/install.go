package engine

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/roundhouse-ai/roundhouse/types"
)

// Download is an engine release archive to install.
type Download struct {
	// URL is an http(s) URL of a .tar.gz, .tar.zst or .zip archive.
	URL string
	// SHA256 is the archive's digest, 64 hex digits. Required: an engine
	// is code the plugin will run, so an unverified download is refused.
	SHA256 string
	// Version is the version the caller expects; used when Verify reports
	// none.
	Version string
}

// Verified is what [Installer.Verify] learnt about an unpacked tree.
type Verified struct {
	// Version is the engine's own version (from running it, say).
	Version string
	// Exe is the engine executable, relative to the tree (see
	// [FindExecutable]); "" if the plugin finds it itself.
	Exe string
}

// Installation is one installed engine version.
type Installation struct {
	Dir         string    `json:"dir"` // absolute in the API, relative to Installer.Dir on disk
	Exe         string    `json:"exe,omitempty"`
	Version     string    `json:"version,omitempty"`
	SHA256      string    `json:"sha256"`
	URL         string    `json:"url,omitempty"`
	InstalledAt time.Time `json:"installed_at,omitzero"`
}

// record is Installer.Dir/installed.json: the current installation (its
// fields at the top level, as plugins/ollama wrote them before the kit)
// and the one it replaced.
type record struct {
	Installation
	Previous *Installation `json:"previous,omitempty"`
}

// Installer installs engine versions under Dir, one directory each
// ("<version>-<sha256[:12]>"), with Dir/installed.json naming the current
// one and the previous one. Installing never changes the current version
// unless every step succeeded: the download is verified, unpacked into a
// staging directory, checked by Verify, renamed into place, and only then
// does installed.json (replaced by rename, an atomic swap) point at it.
// Versions other than the current and previous are pruned, except those
// InUse reports.
//
// One Install or Rollback runs at a time per Installer; others wait,
// honouring their context. An Installer must not be copied after first use.
type Installer struct {
	// Name is the engine's name in messages ("ollama").
	Name string
	// Dir holds the installed versions.
	Dir string
	// DownloadDir keeps archives while they download (default
	// Dir/.downloads). A broken download stays there and is resumed.
	DownloadDir string
	// Client fetches archives (default DefaultDownloadClient).
	Client *http.Client
	// Verify checks an unpacked tree before it is swapped in (make the
	// executable executable, run it with --version, ...). An error refuses
	// the install and is shown to the user. Nil accepts any tree.
	Verify func(ctx context.Context, dir string) (Verified, error)
	// InUse reports a version directory that must not be pruned yet (the
	// running engine's).
	InUse func(dir string) bool
	// Logger receives the installer's events (default slog.Default()).
	Logger *slog.Logger

	once sync.Once
	sem  chan struct{}
}

// RecordPath is the file that names the current installation.
func (in *Installer) RecordPath() string { return filepath.Join(in.Dir, "installed.json") }

func (in *Installer) lock(ctx context.Context) (func(), error) {
	in.once.Do(func() { in.sem = make(chan struct{}, 1) })
	select {
	case in.sem <- struct{}{}:
		return func() { <-in.sem }, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

func (in *Installer) logger() *slog.Logger {
	if in.Logger != nil {
		return in.Logger
	}
	return slog.Default()
}

func (in *Installer) name() string {
	if in.Name != "" {
		return in.Name
	}
	return "engine"
}

// CheckDownload validates d: an http(s) URL and a sha256 of 64 hex
// digits. Its errors name the field ("url", "sha256").
func CheckDownload(d Download) error {
	u, err := url.Parse(d.URL)
	if d.URL == "" {
		return types.FieldError("url", "is required: the http(s) URL of the engine's release archive")
	}
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return types.FieldError("url", "%q is not an http(s) URL", d.URL)
	}
	if d.SHA256 == "" {
		return types.FieldError("sha256", "is required: engine downloads are always verified; take it from the release's published checksums")
	}
	if !IsSHA256(d.SHA256) {
		return types.FieldError("sha256", "must be 64 hex digits, got %q", d.SHA256)
	}
	return nil
}

// IsSHA256 reports whether s is 64 hex digits.
func IsSHA256(s string) bool {
	if len(s) != 64 {
		return false
	}
	_, err := hex.DecodeString(s)
	return err == nil
}

// Current returns the current installation, if its directory (and
// executable, when recorded) is still there.
func (in *Installer) Current() (Installation, bool) {
	r, ok := in.read()
	if !ok {
		return Installation{}, false
	}
	return in.present(r.Installation)
}

// Previous returns the installation the current one replaced, if it is
// still there (the one Rollback would switch to).
func (in *Installer) Previous() (Installation, bool) {
	r, ok := in.read()
	if !ok || r.Previous == nil {
		return Installation{}, false
	}
	return in.present(*r.Previous)
}

func (in *Installer) read() (record, bool) {
	var r record
	b, err := os.ReadFile(in.RecordPath())
	if err != nil || json.Unmarshal(b, &r) != nil || r.Dir == "" {
		return r, false
	}
	return r, true
}

// present makes inst's paths absolute and checks they exist.
func (in *Installer) present(inst Installation) (Installation, bool) {
	if inst.Dir == "" {
		return inst, false
	}
	if !filepath.IsAbs(inst.Dir) {
		inst.Dir = filepath.Join(in.Dir, inst.Dir)
	}
	if inst.Exe != "" && !filepath.IsAbs(inst.Exe) {
		inst.Exe = filepath.Join(in.Dir, inst.Exe)
	}
	if st, err := os.Stat(inst.Dir); err != nil || !st.IsDir() {
		return inst, false
	}
	if inst.Exe != "" {
		if st, err := os.Stat(inst.Exe); err != nil || st.IsDir() {
			return inst, false
		}
	}
	return inst, true
}

// relative is inst with paths relative to in.Dir, as stored.
func (in *Installer) relative(inst Installation) Installation {
	if rel, err := filepath.Rel(in.Dir, inst.Dir); err == nil {
		inst.Dir = rel
	}
	if inst.Exe != "" {
		if rel, err := filepath.Rel(in.Dir, inst.Exe); err == nil {
			inst.Exe = rel
		}
	}
	return inst
}

func (in *Installer) write(cur Installation, prev *Installation) error {
	r := record{Installation: in.relative(cur)}
	if prev != nil {
		p := in.relative(*prev)
		r.Previous = &p
	}
	return WriteFileAtomic(in.RecordPath(), r)
}

// Install downloads, verifies, unpacks and installs d, and makes it the
// current version; the version it replaces becomes the previous one. If d
// is already the current version (same sha256) and still passes Verify,
// nothing is downloaded. Progress events: "downloading" (Total,
// Completed), "verifying sha256 digest", "unpacking" (Verify runs in
// this phase), or only "already installed"; the caller sends its own final
// event ("success"). Errors are *types.Error:
// CodeEngineChecksum (field sha256) when the digest differs,
// CodeEngineInstallFailed otherwise, and ctx's error when it ends; a
// download that broke off or was cancelled resumes on the next call.
func (in *Installer) Install(ctx context.Context, d Download, progress func(*types.Progress) error) (Installation, error) {
	if err := CheckDownload(d); err != nil {
		return Installation{}, err
	}
	d.SHA256 = strings.ToLower(d.SHA256)
	unlock, err := in.lock(ctx)
	if err != nil {
		return Installation{}, err
	}
	defer unlock()

	rec, hasRec := in.read()
	if cur, ok := in.present(rec.Installation); hasRec && ok && cur.SHA256 == d.SHA256 {
		if in.Verify == nil {
			return cur, send(progress, &types.Progress{Status: "already installed", Digest: "sha256:" + d.SHA256})
		}
		if _, err := in.Verify(ctx, cur.Dir); err == nil {
			return cur, send(progress, &types.Progress{Status: "already installed", Digest: "sha256:" + d.SHA256})
		}
	}

	dlDir := in.DownloadDir
	if dlDir == "" {
		dlDir = filepath.Join(in.Dir, ".downloads")
	}
	for _, dir := range []string{in.Dir, dlDir} {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return Installation{}, types.WrapError(types.CodeEngineInstallFailed, err, "create %s (check its permissions)", dir)
		}
	}
	archive := filepath.Join(dlDir, d.SHA256+".partial")
	client := in.Client
	if client == nil {
		client = DefaultDownloadClient
	}
	sum, err := fetch(ctx, client, d, archive, progress)
	if err != nil {
		if st, serr := os.Stat(archive); serr == nil && st.Size() == 0 {
			_ = os.Remove(archive) // nothing to resume
		}
		return Installation{}, err
	}
	if err := send(progress, &types.Progress{Status: "verifying sha256 digest", Digest: "sha256:" + d.SHA256}); err != nil {
		return Installation{}, err
	}
	if sum != d.SHA256 {
		_ = os.Remove(archive) // not a prefix of the right file either: start over next time
		return Installation{}, &types.Error{Code: types.CodeEngineChecksum, Field: "sha256",
			Message: fmt.Sprintf("the download from %s has sha256 %s, not the expected %s; nothing was installed. "+
				"Check that url and sha256 belong together (and to this platform), then retry", d.URL, sum, d.SHA256)}
	}
	inst, err := in.unpack(ctx, d, archive, progress)
	if err != nil {
		if ctx.Err() == nil { // a cancelled install keeps the verified archive for the next try
			_ = os.Remove(archive)
		}
		return Installation{}, err
	}
	_ = os.Remove(archive)
	var prev *Installation
	if old, ok := in.present(rec.Installation); hasRec && ok && old.Dir != inst.Dir {
		prev = &old
	} else if p := rec.Previous; p != nil {
		if old, ok := in.present(*p); ok && old.Dir != inst.Dir {
			prev = &old
		}
	}
	if err := in.write(inst, prev); err != nil {
		return Installation{}, types.WrapError(types.CodeEngineInstallFailed, err, "record the installed %s", in.name())
	}
	in.prune(inst, prev)
	in.logger().Info(in.name()+" engine installed", "version", inst.Version, "dir", inst.Dir)
	return inst, nil
}

// unpack extracts the verified archive into a staging directory, runs
// Verify on it and renames it into its version directory.
func (in *Installer) unpack(ctx context.Context, d Download, archive string, progress func(*types.Progress) error) (Installation, error) {
	if err := send(progress, &types.Progress{Status: "unpacking"}); err != nil {
		return Installation{}, err
	}
	stage, err := os.MkdirTemp(in.Dir, ".unpack-")
	if err != nil {
		return Installation{}, types.WrapError(types.CodeEngineInstallFailed, err, "create a staging dir in %s", in.Dir)
	}
	committed := false
	defer func() {
		if !committed {
			_ = os.RemoveAll(stage)
		}
	}()
	if err := Extract(ctx, archive, stage); err != nil {
		if ctx.Err() != nil {
			return Installation{}, ctx.Err()
		}
		return Installation{}, types.WrapError(types.CodeEngineInstallFailed, err, "unpack %s", d.URL)
	}
	v := Verified{Version: d.Version}
	if in.Verify != nil {
		got, err := in.Verify(ctx, stage)
		if err != nil {
			return Installation{}, types.WrapError(types.CodeEngineInstallFailed, err, "the %s from %s", in.name(), d.URL)
		}
		if got.Version != "" {
			v.Version = got.Version
		}
		v.Exe = got.Exe
	}
	final := filepath.Join(in.Dir, sanitize(v.Version)+"-"+d.SHA256[:12])
	if err := os.RemoveAll(final); err != nil { // a broken copy of this very version
		return Installation{}, types.WrapError(types.CodeEngineInstallFailed, err, "replace %s", final)
	}
	if err := os.Rename(stage, final); err != nil {
		return Installation{}, types.WrapError(types.CodeEngineInstallFailed, err, "move the %s into %s", in.name(), final)
	}
	committed = true
	inst := Installation{Dir: final, Version: v.Version, SHA256: d.SHA256, URL: d.URL, InstalledAt: time.Now().UTC()}
	if v.Exe != "" {
		rel := v.Exe
		if filepath.IsAbs(rel) {
			rel, _ = filepath.Rel(stage, rel)
		}
		inst.Exe = filepath.Join(final, rel)
	}
	return inst, nil
}

// Rollback makes the previous installation current again (and the current
// one previous), if it is still there. It does not restart anything.
func (in *Installer) Rollback(ctx context.Context) (Installation, error) {
	unlock, err := in.lock(ctx)
	if err != nil {
		return Installation{}, err
	}
	defer unlock()
	r, ok := in.read()
	if !ok || r.Previous == nil {
		return Installation{}, types.Errorf(types.CodeEngineNotInstalled, "there is no previous %s version to roll back to", in.name())
	}
	prev, ok := in.present(*r.Previous)
	if !ok {
		return Installation{}, types.Errorf(types.CodeEngineNotInstalled,
			"the previous %s version (%s) is no longer on disk; install it again instead", in.name(), r.Previous.Version)
	}
	var cur *Installation
	if c, ok := in.present(r.Installation); ok {
		cur = &c
	}
	if err := in.write(prev, cur); err != nil {
		return Installation{}, types.WrapError(types.CodeEngineInstallFailed, err, "record the rollback")
	}
	in.logger().Info(in.name()+" engine rolled back", "version", prev.Version, "dir", prev.Dir)
	return prev, nil
}

// Prune removes version directories other than the current and previous
// ones, except those InUse reports. Install prunes by itself; call this
// when a version stopped being in use (after a restart on a new version).
func (in *Installer) Prune(ctx context.Context) error {
	unlock, err := in.lock(ctx)
	if err != nil {
		return err
	}
	defer unlock()
	r, ok := in.read()
	if !ok {
		return nil
	}
	cur, _ := in.present(r.Installation)
	var prev *Installation
	if r.Previous != nil {
		p, _ := in.present(*r.Previous)
		prev = &p
	}
	in.prune(cur, prev)
	return nil
}

func (in *Installer) prune(cur Installation, prev *Installation) {
	entries, err := os.ReadDir(in.Dir)
	if err != nil {
		return
	}
	for _, e := range entries {
		if !e.IsDir() || strings.HasPrefix(e.Name(), ".") {
			continue
		}
		dir := filepath.Join(in.Dir, e.Name())
		if dir == cur.Dir || (prev != nil && dir == prev.Dir) || (in.InUse != nil && in.InUse(dir)) {
			continue
		}
		if err := os.RemoveAll(dir); err != nil {
			in.logger().Warn("could not remove an old engine version", "engine", in.name(), "dir", dir, "error", err)
		}
	}
}

// WriteFileAtomic writes v as indented JSON to path through a temporary
// file and a rename, so readers see the old content or the new, never
// half of it.
func WriteFileAtomic(path string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".tmp-*")
	if err != nil {
		return err
	}
	_, err = tmp.Write(b)
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		err = errors.Join(err, os.Remove(tmp.Name()))
	}
	return err
}

// sanitize keeps a version string safe as a directory name.
func sanitize(s string) string {
	s = strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '.', r == '-', r == '_':
			return r
		}
		return '_'
	}, s)
	if s == "" || strings.Trim(s, ".") == "" {
		return "unknown"
	}
	return s
}
