package main

import (
	"cmp"
	"context"
	"net/url"
	"path/filepath"
	"runtime"
	"strings"

	"github.com/roundhouse-ai/roundhouse/sdk"
	"github.com/roundhouse-ai/roundhouse/sdk/engine"
	"github.com/roundhouse-ai/roundhouse/sdk/manifest"
)

// InstallEngine downloads, verifies and unpacks an Ollama release into the
// data dir with the engine kit's Installer. Nothing changes unless every
// step succeeds: the archive is staged in download_dir (a broken download
// resumes there), unpacked into a temporary directory under
// <data_dir>/engine, checked (it must hold an ollama that runs here),
// renamed into place, and only then does installed.json (written by
// rename) point at it; the version it replaced stays for rollback. A
// running managed engine keeps running its old binary; UpgradeEngine
// restarts it.
func (p *plugin) InstallEngine(ctx context.Context, req *sdk.InstallEngineRequest, progress func(*sdk.Progress) error) error {
	mode := p.decideMode(ctx)
	if mode == modeAttached {
		return notManaged(p.snapshot().set, "installs")
	}
	if err := p.install(ctx, req, progress); err != nil {
		return err
	}
	return send(progress, &sdk.Progress{Status: "success"})
}

// download is what to fetch.
type download struct {
	url, sha256, version string
}

// resolveDownload picks the archive: the request's url, else the
// settings', else the manifest's pinned one for this platform, else
// Ollama's own release archive for the manifest's engine version with the
// sha256 from the request or settings.download_sha256. Every source must
// come with a sha256.
func resolveDownload(req *sdk.InstallEngineRequest, s settings, m *manifest.Manifest) (download, error) {
	if req == nil {
		req = &sdk.InstallEngineRequest{}
	}
	d := download{url: req.URL, sha256: req.SHA256, version: req.Version}
	field := "url"
	switch {
	case req.URL != "":
		if d.sha256 == "" {
			return d, sdk.FieldError("sha256", "required with url: engine downloads are always verified")
		}
	case s.downloadURL != "":
		d.url, field = s.downloadURL, "settings.download_url"
		if d.sha256 == "" {
			d.sha256 = s.downloadSHA
		}
		if d.sha256 == "" {
			return d, sdk.FieldError("settings.download_sha256", "required with settings.download_url: engine downloads are always verified")
		}
	default:
		md, ok := platformDownload(m)
		if ok && m.Engine != nil && (req.Version == "" || req.Version == m.Engine.Version) {
			if d.sha256 != "" && !strings.EqualFold(d.sha256, md.SHA256) {
				return d, sdk.FieldError("sha256", "differs from the sha256 pinned for this platform; pass url as well to install another archive")
			}
			d.url, field = md.URL, "engine.downloads"
			d.sha256 = md.SHA256
			if d.version == "" {
				d.version = m.Engine.Version
			}
			break
		}
		// The release archive is known, its checksum is not pinned: take it
		// from the request or settings.download_sha256.
		if sha := cmp.Or(d.sha256, s.downloadSHA); sha != "" && m.Engine != nil && (req.Version == "" || req.Version == m.Engine.Version) {
			if u, ok := releaseURL(m.Engine.Version, runtime.GOOS, runtime.GOARCH); ok {
				d.url, d.sha256, field = u, sha, "url"
				if d.version == "" {
					d.version = m.Engine.Version
				}
				break
			}
		}
		what := "this plugin has no pinned Ollama download for " + manifest.PlatformKey(runtime.GOOS, runtime.GOARCH)
		if req.Version != "" {
			what = "this plugin knows no download for Ollama " + req.Version + " on " + manifest.PlatformKey(runtime.GOOS, runtime.GOARCH)
		}
		hint := ""
		if m.Engine != nil && req.Version == "" {
			if u, ok := releaseURL(m.Engine.Version, runtime.GOOS, runtime.GOARCH); ok {
				hint = "; or set settings.download_sha256 to the sha256 of " + u + " (from Ollama's release page) to install that archive"
			}
		}
		return d, sdk.FieldError("url", "%s: pass url and sha256 of an Ollama release archive (.tar.zst, .tgz or .zip) in the request, "+
			"or set settings.download_url and settings.download_sha256%s", what, hint)
	}
	u, err := url.Parse(d.url)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return d, sdk.FieldError(field, "%q is not an http(s) URL", d.url)
	}
	if !engine.IsSHA256(d.sha256) {
		return d, sdk.FieldError("sha256", "must be 64 hex digits, got %q", d.sha256)
	}
	d.sha256 = strings.ToLower(d.sha256)
	return d, nil
}

func (p *plugin) install(ctx context.Context, req *sdk.InstallEngineRequest, progress func(*sdk.Progress) error) error {
	st := p.snapshot()
	d, err := resolveDownload(req, st.set, p.manifest)
	if err != nil {
		return err
	}
	select {
	case p.installMu <- struct{}{}:
		defer func() { <-p.installMu }()
	case <-ctx.Done():
		return ctx.Err()
	}
	if _, err := p.installer(st.set, d.version).Install(ctx, engine.Download{URL: d.url, SHA256: d.sha256, Version: d.version}, progress); err != nil {
		return err
	}
	if st.set.ollamaPath != "" {
		return send(progress, &sdk.Progress{Status: "installed", Message: "settings.ollama_path (" + st.set.ollamaPath + ") takes precedence; clear it to use this copy"})
	}
	return nil
}

// installer installs Ollama releases under <data_dir>/engine; want is the
// version the caller asked for, if any. The copy a running managed engine
// executes is never pruned.
func (p *plugin) installer(s settings, want string) *engine.Installer {
	return &engine.Installer{
		Name:        "ollama",
		Dir:         engineRoot(s),
		DownloadDir: s.downloadDir,
		Verify: func(ctx context.Context, dir string) (engine.Verified, error) {
			return verifyRelease(ctx, dir, want)
		},
		InUse: func(dir string) bool {
			sup := p.snapshot().sup
			return sup != nil && !sup.Finished() && strings.HasPrefix(sup.Spec().Exe, dir+string(filepath.Separator))
		},
	}
}

// releaseURL is Ollama's own release archive for a platform, named as
// Ollama's build scripts name them (scripts/build_linux.sh,
// build_darwin.sh and build_windows.ps1 in ollama v0.17.4) and published
// on its GitHub release. Their checksums are not pinned here: this
// project could not fetch and verify them, and a guessed checksum would
// defeat the check, so the sha256 stays a setting.
func releaseURL(version, goos, goarch string) (string, bool) {
	var asset string
	switch {
	case goos == "linux" && (goarch == "amd64" || goarch == "arm64"):
		asset = "ollama-linux-" + goarch + ".tar.zst"
	case goos == "darwin":
		asset = "ollama-darwin.tgz"
	case goos == "windows" && goarch == "amd64":
		asset = "ollama-windows-amd64.zip"
	default:
		return "", false
	}
	return "https://github.com/ollama/ollama/releases/download/v" + strings.TrimPrefix(version, "v") + "/" + asset, true
}
