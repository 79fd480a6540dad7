package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// attackRoute is one request the attack page fires at the host.
type attackRoute struct {
	Method string `json:"method"`
	Path   string `json:"path"`
	Body   any    `json:"body,omitempty"`
}

// pageResult is what the page saw for one route: the outcome of the
// text/plain fetch, the typeless Blob fetch and the form (or cors fetch).
type pageResult struct {
	Target string `json:"target"`
	Method string `json:"method"`
	Path   string `json:"path"`
	Text   string `json:"text"`
	Blob   string `json:"blob,omitempty"`
	Third  string `json:"third,omitempty"`
}

type pageReport struct {
	Origin  string       `json:"origin"`
	Error   string       `json:"error,omitempty"`
	Results []pageResult `json:"results"`
}

// attackSite serves the attack page from a loopback origin of its own and
// collects the page's reports (sent back to that same origin).
type attackSite struct {
	*httptest.Server
	page    []byte
	mu      sync.Mutex
	reports map[string]pageReport // by page origin
	got     chan string           // origin of each report
}

func newAttackSite(t *testing.T, targets []string, routes []attackRoute) *attackSite {
	t.Helper()
	tmpl, err := os.ReadFile(filepath.Join("testdata", "browser", "attack.html"))
	if err != nil {
		t.Fatal(err)
	}
	tj, _ := json.Marshal(targets)
	rj, _ := json.Marshal(routes)
	page := bytes.Replace(tmpl, []byte("/*TARGETS*/[]"), tj, 1)
	page = bytes.Replace(page, []byte("/*ROUTES*/[]"), rj, 1)
	s := &attackSite{page: page, reports: map[string]pageReport{}, got: make(chan string, 16)}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.Method == http.MethodGet && r.URL.Path == "/attack.html":
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			w.Header().Set("Cache-Control", "no-store")
			_, _ = w.Write(s.page)
		case r.Method == http.MethodPost && r.URL.Path == "/report":
			var rep pageReport
			if err := json.NewDecoder(io.LimitReader(r.Body, 1<<20)).Decode(&rep); err != nil {
				http.Error(w, err.Error(), http.StatusBadRequest)
				return
			}
			s.mu.Lock()
			s.reports[rep.Origin] = rep
			s.mu.Unlock()
			s.got <- rep.Origin
			w.WriteHeader(http.StatusNoContent)
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *attackSite) report(origin string) (pageReport, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.reports[origin]
	return r, ok
}

// hitRecorder is a loopback server that records every request: the "evil
// download" server an attacker points an engine install (or a provider)
// at. It answers with bytes that are no Ollama archive.
type hitRecorder struct {
	*httptest.Server
	mu   sync.Mutex
	hits []string
}

func newHitRecorder(t *testing.T) *hitRecorder {
	h := &hitRecorder{}
	h.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.mu.Lock()
		h.hits = append(h.hits, r.Method+" "+r.URL.Path)
		h.mu.Unlock()
		w.Header().Set("Content-Type", "application/octet-stream")
		_, _ = w.Write([]byte("not an ollama archive: the attacker's binary would be here"))
	}))
	t.Cleanup(h.Close)
	return h
}

func (h *hitRecorder) Hits() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]string(nil), h.hits...)
}

// runChromium loads url in a headless chromium until the page has
// reported to its origin (done receives it) or ctx ends, then kills the
// whole browser process group, so nothing outlives the test.
func runChromium(ctx context.Context, t *testing.T, bin, url string, done <-chan string, origin string) {
	t.Helper()
	dir := t.TempDir()
	cmd := exec.Command(bin,
		"--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
		"--user-data-dir="+filepath.Join(dir, "profile"),
		"--no-first-run", "--no-default-browser-check", "--disable-extensions",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--disable-default-apps", "--disable-breakpad", "--disable-crash-reporter",
		"--metrics-recording-only", "--mute-audio",
		url)
	// HOME in the temp dir: chromium writes caches and crash dumps there,
	// not in the user's home.
	cmd.Env = append(os.Environ(), "HOME="+dir)
	var out syncBuffer
	cmd.Stdout, cmd.Stderr = &out, &out
	// Its own process group: the zygote, renderers and utility processes
	// are killed with it.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	kill := func() {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		select {
		case <-exited:
		case <-time.After(10 * time.Second):
			t.Errorf("chromium (pid %d) did not exit after SIGKILL", cmd.Process.Pid)
		}
	}
	for {
		select {
		case o := <-done:
			if o != origin {
				continue // a stray report from another page: keep waiting
			}
			kill()
			return
		case err := <-exited:
			t.Fatalf("chromium exited before the page reported (%v):\n%s", err, tail(out.String(), 4000))
		case <-ctx.Done():
			kill()
			t.Fatalf("the attack page at %s did not report within the time limit: its script did not run to the end. chromium said:\n%s",
				url, tail(out.String(), 4000))
		}
	}
}

func tail(s string, n int) string {
	if len(s) > n {
		return "…" + s[len(s)-n:]
	}
	return s
}

// requireChromium finds chromium on PATH, or skips (fails when
// ROUNDHOUSE_REQUIRE_BROWSER=1, as CI sets it up).
func requireChromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		} else if !errors.Is(err, exec.ErrNotFound) {
			t.Logf("looking for %s: %v", name, err)
		}
	}
	msg := "no chromium on PATH: this test drives a real headless browser (apt-get install chromium)"
	if os.Getenv("ROUNDHOUSE_REQUIRE_BROWSER") == "1" {
		t.Fatal(msg + "; ROUNDHOUSE_REQUIRE_BROWSER=1 requires it")
	}
	t.Skip(msg)
	return ""
}

// summarize renders the page's observations one line per route.
func summarize(reps ...pageReport) string {
	var b strings.Builder
	for _, rep := range reps {
		for _, r := range rep.Results {
			b.WriteString(rep.Origin + " → " + r.Target + " " + r.Method + " " + r.Path + ": " + r.Text)
			if r.Blob != "" {
				b.WriteString(" | blob: " + r.Blob)
			}
			if r.Third != "" {
				b.WriteString(" | " + r.Third)
			}
			b.WriteByte('\n')
		}
	}
	return b.String()
}
