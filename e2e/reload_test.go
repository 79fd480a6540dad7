package e2e

import (
	"archive/tar"
	"bufio"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/roundhouse-ai/roundhouse/internal/testplugin"
	"github.com/roundhouse-ai/roundhouse/sdk/manifest"
)

// reloadHost is the real roundhouse binary serving a config whose plugin
// root starts empty; plugins are copies of this test binary (which serves
// as internal/testplugin when ROUNDHOUSE_TESTPLUGIN is set).
type reloadHost struct {
	url, root, config string
	cmd               *exec.Cmd
	log               *lockedBuffer
}

// lockedBuffer collects the host's output while the test reads it.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func startReloadHost(t *testing.T, plugins ...string) *reloadHost {
	t.Helper()
	if testing.Short() || runtime.GOOS != "linux" {
		t.Skip("end-to-end on Linux only")
	}
	hostBin, _ := binaries(t)
	root := filepath.Join(t.TempDir(), "plugins")
	if err := os.MkdirAll(root, 0o755); err != nil {
		t.Fatal(err)
	}
	pcs := map[string]any{}
	for _, n := range plugins {
		pcs[n] = map[string]any{"env": map[string]string{testplugin.EnvServe: n}}
	}
	listen := freeHost(t)
	data, _ := yaml.Marshal(map[string]any{"listen": listen, "plugin_dirs": []string{root}, "data_dir": t.TempDir(),
		"start": "eager", "plugins": pcs, "log_level": "debug"})
	cfgPath := filepath.Join(t.TempDir(), "roundhouse.yaml")
	if err := os.WriteFile(cfgPath, data, 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(hostBin, "serve", "--config", cfgPath)
	log := &lockedBuffer{}
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		_ = cmd.Wait()
		if t.Failed() {
			t.Logf("host log:\n%s", log.String())
		}
	})
	h := &reloadHost{url: "http://" + listen, root: root, config: cfgPath, cmd: cmd, log: log}
	eventually(t, 30*time.Second, "host up", func() bool {
		resp, err := http.Get(h.url + "/health")
		if err == nil {
			resp.Body.Close()
		}
		return err == nil
	})
	return h
}

// pluginStatus is GET /v1/plugins/{name}: status code and fields.
type pluginStatus struct {
	code        int
	State       string `json:"state"`
	PID         int    `json:"pid"`
	Version     string `json:"version"`
	ReloadError string `json:"reload_error"`
}

func (h *reloadHost) plugin(t *testing.T, name string) pluginStatus {
	t.Helper()
	resp, err := http.Get(h.url + "/v1/plugins/" + name)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	st := pluginStatus{code: resp.StatusCode}
	_ = json.NewDecoder(resp.Body).Decode(&st)
	return st
}

func (h *reloadHost) post(t *testing.T, path, ctype string, body io.Reader) (int, string) {
	t.Helper()
	resp, err := http.Post(h.url+path, ctype, body)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func (h *reloadHost) chat(t *testing.T, msg string) (int, string) {
	t.Helper()
	b, _ := json.Marshal(map[string]any{"messages": []map[string]string{{"role": "user", "content": msg}}})
	return h.post(t, "/v1/services/chat", "application/json", bytes.NewReader(b))
}

// pluginFiles writes a plugin (manifest + a copy of this test binary as
// its executable) into dir; extra bytes appended to the binary change
// its sha256 without changing what it does.
func pluginFiles(t *testing.T, dir, name, version string, extra []byte) {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	bin, err := os.ReadFile(exe)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	// Replace by rename: the running process keeps its inode.
	tmp := filepath.Join(dir, ".plugin-bin.tmp")
	if err := os.WriteFile(tmp, append(bin, extra...), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, filepath.Join(dir, "plugin-bin")); err != nil {
		t.Fatal(err)
	}
	writeManifest(t, dir, name, version)
}

func writeManifest(t *testing.T, dir, name, version string) {
	t.Helper()
	staging := t.TempDir()
	if _, err := testplugin.ManifestWith(staging, name, func(m *manifest.Manifest) {
		m.Provider.Version = version
		m.Platforms = map[string]manifest.PlatformConfig{manifest.PlatformKey(runtime.GOOS, runtime.GOARCH): {Executable: "./plugin-bin"}}
	}); err != nil {
		t.Fatal(err)
	}
	y, err := os.ReadFile(filepath.Join(staging, name, manifest.FileYAML))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, manifest.FileYAML), y, 0o644); err != nil {
		t.Fatal(err)
	}
}

