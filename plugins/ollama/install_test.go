//go:build unix

package main

import (
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/roundhouse-ai/roundhouse/sdk"
	"github.com/roundhouse-ai/roundhouse/sdk/engine/enginetest"
)

// fakeRelease is a .tgz laid out like Ollama's Linux release, whose
// bin/ollama is a script answering --version.
func fakeRelease(t *testing.T, version string) ([]byte, string) {
	t.Helper()
	script := "#!/bin/sh\necho 'Warning: could not connect to a running Ollama instance'\necho 'Warning: client version is " + version + "'\n"
	data := enginetest.MustArchive(t, "tar.gz", []enginetest.File{
		{Name: "bin/ollama", Body: script, Mode: 0o755},
		{Name: "lib/ollama/libggml-base.so", Body: string(noise(3 << 20))}, // incompressible, so the download has steps
	})
	return data, enginetest.SHA256(data)
}

// noise is n deterministic pseudo-random bytes.
func noise(n int) []byte {
	b := make([]byte, n)
	r := rand.New(rand.NewPCG(1, 2))
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

func serveBytes(t *testing.T, data []byte) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/ollama-linux-amd64.tgz" {
			http.NotFound(w, r)
			return
		}
		http.ServeContent(w, r, "x.tgz", time.Time{}, strings.NewReader(string(data)))
	}))
	t.Cleanup(srv.Close)
	return srv
}

// entries lists a directory's names (nil when it does not exist).
func entries(dir string) []string {
	des, _ := os.ReadDir(dir)
	var names []string
	for _, d := range des {
		names = append(names, d.Name())
	}
	return names
}

