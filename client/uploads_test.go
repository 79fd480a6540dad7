package client

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/roundhouse-ai/roundhouse/host/uploads"
)

// sessionHost serves the upload-session protocol over the host's real
// session store (package host/uploads), with blobs kept in memory where
// the engine would keep them. cutAfter, when set, makes the next PATCH
// store that many bytes and then drop the connection, as a network
// failure does.
type sessionHost struct {
	t        *testing.T
	st       *uploads.Store
	mu       sync.Mutex
	blobs    map[string][]byte
	patched  []int64 // bytes each PATCH delivered
	cutAfter int64
	// onCut, when set, runs when a PATCH is cut (before the connection
	// drops): the test's Ctrl-C.
	onCut func()
	// garble stores the next PATCH's bytes altered, as if the file had
	// changed while it was read.
	garble bool
	// down answers 503 to this many requests after a cut: a host
	// restarting.
	down  int
	posts int
}

// seen is what the host saw: sessions created and bytes per PATCH.
func (h *sessionHost) seen() (int, []int64) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.posts, append([]int64(nil), h.patched...)
}

func (h *sessionHost) blob(d string) []byte {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.blobs[d]
}

func newSessionHost(t *testing.T) (*sessionHost, *httptest.Server) {
	st, err := uploads.Open(t.TempDir(), uploads.Options{})
	if err != nil {
		t.Fatal(err)
	}
	h := &sessionHost{t: t, st: st, blobs: map[string][]byte{}}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return h, srv
}

func (h *sessionHost) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h.mu.Lock() // one request at a time
	defer h.mu.Unlock()
	fail := func(err error) { // the host's shape: 400 naming digest, else 409
		status, field := http.StatusConflict, ""
		if strings.Contains(err.Error(), "hash to") {
			status, field = http.StatusBadRequest, "digest"
		}
		w.WriteHeader(status)
		_ = json.NewEncoder(w).Encode(map[string]any{"error": map[string]any{"message": err.Error(), "field": field}})
	}
	id := strings.TrimPrefix(r.URL.Path, "/v1/uploads/")
	if h.down > 0 {
		h.down--
		w.Header().Set("Retry-After", "0")
		w.WriteHeader(http.StatusServiceUnavailable)
		return
	}
	switch {
	case r.Method == http.MethodHead && strings.HasPrefix(r.URL.Path, "/api/blobs/"):
		_, ok := h.blobs[strings.TrimPrefix(r.URL.Path, "/api/blobs/")]
		if !ok {
			w.WriteHeader(http.StatusNotFound)
		}
	case r.Method == http.MethodPost && r.URL.Path == "/v1/uploads":
		h.posts++
		info, _ := h.st.Create(r.Context())
		w.WriteHeader(http.StatusCreated)
		_ = json.NewEncoder(w).Encode(info)
	case r.Method == http.MethodHead:
		info, err := h.st.Info(id)
		if err != nil {
			w.WriteHeader(http.StatusNotFound)
			return
		}
		w.Header().Set("Upload-Offset", strconv.FormatInt(info.Offset, 10))
		w.WriteHeader(http.StatusNoContent)
	case r.Method == http.MethodPatch:
		off, _ := strconv.ParseInt(r.Header.Get("Upload-Offset"), 10, 64)
		body := io.Reader(r.Body)
		cut := h.cutAfter
		h.cutAfter = 0
		if cut > 0 {
			body = io.LimitReader(r.Body, cut)
		}
		if h.garble {
			h.garble = false
			body = &flipFirst{r: body}
		}
		before, _ := h.st.Info(id)
		info, err := h.st.Append(r.Context(), id, off, body)
		h.patched = append(h.patched, info.Offset-before.Offset)
		if cut > 0 {
			if h.onCut != nil {
				h.onCut()
			}
			conn, _, _ := w.(http.Hijacker).Hijack()
			conn.Close()
			return
		}
		if err != nil {
			fail(err)
			return
		}
		w.Header().Set("Upload-Offset", strconv.FormatInt(info.Offset, 10))
		w.WriteHeader(http.StatusNoContent)
	case r.Method == http.MethodPut:
		_, err := h.st.Finish(r.Context(), id, r.URL.Query().Get("digest"), func(_ context.Context, d string, body io.Reader, _ int64) error {
			b, err := io.ReadAll(body)
			h.blobs[d] = b
			return err
		})
		if err != nil {
			fail(err)
			return
		}
		w.WriteHeader(http.StatusCreated)
	case r.Method == http.MethodDelete:
		_ = h.st.Delete(id)
		w.WriteHeader(http.StatusNoContent)
	default:
		http.NotFound(w, r)
	}
}

func testFile(t *testing.T, n int) (string, []byte, string) {
	t.Helper()
	data := make([]byte, n)
	for i := range data {
		data[i] = byte(i*31 + i/997)
	}
	path := filepath.Join(t.TempDir(), "model.gguf")
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(data)
	return path, data, "sha256:" + hex.EncodeToString(sum[:])
}

