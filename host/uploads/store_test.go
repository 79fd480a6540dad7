package uploads

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/roundhouse-ai/roundhouse/sdk"
)

func digestOf(b []byte) string {
	s := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(s[:])
}

func payload(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i*7 + i/251)
	}
	return b
}

func open(t *testing.T, dir string, o Options) *Store {
	t.Helper()
	s, err := Open(dir, o)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// keep is a Handoff that records what it was given.
type keep struct {
	digest string
	data   []byte
	err    error
}

func (k *keep) hand(_ context.Context, digest string, r io.Reader, size int64) error {
	if k.err != nil {
		return k.err
	}
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	if int64(len(b)) != size {
		return errors.New("size does not match the bytes")
	}
	k.digest, k.data = digest, b
	return nil
}

func sdkErr(t *testing.T, err error) *sdk.Error {
	t.Helper()
	var e *sdk.Error
	if !errors.As(err, &e) {
		t.Fatalf("error %v (%T) is not an *sdk.Error", err, err)
	}
	return e
}

func TestUploadInChunksThenFinish(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "uploads")
	s := open(t, dir, Options{})
	data := payload(3<<20 + 17)
	info, err := s.Create(ctx)
	if err != nil || info.Offset != 0 || !ValidID(info.ID) {
		t.Fatalf("create: %+v %v", info, err)
	}
	for _, part := range [][2]int{{0, 1000}, {1000, 2 << 20}, {2 << 20, len(data)}} {
		got, err := s.Append(ctx, info.ID, int64(part[0]), bytes.NewReader(data[part[0]:part[1]]))
		if err != nil || got.Offset != int64(part[1]) {
			t.Fatalf("append %v: %+v %v", part, got, err)
		}
	}
	for name, want := range map[string]os.FileMode{dir: 0o700 | os.ModeDir, dataPath(dir, info.ID): 0o600, statePath(dir, info.ID): 0o600} {
		if fi, err := os.Stat(name); err != nil || fi.Mode() != want {
			t.Errorf("%s: mode %v, want %v (%v)", name, fi.Mode(), want, err)
		}
	}
	var k keep
	if _, err := s.Finish(ctx, info.ID, strings.ToUpper(digestOf(data)[7:]), k.hand); sdkErr(t, err).Field != "digest" {
		t.Fatalf("digest without sha256: accepted: %v", err)
	}
	if _, err := s.Finish(ctx, info.ID, "sha256:"+strings.ToUpper(digestOf(data)[7:]), k.hand); err != nil {
		t.Fatal(err)
	}
	if k.digest != digestOf(data) || !bytes.Equal(k.data, data) {
		t.Fatalf("handed %s, %d bytes", k.digest, len(k.data))
	}
	if _, err := s.Info(info.ID); sdkErr(t, err).Code != sdk.CodeNotFound {
		t.Fatalf("finished session still there: %v", err)
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 0 {
		t.Fatalf("files left after finishing: %v", ents)
	}
}

func TestOffsetMismatchIsRefused(t *testing.T) {
	ctx := context.Background()
	s := open(t, t.TempDir(), Options{})
	info, _ := s.Create(ctx)
	if _, err := s.Append(ctx, info.ID, 0, strings.NewReader("hello ")); err != nil {
		t.Fatal(err)
	}
	for _, off := range []int64{0, 3, 7, -1} {
		got, err := s.Append(ctx, info.ID, off, strings.NewReader("world"))
		e := sdkErr(t, err)
		if e.Code.HTTPStatus() != 409 || e.Field != "Upload-Offset" || !strings.Contains(e.Message, "offset 6") || got.Offset != 6 {
			t.Errorf("offset %d: %+v %+v", off, got, e)
		}
	}
	var k keep
	if _, err := s.Finish(ctx, info.ID, digestOf([]byte("hello ")), k.hand); err != nil || string(k.data) != "hello " {
		t.Fatalf("finish after refused appends: %q %v", k.data, err)
	}
}

// errAfter yields data, then fails like a connection cut mid-body.
type errAfter struct {
	r   io.Reader
	err error
}

func (e *errAfter) Read(p []byte) (int, error) {
	n, err := e.r.Read(p)
	if err == io.EOF {
		return n, e.err
	}
	return n, err
}

func TestCutBodyKeepsPrefixAndResumes(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s := open(t, dir, Options{})
	data := payload(1<<20 + 4321)
	info, _ := s.Create(ctx)
	cut := errors.New("connection reset")
	got, err := s.Append(ctx, info.ID, 0, &errAfter{r: bytes.NewReader(data[:700_001]), err: cut})
	if !errors.Is(err, cut) || got.Offset != 700_001 {
		t.Fatalf("cut append: %+v %v", got, err)
	}
	if head, _ := s.Info(info.ID); head.Offset != 700_001 {
		t.Fatalf("offset after the cut: %d", head.Offset)
	}
	// The digest of the whole file does not match the prefix: kept.
	var k keep
	if _, err := s.Finish(ctx, info.ID, digestOf(data), k.hand); sdkErr(t, err).Field != "digest" || k.data != nil {
		t.Fatalf("finish of an incomplete upload: %v", err)
	}
	if _, err := s.Info(info.ID); err != nil {
		t.Fatalf("session gone after a digest mismatch: %v", err)
	}
	if got, err := s.Append(ctx, info.ID, 700_001, bytes.NewReader(data[700_001:])); err != nil || got.Offset != int64(len(data)) {
		t.Fatalf("resume: %+v %v", got, err)
	}
	if _, err := s.Finish(ctx, info.ID, digestOf(data), k.hand); err != nil || !bytes.Equal(k.data, data) {
		t.Fatalf("finish after resume: %v", err)
	}
}

func TestStateSurvivesReopen(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	data := payload(2<<20 + 5)
	s := open(t, dir, Options{})
	info, _ := s.Create(ctx)
	if _, err := s.Append(ctx, info.ID, 0, bytes.NewReader(data[:1<<20])); err != nil {
		t.Fatal(err)
	}
	// Bytes written past the recorded offset (a crash between the write
	// and the state) are dropped on reopen.
	f, err := os.OpenFile(dataPath(dir, info.ID), os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString("garbage never recorded")
	f.Close()
	// A stray file and a foreign name are ignored or cleaned, never loaded.
	os.WriteFile(filepath.Join(dir, "../escape.json"), []byte("{}"), 0o600)
	os.WriteFile(filepath.Join(dir, "notanid.json"), []byte(`{"id":"notanid"}`), 0o600)

	s2 := open(t, dir, Options{})
	if s2.Len() != 1 {
		t.Fatalf("reopened store has %d sessions", s2.Len())
	}
	got, err := s2.Info(info.ID)
	if err != nil || got.Offset != 1<<20 {
		t.Fatalf("after reopen: %+v %v", got, err)
	}
	if fi, _ := os.Stat(dataPath(dir, info.ID)); fi.Size() != 1<<20 {
		t.Fatalf("staged file not truncated to the offset: %d", fi.Size())
	}
	if _, err := s2.Append(ctx, info.ID, 1<<20, bytes.NewReader(data[1<<20:])); err != nil {
		t.Fatal(err)
	}
	var k keep
	if _, err := s2.Finish(ctx, info.ID, digestOf(data), k.hand); err != nil || !bytes.Equal(k.data, data) {
		t.Fatalf("finish after reopen: %v", err)
	}
}

func TestExpiryAndPruning(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	now := time.Date(2026, 11, 30, 8, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	s := open(t, dir, Options{Now: clock})
	old, _ := s.Create(ctx)
	if !old.ExpiresAt.Equal(now.Add(DefaultTTL)) {
		t.Fatalf("expires_at %v", old.ExpiresAt)
	}
	now = now.Add(20 * time.Hour)
	young, _ := s.Create(ctx)
	// A PATCH extends the session's life.
	now = now.Add(3 * time.Hour)
	if got, err := s.Append(ctx, young.ID, 0, strings.NewReader("x")); err != nil || !got.ExpiresAt.Equal(now.Add(DefaultTTL)) {
		t.Fatalf("append: %+v %v", got, err)
	}
	now = now.Add(2 * time.Hour) // old is 25 h old, young touched 2 h ago
	if _, err := s.Info(old.ID); sdkErr(t, err).Code != sdk.CodeNotFound {
		t.Fatalf("expired session answered: %v", err)
	}
	if _, err := os.Stat(dataPath(dir, old.ID)); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("expired session's file kept: %v", err)
	}
	if _, err := s.Info(young.ID); err != nil {
		t.Fatal(err)
	}
	// Prune drops what expired without anyone asking; a reopen drops it too.
	now = now.Add(DefaultTTL)
	if n := s.Prune(); n != 1 || s.Len() != 0 {
		t.Fatalf("pruned %d, left %d", n, s.Len())
	}
	s.Create(ctx)
	now = now.Add(DefaultTTL + time.Second)
	if s2 := open(t, dir, Options{Now: clock}); s2.Len() != 0 {
		t.Fatalf("reopen kept %d expired sessions", s2.Len())
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 0 {
		t.Fatalf("files left: %v", ents)
	}
}

func TestMaxSessions(t *testing.T) {
	ctx := context.Background()
	s := open(t, t.TempDir(), Options{MaxSessions: 2})
	a, _ := s.Create(ctx)
	if _, err := s.Create(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Create(ctx); sdkErr(t, err).Code.HTTPStatus() != 429 {
		t.Fatalf("third session: %v", err)
	}
	if err := s.Delete(a.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Create(ctx); err != nil {
		t.Fatalf("after a delete: %v", err)
	}
}

func TestIDsAreValidatedAndCannotEscape(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "uploads")
	s := open(t, dir, Options{})
	seen := map[string]bool{}
	for range 100 {
		info, err := s.Create(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if !ValidID(info.ID) || seen[info.ID] {
			t.Fatalf("id %q invalid or repeated", info.ID)
		}
		seen[info.ID] = true
		s.Delete(info.ID)
	}
	os.WriteFile(filepath.Join(filepath.Dir(dir), "secret.data"), []byte("x"), 0o600)
	for _, id := range []string{"", "../secret", "..%2fsecret", "/etc/passwd", strings.Repeat("A", 32), strings.Repeat("a", 31) + "/",
		strings.Repeat("a", 33), "../" + strings.Repeat("a", 29), strings.Repeat("g", 32)} {
		if ValidID(id) {
			t.Errorf("ValidID(%q)", id)
		}
		if _, err := s.Info(id); sdkErr(t, err).Code != sdk.CodeNotFound {
			t.Errorf("Info(%q): %v", id, err)
		}
		if _, err := s.Append(ctx, id, 0, strings.NewReader("x")); sdkErr(t, err).Code != sdk.CodeNotFound {
			t.Errorf("Append(%q): %v", id, err)
		}
		if err := s.Delete(id); sdkErr(t, err).Code != sdk.CodeNotFound {
			t.Errorf("Delete(%q): %v", id, err)
		}
	}
	if _, err := os.Stat(filepath.Join(filepath.Dir(dir), "secret.data")); err != nil {
		t.Fatal("a file outside the uploads dir was touched")
	}
}

func TestHandoffFailureKeepsSession(t *testing.T) {
	ctx := context.Background()
	s := open(t, t.TempDir(), Options{})
	info, _ := s.Create(ctx)
	s.Append(ctx, info.ID, 0, strings.NewReader("model bytes"))
	k := keep{err: sdk.Errorf(sdk.CodeUnavailable, "engine down")}
	if _, err := s.Finish(ctx, info.ID, digestOf([]byte("model bytes")), k.hand); sdkErr(t, err).Code != sdk.CodeUnavailable {
		t.Fatalf("finish with the engine down: %v", err)
	}
	k.err = nil
	if _, err := s.Finish(ctx, info.ID, digestOf([]byte("model bytes")), k.hand); err != nil || string(k.data) != "model bytes" {
		t.Fatalf("second PUT: %v", err)
	}
}

// A second request on a session in use is refused, not queued.
func TestBusySessionRefused(t *testing.T) {
	ctx := context.Background()
	s := open(t, t.TempDir(), Options{})
	info, _ := s.Create(ctx)
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		_, err := s.Append(ctx, info.ID, 0, pr)
		done <- err
	}()
	pw.Write([]byte("abc")) // returns once Append has read it: it holds the session
	if _, err := s.Append(ctx, info.ID, 0, strings.NewReader("x")); sdkErr(t, err).Field != "id" || sdkErr(t, err).Code.HTTPStatus() != 409 {
		t.Fatalf("concurrent append: %v", err)
	}
	if err := s.Delete(info.ID); err == nil {
		t.Fatal("delete of a session in use succeeded")
	}
	pw.Close()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if got, _ := s.Info(info.ID); got.Offset != 3 {
		t.Fatalf("offset %d", got.Offset)
	}
}

// Settled answers the offset once the PATCH in progress has recorded
// what it received, not the offset from before it.
func TestSettledWaitsForThePatch(t *testing.T) {
	ctx := context.Background()
	s := open(t, t.TempDir(), Options{})
	info, _ := s.Create(ctx)
	pr, pw := io.Pipe()
	go func() { _, _ = s.Append(ctx, info.ID, 0, pr) }()
	pw.Write([]byte("abcdef")) // Append holds the session now
	got := make(chan Info, 1)
	go func() {
		i, _ := s.Settled(ctx, info.ID, time.Hour)
		got <- i
	}()
	pw.CloseWithError(errors.New("connection cut"))
	if i := <-got; i.Offset != 6 {
		t.Fatalf("settled offset %d, want 6", i.Offset)
	}
}

// A long PATCH records its progress as it goes: a host that dies in the
// middle of one (here: the store is opened afresh while the PATCH still
// runs, as a restarted host would find it) keeps what was checkpointed.
func TestLongPatchCheckpoints(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s := open(t, dir, Options{Checkpoint: 64 << 10})
	info, _ := s.Create(ctx)
	data := payload(300 << 10)
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		_, err := s.Append(ctx, info.ID, 0, pr)
		done <- err
	}()
	// The second Write returns once Append reads again, which it does
	// after recording the 200 KiB of the first (more than a checkpoint).
	for _, part := range [][]byte{data[:200<<10], data[200<<10 : 201<<10]} {
		if _, err := pw.Write(part); err != nil {
			t.Fatal(err)
		}
	}
	restarted := open(t, dir, Options{Checkpoint: 64 << 10})
	got, err := restarted.Info(info.ID)
	if err != nil || got.Offset < 200<<10 || got.Offset > 201<<10 {
		t.Fatalf("offset seen by a restarted host mid-PATCH: %d %v", got.Offset, err)
	}
	pw.CloseWithError(errors.New("host died"))
	<-done
	// The restarted host continues from its checkpoint.
	if _, err := restarted.Append(ctx, info.ID, got.Offset, bytes.NewReader(data[got.Offset:])); err != nil {
		t.Fatal(err)
	}
	var k keep
	if _, err := restarted.Finish(ctx, info.ID, digestOf(data), k.hand); err != nil || !bytes.Equal(k.data, data) {
		t.Fatalf("finish on the restarted host: %v", err)
	}
}

// With PruneEvery, an abandoned session's files go on a timer, with no
// other request touching the store; Close stops the timer.
func TestJanitorPrunesAbandonedSessions(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	var now atomic.Int64
	now.Store(time.Date(2026, 11, 30, 8, 0, 0, 0, time.UTC).UnixNano())
	clock := func() time.Time { return time.Unix(0, now.Load()) }
	s := open(t, dir, Options{Now: clock, PruneEvery: 10 * time.Millisecond})
	defer s.Close()
	info, err := s.Create(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Append(ctx, info.ID, 0, strings.NewReader("abandoned")); err != nil {
		t.Fatal(err)
	}
	time.Sleep(50 * time.Millisecond) // several rounds: not expired yet, kept
	if s.Len() != 1 {
		t.Fatal("a live session was pruned")
	}
	now.Add(int64(DefaultTTL + time.Second))
	deadline := time.Now().Add(10 * time.Second) // a bound for a slow machine, not a speed target
	for s.Len() != 0 {
		if time.Now().After(deadline) {
			t.Fatal("the expired session was never pruned by the timer")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if _, err := os.Stat(dataPath(dir, info.ID)); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("staged bytes kept: %v", err)
	}
}
