package host

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/roundhouse-ai/roundhouse/host/config"
	"github.com/roundhouse-ai/roundhouse/internal/testplugin"
	"github.com/roundhouse-ai/roundhouse/sdk"
	"github.com/roundhouse-ai/roundhouse/sdk/manifest"
)

type tarEntry struct {
	name, link, body string
	typ              byte
}

func tarGz(t *testing.T, entries ...tarEntry) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestSpeed) // the archives hold a test binary
	tw := tar.NewWriter(zw)
	for _, e := range entries {
		typ := e.typ
		if typ == 0 {
			typ = tar.TypeReg
		}
		hdr := &tar.Header{Name: e.name, Typeflag: typ, Linkname: e.link, Mode: 0o755, Size: int64(len(e.body))}
		if typ != tar.TypeReg {
			hdr.Size = 0
		}
		if err := tw.WriteHeader(hdr); err != nil {
			t.Fatal(err)
		}
		if typ == tar.TypeReg {
			_, _ = tw.Write([]byte(e.body))
		}
	}
	tw.Close()
	zw.Close()
	return buf.Bytes()
}

// Archives that try to write outside the plugin are refused before
// anything is installed.
func TestUnpackRefusesEscapes(t *testing.T) {
	for _, c := range []struct {
		name    string
		entries []tarEntry
	}{
		{"dot-dot", []tarEntry{{name: "p/../../evil", body: "x"}}},
		{"absolute", []tarEntry{{name: "/tmp/evil", body: "x"}}},
		{"absolute link", []tarEntry{{name: "p/l", link: "/etc/passwd", typ: tar.TypeSymlink}}},
		{"escaping link", []tarEntry{{name: "p/l", link: "../../outside", typ: tar.TypeSymlink}}},
		{"write through a link", []tarEntry{{name: "p/d", link: ".", typ: tar.TypeSymlink}, {name: "p/d/x", body: "x"}}},
		{"hard link", []tarEntry{{name: "p/h", link: "/etc/passwd", typ: tar.TypeLink}}},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			err := unpackChecked(bytes.NewReader(tarGz(t, c.entries...)), dir, "")
			if sdk.ErrorCode(err) != sdk.CodeInvalidArgument || sdk.AsError(err).Field != "body" {
				t.Fatalf("want invalid_argument on body, got %v", err)
			}
		})
	}
}

// A link that stays inside the plugin is fine; the archive's sha256 is
// checked against the one given.
func TestUnpackChecksSHA256(t *testing.T) {
	data := tarGz(t, tarEntry{name: "p/plugin.yaml", body: "x"}, tarEntry{name: "p/l", link: "plugin.yaml", typ: tar.TypeSymlink})
	sum := sha256.Sum256(data)
	if err := unpackChecked(bytes.NewReader(data), t.TempDir(), hex.EncodeToString(sum[:])); err != nil {
		t.Fatalf("good sha256: %v", err)
	}
	err := unpackChecked(bytes.NewReader(data), t.TempDir(), strings.Repeat("0", 64))
	if sdk.AsError(err).Field != "sha256" {
		t.Fatalf("bad sha256: %v", err)
	}
}

// pluginArchive packs a real plugin (the test binary as its executable,
// relative to the manifest) as <name>/... .
func pluginArchive(t *testing.T, name string) []byte {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	bin, err := os.ReadFile(exe)
	if err != nil {
		t.Fatal(err)
	}
	staging := t.TempDir()
	if _, err := testplugin.ManifestWith(staging, name, func(m *manifest.Manifest) {
		m.Platforms = map[string]manifest.PlatformConfig{manifest.PlatformKey(runtime.GOOS, runtime.GOARCH): {Executable: "./plugin-bin"}}
	}); err != nil {
		t.Fatal(err)
	}
	y, err := os.ReadFile(filepath.Join(staging, name, manifest.FileYAML))
	if err != nil {
		t.Fatal(err)
	}
	return tarGz(t, tarEntry{name: name + "/", typ: tar.TypeDir}, tarEntry{name: name + "/plugin.yaml", body: string(y)},
		tarEntry{name: name + "/plugin-bin", body: string(bin)})
}