// streamChat sends a streamed chat and returns the content it received
// and whether the stream ended with a done chunk.
func (h *reloadHost) streamChat(t *testing.T, msg string, started chan<- struct{}) (string, bool, error) {
	b, _ := json.Marshal(map[string]any{"stream": true, "messages": []map[string]string{{"role": "user", "content": msg}}})
	resp, err := http.Post(h.url+"/v1/services/chat", "application/json", bytes.NewReader(b))
	if err != nil {
		return "", false, err
	}
	defer resp.Body.Close()
	var content strings.Builder
	done := false
	sc := bufio.NewScanner(resp.Body)
	first := true
	for sc.Scan() {
		line, ok := strings.CutPrefix(sc.Text(), "data: ")
		if !ok {
			continue
		}
		var c struct {
			Content string `json:"content"`
			Done    bool   `json:"done"`
		}
		if json.Unmarshal([]byte(line), &c) == nil {
			content.WriteString(c.Content)
			done = done || c.Done
		}
		if first {
			first = false
			close(started)
		}
	}
	return content.String(), done, sc.Err()
}

// The plugin lifecycle without a host restart: a plugin dir that appears
// serves within 2 s; a corrupt manifest keeps the previous version serving
// and shows the error; a replaced binary restarts the plugin once the
// stream in flight has finished; a removed dir is gone.
func TestReloadPluginLifecycle(t *testing.T) {
	h := startReloadHost(t, "hot")
	dir := filepath.Join(h.root, "hot")

	// Add: staged outside the root, then renamed in (one event).
	staged := filepath.Join(t.TempDir(), "hot")
	pluginFiles(t, staged, "hot", "1.0.0", nil)
	added := time.Now()
	if err := os.Rename(staged, dir); err != nil {
		t.Fatal(err)
	}
	eventually(t, 2*time.Second, "the new plugin serves", func() bool {
		code, _ := h.chat(t, "hello")
		return code == 200
	})
	t.Logf("added plugin served after %v", time.Since(added).Round(time.Millisecond))
	first := h.plugin(t, "hot")

	// Corrupt the manifest: the running version keeps serving.
	if err := os.WriteFile(filepath.Join(dir, manifest.FileYAML), []byte("version: [broken"), 0o644); err != nil {
		t.Fatal(err)
	}
	eventually(t, 2*time.Second, "the manifest error is visible", func() bool { return h.plugin(t, "hot").ReloadError != "" })
	if code, body := h.chat(t, "still"); code != 200 || !strings.Contains(body, "still") {
		t.Fatalf("chat with a corrupt manifest on disk: %d %s", code, body)
	}
	if st := h.plugin(t, "hot"); st.PID != first.PID || st.State != "running" {
		t.Fatalf("the running version changed: %+v → %+v", first, st)
	}
	code, body := h.post(t, "/v1/reload", "application/json", nil)
	if code != 200 || !strings.Contains(body, `"hot"`) {
		t.Fatalf("POST /v1/reload with a broken manifest: %d %s", code, body)
	}
	writeManifest(t, dir, "hot", "1.0.0")
	eventually(t, 2*time.Second, "the error clears once fixed", func() bool { return h.plugin(t, "hot").ReloadError == "" })

	// Replace the binary while a stream is in flight.
	started := make(chan struct{})
	type result struct {
		content string
		done    bool
		err     error
	}
	res := make(chan result, 1)
	go func() {
		c, d, err := h.streamChat(t, "SLOW 40", started)
		res <- result{c, d, err}
	}()
	<-started
	pluginFiles(t, dir, "hot", "1.0.0", []byte("v2"))
	r := <-res
	if r.err != nil || !r.done || strings.Count(r.content, "w") != 40 {
		t.Fatalf("the stream in flight did not complete: done=%v err=%v content=%q", r.done, r.err, r.content)
	}
	eventually(t, 5*time.Second, "the plugin restarted on the new binary", func() bool {
		st := h.plugin(t, "hot")
		return st.State == "running" && st.PID != 0 && st.PID != first.PID
	})
	if code, body := h.chat(t, "new"); code != 200 {
		t.Fatalf("chat after the restart: %d %s", code, body)
	}
	if !strings.Contains(h.log.String(), "plugin replaced") {
		t.Fatal("no 'plugin replaced' in the host log")
	}

	// Remove.
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	eventually(t, 2*time.Second, "the removed plugin is gone", func() bool { return h.plugin(t, "hot").code == 404 })
}

// SIGHUP reloads the config file: a plugin disabled there stops.
func TestReloadOnSIGHUP(t *testing.T) {
	h := startReloadHost(t, "hup")
	pluginFiles(t, filepath.Join(h.root, "hup"), "hup", "1.0.0", nil)
	eventually(t, 5*time.Second, "plugin up", func() bool { return h.plugin(t, "hup").State == "running" })
	data, _ := os.ReadFile(h.config)
	var cfg map[string]any
	_ = yaml.Unmarshal(data, &cfg)
	cfg["plugins"].(map[string]any)["hup"].(map[string]any)["disabled"] = true
	out, _ := yaml.Marshal(cfg)
	// Written beside and renamed, then SIGHUP: whichever comes first reloads.
	tmp := h.config + ".tmp"
	if err := os.WriteFile(tmp, out, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, h.config); err != nil {
		t.Fatal(err)
	}
	if err := h.cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	eventually(t, 5*time.Second, "plugin disabled by the reloaded config", func() bool { return h.plugin(t, "hup").State == "disabled" })
}

