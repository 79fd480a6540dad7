package e2e

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/roundhouse-ai/roundhouse/client"
	"github.com/roundhouse-ai/roundhouse/sdk"
)

// cutProxy forwards TCP connections to the host and counts the bytes
// clients send through it. Armed, it lets a given number of bytes more
// through and then drops the connection carrying them, as a network
// failure (or a laptop lid) does mid-upload.
type cutProxy struct {
	l      net.Listener
	target string
	up     atomic.Int64 // client → host bytes, all connections
	cuts   atomic.Int32

	mu    sync.Mutex
	cutAt int64  // cut when up reaches this (0: never)
	onCut func() // runs at the cut, before the connection drops
	conns map[net.Conn]bool
}

func startCutProxy(t *testing.T, target string) *cutProxy {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &cutProxy{l: l, target: target, conns: map[net.Conn]bool{}}
	var wg sync.WaitGroup
	t.Cleanup(func() {
		l.Close()
		p.mu.Lock()
		for c := range p.conns { // idle keep-alive connections too
			c.Close()
		}
		p.mu.Unlock()
		wg.Wait()
	})
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			wg.Add(1)
			go func() { defer wg.Done(); p.serve(c) }()
		}
	}()
	return p
}

func (p *cutProxy) URL() string { return "http://" + p.l.Addr().String() }

// arm cuts the connection that carries the n-th byte from now.
func (p *cutProxy) arm(n int64, onCut func()) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.cutAt, p.onCut = p.up.Load()+n, onCut
}

func (p *cutProxy) serve(c net.Conn) {
	defer c.Close()
	h, err := net.Dial("tcp", p.target)
	if err != nil {
		return
	}
	defer h.Close()
	p.mu.Lock()
	p.conns[c], p.conns[h] = true, true
	p.mu.Unlock()
	defer func() {
		p.mu.Lock()
		delete(p.conns, c)
		delete(p.conns, h)
		p.mu.Unlock()
	}()
	go func() { _, _ = io.Copy(c, h); c.Close() }()
	buf := make([]byte, 32<<10)
	for {
		n, err := c.Read(buf)
		if n > 0 {
			p.mu.Lock()
			cutAt, onCut := p.cutAt, p.onCut
			cut := cutAt > 0 && p.up.Load()+int64(n) >= cutAt
			if cut {
				n = int(cutAt - p.up.Load())
				p.cutAt, p.onCut = 0, nil
			}
			p.up.Add(int64(n))
			p.mu.Unlock()
			if _, werr := h.Write(buf[:n]); werr != nil {
				return
			}
			if cut {
				p.cuts.Add(1)
				if onCut != nil {
					onCut()
				}
				// Let the host read what got through before both ends drop.
				time.Sleep(50 * time.Millisecond)
				return
			}
		}
		if err != nil {
			return
		}
	}
}

// overhead bounds the bytes an upload sends besides the file: request
// lines and headers of the POST, HEADs, PATCHes and PUT.
const overhead = 16 << 10

