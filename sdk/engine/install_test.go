package engine

import (
	"context"
	"encoding/binary"
	"errors"
	"log/slog"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/roundhouse-ai/roundhouse/sdk/engine/enginetest"
	"github.com/roundhouse-ai/roundhouse/types"
)

// quiet discards the kit's own log lines in tests.
var quiet = slog.New(slog.DiscardHandler)

// noise is 1.5 MB of deterministic pseudo-random (incompressible) bytes,
// so a download takes more than one progress step.
var noise = sync.OnceValue(func() string {
	b := make([]byte, 3<<19)
	r := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < len(b); i += 8 {
		binary.LittleEndian.PutUint64(b[i:], r.Uint64())
	}
	return string(b)
})

func sha(data []byte) string { return enginetest.SHA256(data) }

// releases caches built archives (building them is slow under -race).
var releases sync.Map // kind+"|"+version → []byte

// release is an engine archive: bin/engine holds its version, plus a large
// library so the download takes several progress steps.
func release(t *testing.T, kind, version string) []byte {
	if b, ok := releases.Load(kind + "|" + version); ok {
		return b.([]byte)
	}
	b := formats[kind](t, []entry{
		{Name: "engine-" + version + "/bin/engine", Body: version, Mode: 0o755},
		{Name: "engine-" + version + "/lib/libbig.so", Body: noise()},
	})
	releases.Store(kind+"|"+version, b)
	return b
}

type server = enginetest.Server

func newServer(t *testing.T, files map[string][]byte) *server { return enginetest.NewServer(t, files) }

// verifyEngine is an Installer.Verify: the tree must hold an engine
// executable whose content is its version.
func verifyEngine(_ context.Context, dir string) (Verified, error) {
	exe, err := FindExecutable(dir, "engine")
	if err != nil {
		return Verified{}, err
	}
	b, err := os.ReadFile(exe)
	if err != nil {
		return Verified{}, err
	}
	rel, _ := filepath.Rel(dir, exe)
	return Verified{Version: string(b), Exe: rel}, nil
}

func newInstaller(t *testing.T, s *server) *Installer {
	return &Installer{Name: "engine", Dir: filepath.Join(t.TempDir(), "engine"), Client: s.Client(), Verify: verifyEngine, Logger: quiet}
}

func wantCode(t *testing.T, err error, code types.Code) *types.Error {
	t.Helper()
	if err == nil {
		t.Fatalf("got no error, want %v", code)
	}
	e := types.AsError(err)
	if e.Code != code {
		t.Fatalf("got %v (%v), want %v", e.Code, err, code)
	}
	return e
}

func TestInstallEachFormatThenRollback(t *testing.T) {
	files := map[string][]byte{}
	for kind := range formats {
		files["/1."+kind] = release(t, kind, "1.0."+kind)
		files["/2."+kind] = release(t, kind, "2.0."+kind)
	}
	s := newServer(t, files)
	for kind := range formats {
		t.Run(kind, func(t *testing.T) {
			in := newInstaller(t, s)
			ctx := context.Background()
			var events []types.Progress
			progress := func(p *types.Progress) error { events = append(events, *p); return nil }

			v1, err := in.Install(ctx, Download{URL: s.URL + "/1." + kind, SHA256: sha(files["/1."+kind])}, progress)
			if err != nil {
				t.Fatal(err)
			}
			if v1.Version != "1.0."+kind || filepath.Base(v1.Exe) != "engine" || !strings.HasPrefix(v1.Exe, v1.Dir) {
				t.Fatalf("installed %+v", v1)
			}
			downloads, last := 0, int64(0)
			for _, e := range events {
				if e.Status == "downloading" {
					downloads++
					if e.Completed < last {
						t.Errorf("progress went back: %d after %d", e.Completed, last)
					}
					last = e.Completed
				}
			}
			if downloads < 2 || last != int64(len(files["/1."+kind])) || events[len(events)-1].Status != "unpacking" {
				t.Errorf("progress events = %+v", events)
			}
			if _, ok := in.Previous(); ok {
				t.Error("a first install has a previous version")
			}

			v2, err := in.Install(ctx, Download{URL: s.URL + "/2." + kind, SHA256: strings.ToUpper(sha(files["/2."+kind]))}, nil)
			if err != nil {
				t.Fatal(err)
			}
			if cur, _ := in.Current(); cur.Dir != v2.Dir || cur.Version != "2.0."+kind {
				t.Fatalf("current = %+v, want %+v", cur, v2)
			}
			if prev, ok := in.Previous(); !ok || prev.Dir != v1.Dir {
				t.Fatalf("previous = %+v, %v, want %s", prev, ok, v1.Dir)
			}

			back, err := in.Rollback(ctx)
			if err != nil || back.Dir != v1.Dir {
				t.Fatalf("Rollback = %+v, %v", back, err)
			}
			if cur, _ := in.Current(); cur.Version != "1.0."+kind {
				t.Fatalf("current after rollback = %+v", cur)
			}
			if prev, _ := in.Previous(); prev.Dir != v2.Dir {
				t.Fatalf("previous after rollback = %+v", prev)
			}
			// The same version again is not downloaded again.
			events = nil
			if _, err := in.Install(ctx, Download{URL: s.URL + "/1." + kind, SHA256: sha(files["/1."+kind])}, progress); err != nil {
				t.Fatal(err)
			}
			if len(events) != 1 || events[0].Status != "already installed" {
				t.Errorf("reinstall events = %+v", events)
			}
		})
	}
}