func sessionClient(t *testing.T, srv *httptest.Server, state string) *Client {
	c, err := New(srv.URL, nil, WithUploadState(state))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// One PATCH carries the file while it is hashed; the PUT names the
// digest; a second run skips through the recorded digest.
func TestUploadBlobStreamsOnceAndSkipsOnRerun(t *testing.T) {
	h, srv := newSessionHost(t)
	state := t.TempDir()
	c := sessionClient(t, srv, state)
	path, data, digest := testFile(t, 3<<20+11)
	var events []ProgressEvent
	up, err := c.UploadBlob(context.Background(), path, func(ev ProgressEvent) error { events = append(events, ev); return nil })
	if err != nil {
		t.Fatal(err)
	}
	if up.Digest != digest || up.Size != int64(len(data)) || up.Skipped || string(h.blob(digest)) != string(data) {
		t.Fatalf("upload %+v", up)
	}
	if _, patched := h.seen(); len(patched) != 1 || patched[0] != int64(len(data)) {
		t.Fatalf("PATCHes delivered %v", patched)
	}
	last := events[len(events)-1]
	if last.Status != "uploading model.gguf" || last.Completed != last.Total || last.Total != int64(len(data)) {
		t.Fatalf("last event %+v", last)
	}
	for _, ev := range events {
		if strings.HasPrefix(ev.Status, "hashing") {
			t.Fatalf("a separate hashing pass: %+v", ev)
		}
	}
	ents, _ := os.ReadDir(state)
	if len(ents) != 1 {
		t.Fatalf("state files %v", ents)
	}
	if fi, _ := ents[0].Info(); fi.Mode().Perm() != 0o600 {
		t.Fatalf("state file mode %v", fi.Mode())
	}
	up, err = c.UploadBlob(context.Background(), path, nil)
	if posts, patched := h.seen(); err != nil || !up.Skipped || up.Digest != digest || len(patched) != 1 || posts != 1 {
		t.Fatalf("re-run %+v %v (patches %v)", up, err, patched)
	}
	// A changed file is a new upload.
	if err := os.WriteFile(path, append(data, 'x'), 0o644); err != nil {
		t.Fatal(err)
	}
	if up, err = c.UploadBlob(context.Background(), path, nil); err != nil || up.Skipped || up.Digest == digest {
		t.Fatalf("changed file %+v %v", up, err)
	}
}

// A connection cut mid-PATCH: the retry asks for the offset and sends
// only the rest; the digest is still the whole file's.
func TestUploadBlobResumesAfterCut(t *testing.T) {
	h, srv := newSessionHost(t)
	c := sessionClient(t, srv, t.TempDir())
	path, data, digest := testFile(t, 2<<20+5)
	h.cutAfter = 700_001
	var notes []string
	up, err := c.UploadBlob(context.Background(), path, func(ev ProgressEvent) error {
		if ev.Message != "" {
			notes = append(notes, ev.Message)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if up.Digest != digest || string(h.blob(digest)) != string(data) {
		t.Fatalf("upload %+v", up)
	}
	if _, patched := h.seen(); len(patched) != 2 || patched[0] != 700_001 || patched[1] != int64(len(data))-700_001 {
		t.Fatalf("PATCHes delivered %v, want [700001 %d]", patched, len(data)-700_001)
	}
	if !strings.Contains(strings.Join(notes, "\n"), "resuming at 700001 bytes") {
		t.Fatalf("notes %q", notes)
	}
}

// Ctrl-C mid-upload, then a new run (a new client, as a new process):
// it continues the recorded session from the host's offset.
func TestUploadBlobResumesAcrossRuns(t *testing.T) {
	h, srv := newSessionHost(t)
	state := t.TempDir()
	path, data, digest := testFile(t, 4<<20)
	ctx, cancel := context.WithCancel(context.Background())
	h.cutAfter, h.onCut = 1<<20+3, cancel
	_, err := sessionClient(t, srv, state).UploadBlob(ctx, path, nil)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("interrupted upload: %v", err)
	}
	posts, patched := h.seen()
	if posts != 1 || len(patched) != 1 || patched[0] != 1<<20+3 {
		t.Fatalf("first run delivered %v", patched)
	}
	first := patched[0]
	var resumed string
	up, err := sessionClient(t, srv, state).UploadBlob(context.Background(), path, func(ev ProgressEvent) error {
		if strings.HasPrefix(ev.Message, "resuming at") {
			resumed = ev.Message
		}
		return nil
	})
	if err != nil || up.Digest != digest || string(h.blob(digest)) != string(data) {
		t.Fatalf("second run %+v %v", up, err)
	}
	if posts, patched := h.seen(); posts != 1 || len(patched) != 2 || patched[1] != int64(len(data))-first || resumed == "" {
		t.Fatalf("second run: sessions %d, delivered %v (first %d), note %q", posts, patched, first, resumed)
	}
}

// A session the host no longer has (expired, host data wiped) starts a
// new one.
func TestUploadBlobStartsOverWhenSessionGone(t *testing.T) {
	h, srv := newSessionHost(t)
	state := t.TempDir()
	path, data, digest := testFile(t, 1<<20)
	ctx, cancel := context.WithCancel(context.Background())
	h.cutAfter, h.onCut = 1000, cancel
	if _, err := sessionClient(t, srv, state).UploadBlob(ctx, path, nil); !errors.Is(err, context.Canceled) {
		t.Fatalf("interrupted upload: %v", err)
	}
	st, _ := uploads.Open(t.TempDir(), uploads.Options{})
	h.mu.Lock()
	h.st = st // the host lost its sessions
	h.mu.Unlock()
	up, err := sessionClient(t, srv, state).UploadBlob(context.Background(), path, nil)
	if posts, _ := h.seen(); err != nil || up.Digest != digest || string(h.blob(digest)) != string(data) || posts != 2 {
		t.Fatalf("after the host lost the session: %+v %v (sessions %d)", up, err, posts)
	}
}

type flipFirst struct {
	r    io.Reader
	done bool
}

func (f *flipFirst) Read(p []byte) (int, error) {
	n, err := f.r.Read(p)
	if n > 0 && !f.done {
		p[0] ^= 0xff
		f.done = true
	}
	return n, err
}

// Bytes that do not hash to what the client computed (the file changed
// under it): the host refuses the digest, and the client stops, drops the
// session and says to run again, rather than retrying forever.
func TestUploadBlobDigestMismatchStops(t *testing.T) {
	h, srv := newSessionHost(t)
	state := t.TempDir()
	path, _, _ := testFile(t, 100_000)
	h.mu.Lock()
	h.garble = true
	h.mu.Unlock()
	up, err := sessionClient(t, srv, state).UploadBlob(context.Background(), path, nil)
	if up != nil || err == nil || !strings.Contains(err.Error(), "run again") {
		t.Fatalf("upload of garbled bytes: %+v %v", up, err)
	}
	if posts, patched := h.seen(); posts != 1 || len(patched) != 1 {
		t.Fatalf("retried after a digest mismatch: %d sessions, %v", posts, patched)
	}
	if h.st.Len() != 0 {
		t.Fatal("the refused session was not deleted")
	}
	// The next run starts afresh and succeeds.
	if _, err := sessionClient(t, srv, state).UploadBlob(context.Background(), path, nil); err != nil {
		t.Fatal(err)
	}
}

// The host restarts mid-upload: the connection drops, the host answers
// 503 while it comes back, then has reopened its sessions from disk; the
// client waits it out and sends only the rest.
func TestUploadBlobRidesOutHostRestart(t *testing.T) {
	h, srv := newSessionHost(t)
	dir := h.st.Dir()
	path, data, digest := testFile(t, 1<<20)
	h.cutAfter = 300_000
	h.onCut = func() {
		h.down = 3
		st, err := uploads.Open(dir, uploads.Options{}) // the restarted host
		if err != nil {
			t.Error(err)
			return
		}
		h.st = st
	}
	var notes []string
	up, err := sessionClient(t, srv, t.TempDir()).UploadBlob(context.Background(), path, func(ev ProgressEvent) error {
		if ev.Message != "" {
			notes = append(notes, ev.Message)
		}
		return nil
	})
	if err != nil || up.Digest != digest || string(h.blob(digest)) != string(data) {
		t.Fatalf("upload across a restart: %+v %v (notes %q)", up, err, notes)
	}
	if posts, patched := h.seen(); posts != 1 || len(patched) != 2 || patched[1] != int64(len(data))-300_000 {
		t.Fatalf("sessions %d, PATCHes delivered %v", posts, patched)
	}
	if !strings.Contains(strings.Join(notes, "\n"), "HTTP 503") {
		t.Fatalf("notes %q", notes)
	}
}

// A host whose resumable uploads are off answers 501: the file goes whole
// through POST /api/blobs/{digest}, as to a host without /v1/uploads,
// rather than retrying session creation until giving up.
func TestUploadBlobFallsBackWhenSessionsOff(t *testing.T) {
	path, data, digest := testFile(t, 1<<20+3)
	var mu sync.Mutex
	var got []byte
	posts := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		switch {
		case r.Method == http.MethodPost && r.URL.Path == "/v1/uploads":
			posts++
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusNotImplemented)
			io.WriteString(w, `{"error":{"message":"upload sessions are not available on this host","code":"unimplemented"}}`)
		case r.Method == http.MethodHead && r.URL.Path == "/api/blobs/"+digest:
			if got == nil {
				w.WriteHeader(http.StatusNotFound)
			}
		case r.Method == http.MethodPost && r.URL.Path == "/api/blobs/"+digest:
			got, _ = io.ReadAll(r.Body)
			w.WriteHeader(http.StatusCreated)
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	c := sessionClient(t, srv, t.TempDir())
	up, err := c.UploadBlob(context.Background(), path, nil)
	mu.Lock()
	defer mu.Unlock()
	if err != nil || up.Digest != digest || string(got) != string(data) {
		t.Fatalf("upload to a host with sessions off: %+v, %v (blob %d bytes)", up, err, len(got))
	}
	if posts != 1 {
		t.Fatalf("POST /v1/uploads tried %d times, want once", posts)
	}
}
