package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/roundhouse-ai/roundhouse/sdk"
	"github.com/roundhouse-ai/roundhouse/sdk/manifest"
)

// downloadClient fetches engine archives: proxies from the environment are
// honoured (this is internet traffic), redirects followed (release assets
// redirect to a CDN), and there is no overall timeout since the archive is
// large; the caller's context bounds it.
var downloadClient = &http.Client{
	Transport: &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           (&net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		TLSHandshakeTimeout:   15 * time.Second,
		ResponseHeaderTimeout: 60 * time.Second,
	},
}

// progressEvery throttles download progress events.
const (
	progressBytes    = 1 << 20
	progressInterval = 250 * time.Millisecond
)

// InstallEngine downloads, verifies and unpacks an Ollama release into the
// data dir. Nothing changes unless every step succeeds: the archive is
// staged in download_dir, unpacked into a temporary directory under
// <data_dir>/engine, renamed into place, and only then does installed.json
// (written by rename) point at it. A running managed engine keeps running
// its old binary; UpgradeEngine restarts it.
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
// settings', else the manifest's for this platform. Every source must
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
		what := "this plugin has no pinned Ollama download for " + manifest.PlatformKey(runtime.GOOS, runtime.GOARCH)
		if req.Version != "" {
			what = "this plugin knows no download for Ollama " + req.Version + " on " + manifest.PlatformKey(runtime.GOOS, runtime.GOARCH)
		}
		return d, sdk.FieldError("url", "%s: pass url and sha256 of an Ollama release archive (.tgz or .zip) in the request, "+
			"or set settings.download_url and settings.download_sha256", what)
	}
	u, err := url.Parse(d.url)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return d, sdk.FieldError(field, "%q is not an http(s) URL", d.url)
	}
	if !isSHA256(d.sha256) {
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

	if r, ok := readInstallRecord(st.set); ok && r.SHA256 == d.sha256 {
		if _, err := binaryVersion(ctx, r.Exe); err == nil {
			return send(progress, &sdk.Progress{Status: "already installed", Digest: "sha256:" + d.sha256})
		}
	}

	root := engineRoot(st.set)
	for _, dir := range []string{root, st.set.downloadDir} {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return sdk.WrapError(sdk.CodeEngineInstallFailed, err, "create %s (check the data dir's permissions or settings.download_dir)", dir)
		}
	}
	tmp, err := os.CreateTemp(st.set.downloadDir, "ollama-*.download")
	if err != nil {
		return sdk.WrapError(sdk.CodeEngineInstallFailed, err, "create a download file in %s", st.set.downloadDir)
	}
	defer os.Remove(tmp.Name())
	sum, err := fetch(ctx, d, tmp, progress)
	if cerr := tmp.Close(); err == nil && cerr != nil {
		err = sdk.WrapError(sdk.CodeEngineInstallFailed, cerr, "write %s", tmp.Name())
	}
	if err != nil {
		return err
	}

	if err := send(progress, &sdk.Progress{Status: "verifying sha256 digest", Digest: "sha256:" + d.sha256}); err != nil {
		return err
	}
	if sum != d.sha256 {
		return &sdk.Error{Code: sdk.CodeEngineChecksum, Field: "sha256",
			Message: fmt.Sprintf("the download from %s has sha256 %s, not the expected %s; nothing was installed. "+
				"Check that url and sha256 belong together (and to this platform), then retry", d.url, sum, d.sha256)}
	}

	if err := send(progress, &sdk.Progress{Status: "unpacking"}); err != nil {
		return err
	}
	stage, err := os.MkdirTemp(root, ".unpack-")
	if err != nil {
		return sdk.WrapError(sdk.CodeEngineInstallFailed, err, "create a staging dir in %s", root)
	}
	committed := false
	defer func() {
		if !committed {
			_ = os.RemoveAll(stage)
		}
	}()
	if err := extractArchive(tmp.Name(), stage); err != nil {
		return sdk.WrapError(sdk.CodeEngineInstallFailed, err, "unpack %s", d.url)
	}
	exe, err := locateExecutable(stage)
	if err != nil {
		return sdk.WrapError(sdk.CodeEngineInstallFailed, err, "install from %s", d.url)
	}
	if err := os.Chmod(exe, 0o755); err != nil {
		return sdk.WrapError(sdk.CodeEngineInstallFailed, err, "make %s executable", exe)
	}
	version, err := binaryVersion(ctx, exe)
	if err != nil {
		return sdk.WrapError(sdk.CodeEngineInstallFailed, err,
			"the downloaded ollama does not run on this machine (%s); is the archive for this platform?", manifest.PlatformKey(runtime.GOOS, runtime.GOARCH))
	}
	if d.version != "" && strings.TrimPrefix(d.version, "v") != strings.TrimPrefix(version, "v") {
		slog.Warn("installed ollama reports another version than requested", "requested", d.version, "reported", version)
	}

	// Move into place: engine/<version>-<sha12>, then repoint installed.json.
	name := fmt.Sprintf("%s-%s", sanitize(version), d.sha256[:12])
	final := filepath.Join(root, name)
	relExe, _ := filepath.Rel(stage, exe)
	if err := os.RemoveAll(final); err != nil {
		return sdk.WrapError(sdk.CodeEngineInstallFailed, err, "replace %s", final)
	}
	if err := os.Rename(stage, final); err != nil {
		return sdk.WrapError(sdk.CodeEngineInstallFailed, err, "move the engine into %s", final)
	}
	committed = true
	rec := installRecord{Dir: name, Exe: filepath.Join(name, relExe), Version: version, SHA256: d.sha256, URL: d.url}
	if err := writeJSONAtomic(installRecordPath(st.set), rec); err != nil {
		_ = os.RemoveAll(final)
		return sdk.WrapError(sdk.CodeEngineInstallFailed, err, "record the installed engine")
	}
	p.pruneInstalls(st.set, name)
	slog.Info("ollama engine installed", "version", version, "dir", final)
	if st.set.ollamaPath != "" {
		return send(progress, &sdk.Progress{Status: "installed", Message: "settings.ollama_path (" + st.set.ollamaPath + ") takes precedence; clear it to use this copy"})
	}
	return nil
}