func TestInstallBadChecksumChangesNothing(t *testing.T) {
	good, other := release(t, "tar.gz", "1"), release(t, "tar.gz", "2")
	s := newServer(t, map[string][]byte{"/1.tgz": good, "/2.tgz": other})
	in := newInstaller(t, s)
	ctx := context.Background()
	v1, err := in.Install(ctx, Download{URL: s.URL + "/1.tgz", SHA256: sha(good)}, nil)
	if err != nil {
		t.Fatal(err)
	}
	before, _ := os.ReadDir(in.Dir)

	claimed := sha(release(t, "tar.gz", "5"))
	_, err = in.Install(ctx, Download{URL: s.URL + "/2.tgz", SHA256: claimed}, nil)
	e := wantCode(t, err, types.CodeEngineChecksum)
	if e.Field != "sha256" || !strings.Contains(e.Message, sha(other)) || !strings.Contains(e.Message, "nothing was installed") {
		t.Errorf("error = %+v", e)
	}
	if cur, _ := in.Current(); cur.Dir != v1.Dir {
		t.Errorf("current changed to %+v", cur)
	}
	after, _ := os.ReadDir(in.Dir)
	if len(after) != len(before) {
		t.Errorf("dir %v, was %v", after, before)
	}
	if left, _ := os.ReadDir(filepath.Join(in.Dir, ".downloads")); len(left) != 0 {
		t.Errorf("downloads left: %v", left)
	}
}

func TestInstallRefusesWithoutChecksum(t *testing.T) {
	in := &Installer{Dir: t.TempDir()}
	ctx := context.Background()
	for d, field := range map[Download]string{
		{URL: "https://example.com/e.tgz"}:                                  "sha256",
		{URL: "https://example.com/e.tgz", SHA256: "abc"}:                   "sha256",
		{URL: "https://example.com/e.tgz", SHA256: strings.Repeat("g", 64)}: "sha256",
		{URL: "ftp://example.com/e.tgz", SHA256: strings.Repeat("a", 64)}:   "url",
		{SHA256: strings.Repeat("a", 64)}:                                   "url",
	} {
		_, err := in.Install(ctx, d, nil)
		if e := types.AsError(err); e == nil || e.Field != field {
			t.Errorf("Install(%+v) = %v, want an error on %s", d, err, field)
		}
	}
	if names, _ := os.ReadDir(in.Dir); len(names) != 0 {
		t.Errorf("refused installs left %v", names)
	}
}

func TestInstallVerifyRefuses(t *testing.T) {
	data := formats["zip"](t, []entry{{Name: "README", Body: "no engine here"}})
	s := newServer(t, map[string][]byte{"/e.zip": data})
	in := newInstaller(t, s)
	_, err := in.Install(context.Background(), Download{URL: s.URL + "/e.zip", SHA256: sha(data)}, nil)
	e := wantCode(t, err, types.CodeEngineInstallFailed)
	if !strings.Contains(e.Message, "no engine executable") {
		t.Errorf("message = %q", e.Message)
	}
	if _, ok := in.Current(); ok {
		t.Error("a refused tree became current")
	}
	if names, _ := os.ReadDir(in.Dir); len(names) != 1 || names[0].Name() != ".downloads" {
		t.Errorf("left behind: %v", names)
	}
}

