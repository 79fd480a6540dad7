package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/roundhouse-ai/roundhouse/sdk"
	"github.com/roundhouse-ai/roundhouse/sdk/engine"
	"github.com/roundhouse-ai/roundhouse/sdk/manifest"
)

// exeName is the engine executable's file name on this platform.
func exeName() string { return engine.ExeName("ollama") }

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

func engineRoot(s settings) string { return filepath.Join(s.dataDir, "engine") }

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
	if inst, ok := (&engine.Installer{Dir: engineRoot(s)}).Current(); ok && inst.Exe != "" {
		return inst.Exe, "installed", nil
	}
	if p, err := exec.LookPath(exeName()); err == nil {
		if abs, err := filepath.Abs(p); err == nil {
			p = abs
		}
		return p, "path", nil
	}
	return "", "", sdk.Errorf(sdk.CodeEngineNotInstalled,
		"no ollama executable found (not in settings.ollama_path, not installed under %s, not on PATH): "+
			"install it with InstallEngine (url and sha256 of an Ollama .tar.zst, .tgz or .zip), or set settings.ollama_path",
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

// verifyRelease checks an unpacked Ollama release (the engine kit's
// Installer.Verify): it must hold an ollama executable (bin/ollama on
// Linux, ollama at the top on macOS and Windows) that runs on this machine.
func verifyRelease(ctx context.Context, dir, want string) (engine.Verified, error) {
	exe, err := engine.FindExecutable(dir, exeName())
	if err != nil {
		return engine.Verified{}, err
	}
	if err := os.Chmod(exe, 0o755); err != nil {
		return engine.Verified{}, fmt.Errorf("make %s executable: %w", exe, err)
	}
	version, err := binaryVersion(ctx, exe)
	if err != nil {
		return engine.Verified{}, fmt.Errorf("the downloaded ollama does not run on this machine (%s); is the archive for this platform? %w",
			manifest.PlatformKey(runtime.GOOS, runtime.GOARCH), err)
	}
	if want != "" && strings.TrimPrefix(want, "v") != strings.TrimPrefix(version, "v") {
		slog.Warn("installed ollama reports another version than requested", "requested", want, "reported", version)
	}
	rel, _ := filepath.Rel(dir, exe)
	return engine.Verified{Version: version, Exe: rel}, nil
}