// fetch streams url into w, hashing as it goes, with progress events.
func fetch(ctx context.Context, d download, w io.Writer, progress func(*sdk.Progress) error) (string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, d.url, nil)
	if err != nil {
		return "", sdk.WrapError(sdk.CodeEngineInstallFailed, err, "download %s", d.url)
	}
	resp, err := downloadClient.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return "", ctx.Err()
		}
		return "", &sdk.Error{Code: sdk.CodeEngineInstallFailed, Retryable: true, Err: err,
			Message: "download " + d.url + ": " + err.Error() + "; check the URL and network access (proxies come from HTTPS_PROXY)"}
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return "", &sdk.Error{Code: sdk.CodeEngineInstallFailed, Retryable: resp.StatusCode >= 500,
			Message: fmt.Sprintf("download %s: HTTP %s; check the URL", d.url, resp.Status)}
	}
	total := max(resp.ContentLength, 0)
	h := sha256.New()
	pr := &sdk.Progress{Status: "downloading", Digest: "sha256:" + d.sha256, Total: total}
	if err := send(progress, pr); err != nil {
		return "", err
	}
	buf := make([]byte, 256<<10)
	var done, reported int64
	last := time.Now()
	for {
		n, rerr := resp.Body.Read(buf)
		if n > 0 {
			if _, err := w.Write(buf[:n]); err != nil {
				return "", sdk.WrapError(sdk.CodeEngineInstallFailed, err, "write the download (disk full?)")
			}
			h.Write(buf[:n])
			done += int64(n)
			if done-reported >= progressBytes || time.Since(last) >= progressInterval {
				reported, last = done, time.Now()
				if err := send(progress, &sdk.Progress{Status: "downloading", Digest: pr.Digest, Total: total, Completed: done}); err != nil {
					return "", err
				}
			}
		}
		if rerr == io.EOF {
			break
		}
		if rerr != nil {
			if ctx.Err() != nil {
				return "", ctx.Err()
			}
			return "", &sdk.Error{Code: sdk.CodeEngineInstallFailed, Retryable: true, Err: rerr,
				Message: "download " + d.url + " broke off after " + fmt.Sprint(done) + " bytes: " + rerr.Error() + "; retry"}
		}
	}
	if total > 0 && done != total {
		return "", &sdk.Error{Code: sdk.CodeEngineInstallFailed, Retryable: true,
			Message: fmt.Sprintf("download %s ended after %d of %d bytes; retry", d.url, done, total)}
	}
	if done != reported {
		if err := send(progress, &sdk.Progress{Status: "downloading", Digest: pr.Digest, Total: max(total, done), Completed: done}); err != nil {
			return "", err
		}
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// pruneInstalls removes older engine copies, except the one a running
// managed engine still executes (it goes on the next install).
func (p *plugin) pruneInstalls(s settings, keep string) {
	running := ""
	if sup := p.snapshot().sup; sup != nil {
		running = sup.spec.exe
	}
	entries, err := os.ReadDir(engineRoot(s))
	if err != nil {
		return
	}
	for _, e := range entries {
		if !e.IsDir() || e.Name() == keep || strings.HasPrefix(e.Name(), ".unpack-") {
			continue
		}
		dir := filepath.Join(engineRoot(s), e.Name())
		if running != "" && strings.HasPrefix(running, dir+string(filepath.Separator)) {
			continue
		}
		if err := os.RemoveAll(dir); err != nil {
			slog.Warn("could not remove an old ollama engine", "dir", dir, "error", err)
		}
	}
}

func writeJSONAtomic(path string, v any) error {
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
		os.Remove(tmp.Name())
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