func TestInstallEngine(t *testing.T) {
	data, sum := fakeRelease(t, "9.9.9")
	srv := serveBytes(t, data)
	t.Setenv("PATH", t.TempDir()) // no ollama elsewhere
	p := testPlugin(t, map[string]any{"engine_host": freeHost(t)})
	ctx := ctxT(t, 60*time.Second)
	set := p.snapshot().set

	var events []sdk.Progress
	err := p.InstallEngine(ctx, &sdk.InstallEngineRequest{URL: srv.URL + "/ollama-linux-amd64.tgz", SHA256: strings.ToUpper(sum)},
		func(pr *sdk.Progress) error { events = append(events, *pr); return nil })
	if err != nil {
		t.Fatal(err)
	}
	var statuses []string
	var last int64 = -1
	downloads := 0
	for _, e := range events {
		if len(statuses) == 0 || statuses[len(statuses)-1] != e.Status {
			statuses = append(statuses, e.Status)
		}
		if e.Status == "downloading" {
			downloads++
			if e.Total != int64(len(data)) || e.Completed < last || e.Digest != "sha256:"+sum {
				t.Errorf("download event %+v (last completed %d)", e, last)
			}
			last = e.Completed
		}
	}
	if got := strings.Join(statuses, "|"); got != "downloading|verifying sha256 digest|unpacking|success" {
		t.Errorf("statuses = %s", got)
	}
	if downloads < 3 || last != int64(len(data)) {
		t.Errorf("%d download events, last completed %d of %d", downloads, last, len(data))
	}

	exe, source, err := findExecutable(set)
	if err != nil || source != "installed" || !strings.HasPrefix(exe, engineRoot(set)) {
		t.Fatalf("findExecutable = %q %q %v", exe, source, err)
	}
	es, err := p.CheckEngine(ctx)
	if err != nil || !es.Installed || es.Version != "9.9.9" || es.Executable != exe || es.Running {
		t.Errorf("CheckEngine = %+v, %v", es, err)
	}
	if got := entries(set.downloadDir); len(got) != 0 {
		t.Errorf("download dir not cleaned: %v", got)
	}

	// Same archive again: nothing to do.
	events = nil
	if err := p.InstallEngine(ctx, &sdk.InstallEngineRequest{URL: srv.URL + "/ollama-linux-amd64.tgz", SHA256: sum},
		func(pr *sdk.Progress) error { events = append(events, *pr); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(events) == 0 || events[0].Status != "already installed" {
		t.Errorf("reinstall events = %+v", events)
	}

	// A newer release replaces it; the old copy is removed.
	data2, sum2 := fakeRelease(t, "10.0.0")
	srv2 := serveBytes(t, data2)
	if err := p.UpgradeEngine(ctx, &sdk.InstallEngineRequest{URL: srv2.URL + "/ollama-linux-amd64.tgz", SHA256: sum2}, nil); err != nil {
		t.Fatal(err)
	}
	es, _ = p.EngineStatus(ctx)
	if es.Version != "10.0.0" {
		t.Errorf("after upgrade version = %q", es.Version)
	}
	if got := entries(engineRoot(set)); len(got) != 3 { // installed.json, the new engine and the previous one (for rollback)
		t.Errorf("engine dir holds %v", got)
	}
}

func TestInstallChecksumMismatchLeavesNothing(t *testing.T) {
	data, sum := fakeRelease(t, "9.9.9")
	srv := serveBytes(t, data)
	t.Setenv("PATH", t.TempDir())
	p := testPlugin(t, map[string]any{"engine_host": freeHost(t)})
	ctx := ctxT(t, 60*time.Second)
	set := p.snapshot().set

	wrong := strings.Repeat("0", 64)
	err := p.InstallEngine(ctx, &sdk.InstallEngineRequest{URL: srv.URL + "/ollama-linux-amd64.tgz", SHA256: wrong}, nil)
	e := wantCode(t, err, sdk.CodeEngineChecksum)
	if !strings.Contains(e.Message, sum) || !strings.Contains(e.Message, wrong) || !strings.Contains(e.Message, "nothing was installed") {
		t.Errorf("message = %q", e.Message)
	}
	if got := entries(engineRoot(set)); len(got) != 0 {
		t.Errorf("engine dir after a failed install: %v", got)
	}
	if got := entries(set.downloadDir); len(got) != 0 {
		t.Errorf("download dir after a failed install: %v", got)
	}
	if _, _, err := findExecutable(set); sdk.ErrorCode(err) != sdk.CodeEngineNotInstalled {
		t.Errorf("an engine is installed after a checksum mismatch: %v", err)
	}
}

func TestInstallErrors(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	p := testPlugin(t, map[string]any{"engine_host": freeHost(t)})
	ctx := ctxT(t, 30*time.Second)
	sha := strings.Repeat("a", 64)

	// Nothing pinned for this platform: the request must say what to fetch.
	e := wantCode(t, p.InstallEngine(ctx, &sdk.InstallEngineRequest{}, nil), sdk.CodeInvalidArgument)
	if e.Field != "url" || !strings.Contains(e.Message, "download_url") {
		t.Errorf("no source: %+v", e)
	}
	e = wantCode(t, p.InstallEngine(ctx, &sdk.InstallEngineRequest{URL: "https://example.com/o.tgz"}, nil), sdk.CodeInvalidArgument)
	if e.Field != "sha256" {
		t.Errorf("url without sha256: %+v", e)
	}
	wantCode(t, p.InstallEngine(ctx, &sdk.InstallEngineRequest{URL: "file:///etc/passwd", SHA256: sha}, nil), sdk.CodeInvalidArgument)
	wantCode(t, p.InstallEngine(ctx, &sdk.InstallEngineRequest{URL: "https://example.com/o.tgz", SHA256: "xyz"}, nil), sdk.CodeInvalidArgument)

	data, sum := fakeRelease(t, "1.0.0")
	srv := serveBytes(t, data)
	e = wantCode(t, p.InstallEngine(ctx, &sdk.InstallEngineRequest{URL: srv.URL + "/missing.tgz", SHA256: sum}, nil), sdk.CodeEngineInstallFailed)
	if !strings.Contains(e.Message, "404") {
		t.Errorf("404: %q", e.Message)
	}

	// An archive without an ollama in it.
	noExe := enginetest.MustArchive(t, "tar.gz", []enginetest.File{{Name: "README", Body: "hi"}})
	srv2 := serveBytes(t, noExe)
	e = wantCode(t, p.InstallEngine(ctx, &sdk.InstallEngineRequest{URL: srv2.URL + "/ollama-linux-amd64.tgz", SHA256: enginetest.SHA256(noExe)}, nil), sdk.CodeEngineInstallFailed)
	if !strings.Contains(e.Message, "no ollama executable") {
		t.Errorf("no exe: %q", e.Message)
	}
	// A traversal archive with the right checksum is still refused.
	evil := enginetest.MustArchive(t, "tar.gz", []enginetest.File{{Name: "bin/ollama", Body: "x", Mode: 0o755}, {Name: "../../evil", Body: "x"}})
	srv3 := serveBytes(t, evil)
	wantCode(t, p.InstallEngine(ctx, &sdk.InstallEngineRequest{URL: srv3.URL + "/ollama-linux-amd64.tgz", SHA256: enginetest.SHA256(evil)}, nil), sdk.CodeEngineInstallFailed)
	set := p.snapshot().set
	if got := entries(engineRoot(set)); len(got) != 0 {
		t.Errorf("engine dir after failed installs: %v", got)
	}
	if _, err := os.Stat(filepath.Join(filepath.Dir(set.dataDir), "evil")); err == nil {
		t.Error("traversal entry written")
	}

	// settings.download_url + download_sha256 are used when the request has no url.
	p2 := testPlugin(t, map[string]any{"engine_host": freeHost(t), "download_url": srv.URL + "/ollama-linux-amd64.tgz", "download_sha256": sum})
	if err := p2.InstallEngine(ctx, nil, nil); err != nil {
		t.Fatal(err)
	}
	if es, _ := p2.EngineStatus(ctx); es.Version != "1.0.0" {
		t.Errorf("installed from settings: %+v", es)
	}
}

// With only a sha256 (settings or request), the official release archive
// for this version and platform is fetched: a .tar.zst on Linux.
func TestReleaseArchiveWithSettingsSHA(t *testing.T) {
	m := loadManifest()
	sum := strings.Repeat("ab", 32)
	s, err := parseSettings(&sdk.Config{DataDir: t.TempDir(), Settings: map[string]any{"download_sha256": sum}}, m)
	if err != nil {
		t.Fatal(err)
	}
	d, err := resolveDownload(nil, s, m)
	want, ok := releaseURL(m.Engine.Version, runtime.GOOS, runtime.GOARCH)
	if !ok {
		t.Skip("no Ollama release archive for this platform")
	}
	if err != nil || d.url != want || d.sha256 != sum || d.version != m.Engine.Version {
		t.Fatalf("resolveDownload = %+v, %v; want %s", d, err, want)
	}
	if runtime.GOOS == "linux" && !strings.HasSuffix(d.url, "/v"+m.Engine.Version+"/ollama-linux-"+runtime.GOARCH+".tar.zst") {
		t.Errorf("url = %s", d.url)
	}
	// Without any sha256 the error says how to give one.
	s.downloadSHA = ""
	_, err = resolveDownload(nil, s, m)
	if e := wantCode(t, err, sdk.CodeInvalidArgument); !strings.Contains(e.Message, "settings.download_sha256 to the sha256 of "+want) {
		t.Errorf("message = %q", e.Message)
	}
}
