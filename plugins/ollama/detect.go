package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"sync"
	"time"

	"github.com/roundhouse-ai/roundhouse/sdk"
)

// exeName is the engine executable's file name on this platform.
func exeName() string {
	if runtime.GOOS == "windows" {
		return "ollama.exe"
	}
	return "ollama"
}

// probeClient talks to the engine for liveness checks only; short
// timeouts, never a proxy (the engine is on this machine or the LAN).
var probeClient = &http.Client{
	Timeout: 2 * time.Second,
	Transport: &http.Transport{
		Proxy:       nil,
		DialContext: (&net.Dialer{Timeout: time.Second}).DialContext,
	},
}

// probeVersion asks the engine at base for its version: the one test of
// "Ollama answers here" this plugin trusts.
func probeVersion(ctx context.Context, base *url.URL) (string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base.JoinPath("/api/version").String(), nil)
	if err != nil {
		return "", err
	}
	resp, err := probeClient.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("GET /api/version: HTTP %d", resp.StatusCode)
	}
	var v struct {
		Version string `json:"version"`
	}
	if err := json.Unmarshal(body, &v); err != nil {
		return "", fmt.Errorf("GET /api/version: not an Ollama answer: %v", err)
	}
	return v.Version, nil
}

// installRecord is what InstallEngine leaves in <data_dir>/engine/installed.json.
type installRecord struct {
	Dir     string `json:"dir"`
	Exe     string `json:"exe"`
	Version string `json:"version,omitempty"`
	SHA256  string `json:"sha256"`
	URL     string `json:"url,omitempty"`
}

func engineRoot(s settings) string        { return filepath.Join(s.dataDir, "engine") }
func installRecordPath(s settings) string { return filepath.Join(engineRoot(s), "installed.json") }

// readInstallRecord returns the installed engine, if its executable is
// still there.
func readInstallRecord(s settings) (installRecord, bool) {
	var r installRecord
	b, err := os.ReadFile(installRecordPath(s))
	if err != nil || json.Unmarshal(b, &r) != nil || r.Exe == "" {
		return r, false
	}
	if !filepath.IsAbs(r.Exe) {
		r.Exe = filepath.Join(engineRoot(s), r.Exe)
		r.Dir = filepath.Join(engineRoot(s), r.Dir)
	}
	if st, err := os.Stat(r.Exe); err != nil || st.IsDir() {
		return r, false
	}
	return r, true
}

// findExecutable picks the ollama to run: settings.ollama_path, else the
// copy InstallEngine installed, else ollama on PATH. source says which.
func findExecutable(s settings) (path, source string, err error) {
	if s.ollamaPath != "" {
		st, err := os.Stat(s.ollamaPath)
		switch {
		case err != nil:
			return "", "", sdk.Errorf(sdk.CodeEngineNotInstalled,
				"settings.ollama_path %q does not exist: fix the path, or clear it to use the installed copy or ollama on PATH", s.ollamaPath)
		case st.IsDir():
			return "", "", sdk.Errorf(sdk.CodeEngineNotInstalled,
				"settings.ollama_path %q is a directory; point it at the ollama executable", s.ollamaPath)
		}
		return s.ollamaPath, "settings", nil
	}
	if r, ok := readInstallRecord(s); ok {
		return r.Exe, "installed", nil
	}
	if p, err := exec.LookPath(exeName()); err == nil {
		if abs, err := filepath.Abs(p); err == nil {
			p = abs
		}
		return p, "path", nil
	}
	return "", "", sdk.Errorf(sdk.CodeEngineNotInstalled,
		"no ollama executable found (not in settings.ollama_path, not installed under %s, not on PATH): "+
			"install it with InstallEngine (url and sha256 of an Ollama .tgz or .zip), or set settings.ollama_path",
		engineRoot(s))
}

var versionPattern = regexp.MustCompile(`version is (\S+)`)
var clientVersionPattern = regexp.MustCompile(`client version is (\S+)`)

// versionCache avoids running the binary on every status call.
var versionCache sync.Map // key "path|size|mtime" → string

// binaryVersion runs `<exe> --version`. OLLAMA_HOST points at a port where
// nothing listens, so the answer is the binary's own version ("client
// version is X"), not that of whatever server runs on Ollama's default port.
func binaryVersion(ctx context.Context, exe string) (string, error) {
	st, err := os.Stat(exe)
	if err != nil {
		return "", err
	}
	key := fmt.Sprintf("%s|%d|%d", exe, st.Size(), st.ModTime().UnixNano())
	if v, ok := versionCache.Load(key); ok {
		return v.(string), nil
	}
	ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, exe, "--version")
	cmd.Env = append(os.Environ(), "OLLAMA_HOST=127.0.0.1:1")
	cmd.WaitDelay = 2 * time.Second // a child holding the output pipe must not hang us
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	runErr := cmd.Run()
	m := clientVersionPattern.FindSubmatch(out.Bytes())
	if m == nil {
		m = versionPattern.FindSubmatch(out.Bytes())
	}
	if m == nil {
		if runErr == nil {
			runErr = errors.New("no version in its output")
		}
		return "", fmt.Errorf("%s --version: %v: %s", exe, runErr, bytes.TrimSpace(out.Bytes()))
	}
	v := string(m[1])
	versionCache.Store(key, v)
	return v, nil
}

// locateExecutable finds the engine executable in an unpacked archive:
// bin/ollama (Linux layout), ollama at the top (macOS, Windows), or the
// first ollama found a few levels down (archives with a top directory).
func locateExecutable(root string) (string, error) {
	name := exeName()
	for _, c := range []string{filepath.Join(root, "bin", name), filepath.Join(root, name)} {
		if st, err := os.Stat(c); err == nil && st.Mode().IsRegular() {
			return c, nil
		}
	}
	var found string
	_ = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || found != "" {
			return filepath.SkipAll
		}
		rel, _ := filepath.Rel(root, p)
		if d.IsDir() && rel != "." && depth(rel) > 3 {
			return filepath.SkipDir
		}
		if !d.IsDir() && d.Name() == name && d.Type().IsRegular() {
			found = p
			return filepath.SkipAll
		}
		return nil
	})
	if found == "" {
		return "", fmt.Errorf("the archive has no %s executable (looked for bin/%s and %s)", name, name, name)
	}
	return found, nil
}

func depth(rel string) int {
	n := 1
	for _, c := range rel {
		if c == filepath.Separator {
			n++
		}
	}
	return n
}