type entry struct {
	name, link string
	body       []byte
	typ        byte
}

func tarGz(t *testing.T, entries ...entry) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestSpeed) // the archives hold a test binary
	tw := tar.NewWriter(zw)
	for _, e := range entries {
		hdr := &tar.Header{Name: e.name, Typeflag: e.typ, Linkname: e.link, Mode: 0o755}
		if e.typ == tar.TypeReg {
			hdr.Size = int64(len(e.body))
		}
		if err := tw.WriteHeader(hdr); err != nil {
			t.Fatal(err)
		}
		_, _ = tw.Write(e.body)
	}
	tw.Close()
	zw.Close()
	return buf.Bytes()
}

// pluginTarGz packs a plugin as name/plugin.yaml + name/plugin-bin.
func pluginTarGz(t *testing.T, name string) []byte {
	t.Helper()
	dir := filepath.Join(t.TempDir(), name)
	pluginFiles(t, dir, name, "1.0.0", nil)
	y, _ := os.ReadFile(filepath.Join(dir, manifest.FileYAML))
	bin, _ := os.ReadFile(filepath.Join(dir, "plugin-bin"))
	return tarGz(t, entry{name: name + "/", typ: tar.TypeDir}, entry{name: name + "/plugin.yaml", body: y, typ: tar.TypeReg},
		entry{name: name + "/plugin-bin", body: bin, typ: tar.TypeReg})
}

// Install from a .tar.gz: a good sha256 installs and serves; a bad one and
// an archive with a path-traversal entry are refused and install nothing.
func TestPluginInstallFromTarGz(t *testing.T) {
	h := startReloadHost(t, "packed", "evil", "wrongsum")
	tmp := t.TempDir()
	if err := os.MkdirAll(filepath.Join(tmp, "manifest-src"), 0o755); err != nil {
		t.Fatal(err)
	}
	writeManifest(t, filepath.Join(tmp, "manifest-src"), "evil", "1.0.0")
	good := pluginTarGz(t, "packed")
	sum := sha256.Sum256(good)
	goodPath := filepath.Join(tmp, "packed.tar.gz")
	if err := os.WriteFile(goodPath, good, 0o644); err != nil {
		t.Fatal(err)
	}

	// Bad sha256 (path form).
	body, _ := json.Marshal(map[string]string{"path": goodPath, "sha256": strings.Repeat("0", 64)})
	if code, resp := h.post(t, "/v1/plugins/install", "application/json", bytes.NewReader(body)); code != 400 || !strings.Contains(resp, "sha256") {
		t.Fatalf("install with a bad sha256: %d %s", code, resp)
	}
	// Path traversal (body form): the entry would land beside the root.
	outside := filepath.Join(filepath.Dir(h.root), "escaped")
	y, _ := os.ReadFile(filepath.Join(tmp, "manifest-src", manifest.FileYAML))
	evil := tarGz(t, entry{name: "evil/", typ: tar.TypeDir}, entry{name: "evil/plugin.yaml", body: y, typ: tar.TypeReg},
		entry{name: "evil/../../escaped", body: []byte("x"), typ: tar.TypeReg})
	if code, resp := h.post(t, "/v1/plugins/install", "application/gzip", bytes.NewReader(evil)); code != 400 || !strings.Contains(resp, "escapes") {
		t.Fatalf("install with a traversal entry: %d %s", code, resp)
	}
	if _, err := os.Stat(outside); !os.IsNotExist(err) {
		t.Fatalf("the traversal entry was written: %v", err)
	}
	if entries, _ := os.ReadDir(h.root); len(entries) != 0 {
		t.Fatalf("refused installs left %d entries in the plugin root", len(entries))
	}

	// Good sha256.
	body, _ = json.Marshal(map[string]string{"path": goodPath, "sha256": hex.EncodeToString(sum[:])})
	code, resp := h.post(t, "/v1/plugins/install", "application/json", bytes.NewReader(body))
	if code != 201 || !strings.Contains(resp, `"packed"`) {
		t.Fatalf("install: %d %s", code, resp)
	}
	eventually(t, 10*time.Second, "the installed plugin serves", func() bool {
		code, _ := h.chat(t, "installed")
		return code == 200
	})
	// And remove it through the API.
	req, _ := http.NewRequest("DELETE", h.url+"/v1/plugins/packed", nil)
	dresp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	dresp.Body.Close()
	if dresp.StatusCode != 200 || h.plugin(t, "packed").code != 404 {
		t.Fatalf("remove: %d", dresp.StatusCode)
	}
	if _, err := os.Stat(filepath.Join(h.root, "packed")); !os.IsNotExist(err) {
		t.Fatalf("removed plugin's dir remains: %v", err)
	}
}