// A download that breaks off resumes where it stopped.
func TestInstallResumesBrokenDownload(t *testing.T) {
	data := release(t, "tar.zst", "3")
	s := newServer(t, map[string][]byte{"/e.tar.zst": data})
	in := newInstaller(t, s)
	d := Download{URL: s.URL + "/e.tar.zst", SHA256: sha(data)}
	s.CutNext(int64(len(data) / 2))
	_, err := in.Install(context.Background(), d, nil)
	if e := wantCode(t, err, types.CodeEngineInstallFailed); !e.Retryable {
		t.Errorf("a broken download is not retryable: %+v", e)
	}
	var events []types.Progress
	inst, err := in.Install(context.Background(), d, func(p *types.Progress) error { events = append(events, *p); return nil })
	if err != nil {
		t.Fatal(err)
	}
	if s.Ranges.Load() != 1 || inst.Version != "3" {
		t.Errorf("ranges = %d, installed %+v", s.Ranges.Load(), inst)
	}
	if events[0].Completed != int64(len(data)/2) || !strings.Contains(events[0].Message, "resuming") {
		t.Errorf("first event = %+v", events[0])
	}
}

// The progress callback's error and ctx both cancel an install; nothing
// becomes current.
func TestInstallCancels(t *testing.T) {
	data := release(t, "tar.gz", "4")
	s := newServer(t, map[string][]byte{"/e.tgz": data})
	in := newInstaller(t, s)
	d := Download{URL: s.URL + "/e.tgz", SHA256: sha(data)}
	stop := errors.New("user said stop")
	if _, err := in.Install(context.Background(), d, func(*types.Progress) error { return stop }); !errors.Is(err, stop) {
		t.Fatalf("err = %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	_, err := in.Install(ctx, d, func(p *types.Progress) error {
		if p.Completed > 0 {
			cancel()
		}
		return nil
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v", err)
	}
	if _, ok := in.Current(); ok {
		t.Error("a cancelled install became current")
	}
}

func TestRollbackWithoutPrevious(t *testing.T) {
	in := &Installer{Dir: t.TempDir()}
	_, err := in.Rollback(context.Background())
	wantCode(t, err, types.CodeEngineNotInstalled)
}

// Pruning keeps the current and previous versions and any in use.
func TestInstallPrunesOldVersions(t *testing.T) {
	files := map[string][]byte{}
	for _, v := range []string{"1", "2", "3", "4"} {
		files["/"+v] = release(t, "tar.gz", v)
	}
	s := newServer(t, files)
	in := newInstaller(t, s)
	var first Installation
	in.InUse = func(dir string) bool { return dir == first.Dir }
	ctx := context.Background()
	for _, v := range []string{"1", "2", "3", "4"} {
		inst, err := in.Install(ctx, Download{URL: s.URL + "/" + v, SHA256: sha(files["/"+v])}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if v == "1" {
			first = inst
		}
	}
	var names []string
	entries, _ := os.ReadDir(in.Dir)
	for _, e := range entries {
		if e.IsDir() && !strings.HasPrefix(e.Name(), ".") {
			names = append(names, e.Name()[:1])
		}
	}
	if strings.Join(names, ",") != "1,3,4" {
		t.Errorf("versions kept = %v, want 1 (in use), 3 (previous), 4 (current)", names)
	}
}

// An install cancelled after the download keeps the verified archive, and
// the next one does not fetch it again.
func TestInstallKeepsVerifiedArchiveWhenCancelled(t *testing.T) {
	data := release(t, "zip", "6")
	s := newServer(t, map[string][]byte{"/e.zip": data})
	in := newInstaller(t, s)
	d := Download{URL: s.URL + "/e.zip", SHA256: sha(data)}
	ctx, cancel := context.WithCancel(context.Background())
	_, err := in.Install(ctx, d, func(p *types.Progress) error {
		if p.Status == "unpacking" {
			cancel()
		}
		return nil
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v", err)
	}
	s.Close() // nothing may be fetched now
	var events []types.Progress
	inst, err := in.Install(context.Background(), d, func(p *types.Progress) error { events = append(events, *p); return nil })
	if err != nil || inst.Version != "6" {
		t.Fatalf("Install = %+v, %v", inst, err)
	}
	if events[0].Message != "already downloaded" {
		t.Errorf("first event = %+v", events[0])
	}
}