// TestUploadResume: uploads through a proxy that cuts the connection on
// the real host with the real Ollama — the retry sends only what the host
// lacks (counted at the proxy), the blob makes a model that chats; a new
// client (a new run after Ctrl-C) continues from the state file; a re-run
// after success sends nothing; and the CLI does the same.
func TestUploadResume(t *testing.T) {
	h := startOllamaHost(t)
	ctx := ctxFor(t, 5*time.Minute)
	tiny := h.bed.Models["tiny"]
	p := startCutProxy(t, strings.TrimPrefix(h.URL, "http://"))
	clientWith := func(state string) *client.Client {
		c, err := client.New(p.URL(), nil, client.WithUploadState(state))
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	const cut = 200_000

	t.Run("cut mid-upload resumes with the rest, then create and chat", func(t *testing.T) {
		state := t.TempDir()
		c := clientWith(state)
		before, cuts := p.up.Load(), p.cuts.Load()
		p.arm(cut, nil)
		var notes []string
		up, err := c.UploadBlob(ctx, tiny.GGUF, func(ev client.ProgressEvent) error {
			if ev.Message != "" {
				notes = append(notes, ev.Message)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		sent := p.up.Load() - before
		t.Logf("file %d bytes; %d bytes through the proxy with one cut at %d; notes %q", tiny.Size, sent, cut, notes)
		if up.Digest != tiny.Digest || up.Skipped || p.cuts.Load() != cuts+1 {
			t.Fatalf("upload %+v, cuts %d", up, p.cuts.Load()-cuts)
		}
		if sent < tiny.Size || sent > tiny.Size+overhead {
			t.Fatalf("%d bytes sent for a %d-byte file cut at %d: the prefix was sent again", sent, tiny.Size, cut)
		}
		if !strings.Contains(strings.Join(notes, "\n"), "resuming at") {
			t.Fatalf("no resume note: %q", notes)
		}
		if has, err := h.c.HasBlob(ctx, tiny.Digest); err != nil || !has {
			t.Fatalf("engine has the blob: %v %v", has, err)
		}
		if ents, _ := os.ReadDir(filepath.Join(h.DataDir, "uploads")); len(ents) != 0 {
			t.Fatalf("staged files left on the host: %v", ents)
		}
		var statuses []string
		err = h.c.CreateModel(ctx, &client.CreateRequest{Model: "uploaded", Files: map[string]string{"tiny.gguf": up.Digest},
			Template: "User: {{ .Prompt }}\nAssistant:", System: "You are terse.",
			Parameters: map[string]any{"num_thread": 1, "num_predict": 32, "stop": []string{"User:"}}},
			func(ev client.ProgressEvent) error { statuses = append(statuses, ev.Status); return nil })
		if err != nil || statuses[len(statuses)-1] != "success" {
			t.Fatalf("create from the uploaded blob: %q %v", statuses, err)
		}
		r, err := h.c.Chat(ctx, &sdk.ChatRequest{Model: "uploaded", Messages: []sdk.Message{{Role: "user", Content: "Say hello."}}}, client.Options{})
		if err != nil || r.Message.Content == "" {
			t.Fatalf("chat with the uploaded model: %+v %v", r, err)
		}

		// A re-run finds the digest in its state and the blob on the host.
		before = p.up.Load()
		up, err = c.UploadBlob(ctx, tiny.GGUF, nil)
		if err != nil || !up.Skipped || up.Digest != tiny.Digest {
			t.Fatalf("re-run: %+v %v", up, err)
		}
		if sent := p.up.Load() - before; sent > 2<<10 {
			t.Fatalf("re-run sent %d bytes", sent)
		}
	})

	t.Run("a new run after Ctrl-C continues from the state file", func(t *testing.T) {
		// A file the engine does not have yet, so the finished upload is
		// handed to it for real.
		data, err := os.ReadFile(tiny.GGUF)
		if err != nil {
			t.Fatal(err)
		}
		data = append(data, []byte("\nresume test\n")...)
		file := filepath.Join(t.TempDir(), "other.gguf")
		if err := os.WriteFile(file, data, 0o644); err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256(data)
		digest := "sha256:" + hex.EncodeToString(sum[:])
		state := t.TempDir()

		runCtx, cancel := context.WithCancel(ctx)
		p.arm(cut, cancel) // Ctrl-C when the cut comes
		if _, err := clientWith(state).UploadBlob(runCtx, file, nil); !errors.Is(err, context.Canceled) {
			t.Fatalf("interrupted run: %v", err)
		}
		if ents, _ := os.ReadDir(state); len(ents) != 1 {
			t.Fatalf("state files after the interrupted run: %v", ents)
		}
		before := p.up.Load()
		var resumed string
		up, err := clientWith(state).UploadBlob(ctx, file, func(ev client.ProgressEvent) error {
			if strings.HasPrefix(ev.Message, "resuming at") {
				resumed = ev.Message
			}
			return nil
		})
		if err != nil || up.Digest != digest || up.Skipped {
			t.Fatalf("second run: %+v %v", up, err)
		}
		sent := p.up.Load() - before
		t.Logf("second run sent %d bytes of %d (%s)", sent, len(data), resumed)
		if rest := int64(len(data)) - cut; resumed == "" || sent < rest || sent > rest+overhead {
			t.Fatalf("second run sent %d bytes, want the %d the host lacked (note %q)", sent, rest, resumed)
		}
		if has, err := h.c.HasBlob(ctx, digest); err != nil || !has {
			t.Fatalf("engine has the resumed blob: %v %v", has, err)
		}
	})

	t.Run("CLI: models create --from resumes a cut upload, a re-run skips it", func(t *testing.T) {
		hostBin, _ := binaries(t)
		cache := t.TempDir()
		rh := func(args ...string) string {
			t.Helper()
			cmd := exec.CommandContext(ctx, hostBin, append([]string{"--host", p.URL()}, args...)...)
			cmd.Env = append(os.Environ(), "XDG_CACHE_HOME="+cache)
			out, err := cmd.CombinedOutput()
			if err != nil {
				t.Fatalf("roundhouse %s: %v\n%s", strings.Join(args, " "), err, out)
			}
			return string(out)
		}
		p.arm(cut, nil)
		out := rh("models", "create", "cli-uploaded", "--from", tiny.GGUF)
		if !strings.Contains(out, "resuming at") || !strings.Contains(out, "uploading tiny.gguf") || !strings.Contains(out, "success") {
			t.Fatalf("create --from through a cut:\n%s", out)
		}
		ents, _ := os.ReadDir(filepath.Join(cache, "roundhouse", "uploads"))
		if len(ents) != 1 {
			t.Fatalf("CLI state files: %v", ents)
		}
		if fi, _ := ents[0].Info(); fi.Mode().Perm() != 0o600 {
			t.Fatalf("state file mode %v", fi.Mode())
		}
		before := p.up.Load()
		out = rh("models", "create", "cli-uploaded-2", "--from", tiny.GGUF)
		if !strings.Contains(out, "not sending it again") || !strings.Contains(out, "success") {
			t.Fatalf("re-run:\n%s", out)
		}
		if sent := p.up.Load() - before; sent > 8<<10 {
			t.Fatalf("re-run sent %d bytes", sent)
		}

		// Ctrl-C (SIGINT) mid-upload, then the same command again: it
		// continues from what the host has (a fresh cache: the file is
		// not known as uploaded).
		cache = t.TempDir()
		cmd := exec.CommandContext(ctx, hostBin, "--host", p.URL(), "models", "create", "cli-ctrl-c", "--from", tiny.GGUF)
		cmd.Env = append(os.Environ(), "XDG_CACHE_HOME="+cache)
		var buf strings.Builder
		cmd.Stdout, cmd.Stderr = &buf, &buf
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		proc := cmd.Process
		p.arm(cut, func() { _ = proc.Signal(os.Interrupt) })
		if err := cmd.Wait(); cmd.ProcessState.ExitCode() != 130 {
			t.Fatalf("create interrupted by SIGINT: %v\n%s", err, buf.String())
		}
		before = p.up.Load()
		out = rh("models", "create", "cli-ctrl-c", "--from", tiny.GGUF)
		sent := p.up.Load() - before
		t.Logf("after Ctrl-C, the re-run sent %d bytes of %d:\n%s", sent, tiny.Size, out)
		if !strings.Contains(out, "resuming at") || !strings.Contains(out, "success") || sent > tiny.Size-cut+overhead {
			t.Fatalf("re-run after Ctrl-C sent %d bytes of %d:\n%s", sent, tiny.Size, out)
		}
	})
}