// Install from an archive stream: it lands in the first plugin root and
// serves; a second install of the same name is refused; remove deletes
// it (and only inside a plugin root).
func TestInstallAndRemovePlugin(t *testing.T) {
	h := newTestHost(t, nil)
	ctx := context.Background()
	data := pluginArchive(t, "extra")
	if _, err := h.InstallPlugin(ctx, InstallSource{Archive: bytes.NewReader(data), SHA256: strings.Repeat("a", 64)}); sdk.AsError(err).Field != "sha256" {
		t.Fatalf("install with a wrong sha256: %v", err)
	}
	root := h.Config().PluginDirs[0]
	if entries, _ := os.ReadDir(root); len(entries) != 1 {
		t.Fatalf("a refused install left files: %v", entries)
	}
	p, err := h.InstallPlugin(ctx, InstallSource{Archive: bytes.NewReader(data)})
	if err != nil {
		t.Fatal(err)
	}
	if p.Name() != "extra" || filepath.Dir(p.cand.Dir) != root {
		t.Fatalf("installed %s in %s", p.Name(), p.cand.Dir)
	}
	if _, err := h.InstallPlugin(ctx, InstallSource{Archive: bytes.NewReader(data)}); sdk.ErrorCode(err) != sdk.CodeAlreadyExists {
		t.Fatalf("second install: %v", err)
	}
	if err := h.RemovePlugin(ctx, "extra"); err != nil {
		t.Fatal(err)
	}
	if h.Plugin("extra") != nil {
		t.Fatal("removed plugin still listed")
	}
	if _, err := os.Stat(filepath.Join(root, "extra")); !os.IsNotExist(err) {
		t.Fatalf("plugin dir left behind: %v", err)
	}
	if _, err := h.InstallPlugin(ctx, InstallSource{Path: "relative/dir"}); sdk.AsError(err).Field != "path" {
		t.Fatalf("relative path: %v", err)
	}
	if _, err := h.InstallPlugin(ctx, InstallSource{Archive: bytes.NewReader(tarGz(t, tarEntry{name: "x/readme", body: "no manifest"}))}); sdk.ErrorCode(err) != sdk.CodeManifestInvalid {
		t.Fatalf("archive without manifest: %v", err)
	}
	_ = io.Discard
}

// Removing a plugin with a stream in flight: the plugin leaves the
// routing table at once, the stream runs to its end, and only then do the
// process stop and the files go.
func TestRemovePluginDrainsInFlightStream(t *testing.T) {
	h := newTestHost(t, func(cfg *config.Config) {
		cfg.Plugins["extra"] = config.PluginConfig{Env: map[string]string{testplugin.EnvServe: "echo"}}
	})
	ctx := context.Background()
	p, err := h.InstallPlugin(ctx, InstallSource{Archive: bytes.NewReader(pluginArchive(t, "extra"))})
	if err != nil {
		t.Fatal(err)
	}
	conn, err := p.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	started := make(chan struct{})
	words := 0
	streamErr := make(chan error, 1)
	go func() {
		slow := &sdk.ChatRequest{Model: "echo-1", Messages: []sdk.Message{{Role: "user", Content: "SLOW 20"}}}
		streamErr <- conn.ChatStream(ctx, slow, func(c *sdk.ChatChunk) error {
			if words == 0 {
				close(started)
			}
			if c.Content != "" {
				words++
			}
			return nil
		})
	}()
	<-started
	removed := make(chan error, 1)
	go func() { removed <- h.RemovePlugin(ctx, "extra") }()

	// Out of the routing table while the stream still runs.
	for h.Plugin("extra") != nil {
		select {
		case err := <-streamErr:
			t.Fatalf("the stream ended (%v) before the plugin left the table", err)
		default:
			runtime.Gosched()
		}
	}
	select {
	case err := <-removed:
		t.Fatalf("RemovePlugin returned (%v) with the stream still in flight", err)
	default:
	}
	if err := <-streamErr; err != nil {
		t.Fatalf("the stream in flight was cut: %v", err)
	}
	if words != 20 {
		t.Fatalf("stream got %d words, want all 20", words)
	}
	if err := <-removed; err != nil {
		t.Fatal(err)
	}
	root := h.Config().PluginDirs[0]
	if entries, _ := os.ReadDir(root); len(entries) != 1 { // only echo is left
		t.Fatalf("plugin root after remove: %v", entries)
	}
	if st := p.State(); st != StateStopped {
		t.Fatalf("removed plugin's state: %s", st)
	}
}
