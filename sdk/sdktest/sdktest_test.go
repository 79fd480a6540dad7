package sdktest

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/roundhouse-ai/roundhouse/internal/testplugin"
	"github.com/roundhouse-ai/roundhouse/sdk"
	"github.com/roundhouse-ai/roundhouse/sdk/sdktest/internal/broken"
)

func TestRunPattern(t *testing.T) {
	if got := runPattern("TestX/sub.case"); got != `^TestX$/^sub\.case$` {
		t.Fatal(got)
	}
}

// The echo test plugin conforms (no manifest: services from Info).
func TestConformanceEchoPlugin(t *testing.T) {
	Run(t, testplugin.New("echo"), Options{})
}

// recorder is a TB that records failures instead of failing the test, so a
// test can run the suite against a broken plugin and look at what it said.
// It cannot run subtests: the checks run inline, their names prefixed.
type recorder struct {
	t      *testing.T
	mu     sync.Mutex
	errors []string
	fatals []string
}

func (r *recorder) Helper()          {}
func (r *recorder) Name() string     { return r.t.Name() }
func (r *recorder) Cleanup(f func()) { r.t.Cleanup(f) }
func (r *recorder) Logf(format string, args ...any) {
	r.t.Logf("suite: "+format, args...)
}

func (r *recorder) Errorf(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.errors = append(r.errors, fmt.Sprintf(format, args...))
}

func (r *recorder) Fatalf(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.fatals = append(r.fatals, fmt.Sprintf(format, args...))
}

func (r *recorder) all() []string { return append(append([]string(nil), r.fatals...), r.errors...) }

// brokenOptions checks the broken plugin against its manifest, configured.
func brokenOptions(t *testing.T) Options {
	dir := t.TempDir()
	if err := broken.WriteManifest(dir); err != nil {
		t.Fatal(err)
	}
	return Options{ManifestDir: dir, Config: &sdk.Config{}}
}

// runRecorded runs the suite against impl (as a real subprocess) and
// returns what it reported.
func runRecorded(t *testing.T, impl sdk.Plugin, o Options) *recorder {
	rec := &recorder{t: t}
	Run(rec, impl, o)
	return rec
}

// The broken plugin without a variant passes every check: the self-tests
// below fail for the one rule their variant breaks, not for noise.
func TestSuitePassesConformingPlugin(t *testing.T) {
	rec := runRecorded(t, broken.New(broken.OK), brokenOptions(t))
	if got := rec.all(); len(got) != 0 {
		t.Errorf("the suite failed a conforming plugin:\n%s", strings.Join(got, "\n"))
	}
}

// Each variant of the broken plugin breaks one rule; the suite must fail
// it in the named check, with a message naming the problem, and in no
// other check.
func TestSuiteCatchesBrokenPlugins(t *testing.T) {
	for _, tc := range []struct {
		variant string
		check   string // the check that must fail
		want    string // in its message
		opts    func(*Options)
	}{
		{broken.IgnoresCancel, "Cancel/chat", "ChatStream handler was still running 2s after the caller cancelled", nil},
		{broken.NilChat, "Service/chat", "Chat returned a nil response with a nil error", nil},
		{broken.NilTranscript, "Service/speech-to-text", "SpeechToText returned a nil response with a nil error", nil},
		{broken.FewerEmbeddings, "Service/embed", "Embed returned 1 embeddings for 2 inputs", nil},
		{broken.NoEmbeddings, "Service/embed", "Embed returned 0 embeddings for 2 inputs", nil},
		{broken.RerankRange, "Service/rerank", "Rerank result 0 has index 3, out of range for 3 documents", nil},
		{broken.RerankUnsorted, "Service/rerank", "not sorted by relevance_score", nil},
		{broken.NegativeUsage, "Service/chat", "Chat usage has negative token counts", nil},
		{broken.EarlyDone, "Stream/chat", "ChatStream chunk 1 of", nil},
		{broken.NoDone, "Stream/chat", "the last ChatStream chunk must have done set", nil},
		{broken.NoFinishReason, "Stream/chat", "the last ChatStream chunk has no finish_reason", nil},
		{broken.BlocksChat, "Service/chat", "Chat did not answer within 1s", func(o *Options) { o.Timeout = time.Second }},
		{broken.OneChunk, "Stream/chat", "ChatStream sent the whole answer in 1 chunk", nil},
		{broken.NotServing, "Health", "Health is not_serving after a successful Configure", nil},
		{broken.WrongName, "Info", `Info says name "other" but the manifest says "broken"`, nil},
		{broken.WrongType, "Info", `Info says type "remote" but the manifest says "local"`, nil},
		{broken.WrongVersion, "Info", `Info says version "2.0.0" but the manifest says "1.0.0"`, nil},
		{broken.NoImages, "Service/text-to-image", "TextToImage returned no image", nil},
		{broken.NoAudio, "Service/text-to-speech", "TextToSpeech returned no audio", nil},
		{broken.NoEdits, "Service/image-to-image", "ImageToImage returned no image", nil},
	} {
		t.Run(tc.variant, func(t *testing.T) {
			o := brokenOptions(t)
			if tc.opts != nil {
				tc.opts(&o)
			}
			rec := runRecorded(t, broken.New(tc.variant), o)
			if len(rec.fatals) > 0 {
				t.Fatalf("the suite stopped: %v", rec.fatals)
			}
			found := false
			for _, e := range rec.errors {
				if !strings.HasPrefix(e, tc.check+": ") {
					t.Errorf("unexpected failure outside %s: %s", tc.check, e)
				}
				if strings.Contains(e, tc.want) {
					found = true
				}
			}
			if !found {
				t.Errorf("the suite did not fail %s with %q; it said:\n%s", tc.check, tc.want, strings.Join(rec.errors, "\n"))
			}
		})
	}
}

// A manifest error stops the suite with one failure that names it.
func TestSuiteStopsOnManifestError(t *testing.T) {
	dir := t.TempDir()
	if err := broken.WriteBadManifest(dir); err != nil {
		t.Fatal(err)
	}
	rec := runRecorded(t, broken.New(broken.OK), Options{ManifestDir: dir})
	got := rec.all()
	if len(got) != 1 || len(rec.fatals) != 1 {
		t.Fatalf("want exactly one fatal failure, got %d:\n%s", len(got), strings.Join(got, "\n"))
	}
	for _, want := range []string{"plugin.yaml", "provider.name"} {
		if !strings.Contains(got[0], want) {
			t.Errorf("the failure does not name %q: %s", want, got[0])
		}
	}
}

// liar declares chat in Info but does not implement it, and answers embed
// without declaring it.
type liar struct{ sdk.UnimplementedPlugin }

func (liar) Info(context.Context) (*sdk.Info, error) {
	return &sdk.Info{Services: map[string]sdk.Capabilities{"chat": {SupportStreaming: true}}}, nil
}

func (liar) Embed(context.Context, *sdk.EmbedRequest) (*sdk.EmbedResponse, error) {
	return &sdk.EmbedResponse{}, nil
}

// The suite catches a plugin whose services contradict what it declares.
func TestSuiteCatchesUndeclaredServices(t *testing.T) {
	rec := runRecorded(t, liar{}, Options{})
	for _, want := range []string{
		"Info: chat is declared but the plugin implements neither Chat nor ChatStream: the host refuses to start it",
		"Service/chat: chat is declared but returns unimplemented",
		"Service/embed: embed is not declared, so it must return code unimplemented",
		"Stream/chat: chat declares support_streaming but ChatStream returns unimplemented",
	} {
		found := false
		for _, e := range rec.errors {
			found = found || strings.HasPrefix(e, want)
		}
		if !found {
			t.Errorf("no failure %q; the suite said:\n%s", want, strings.Join(rec.all(), "\n"))
		}
	}
}

const envInner = "SDKTEST_SELFTEST_INNER"

// Failures are reported at the line that calls Run, and go-plugin's and
// the plugin's logs stay quiet (even under -v) unless asked for: the test
// binary runs TestReportedAtCallerLine again with a real *testing.T
// against a broken plugin and reads its output.
func TestReportedAtCallerLine(t *testing.T) {
	if os.Getenv(envInner) != "" {
		o := brokenOptions(t)
		Run(t, broken.New(broken.NilChat), o) // failures are reported on this line
		return
	}
	src, err := os.ReadFile("sdktest_test.go")
	if err != nil {
		t.Fatal(err)
	}
	line := 0
	for i, l := range strings.Split(string(src), "\n") {
		if strings.HasSuffix(l, "// failures are reported on this line") {
			line = i + 1
		}
	}
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(exe, "-test.run=^TestReportedAtCallerLine$", "-test.v")
	cmd.Env = append(os.Environ(), envInner+"=1", EnvVerbose+"=")
	out, err := cmd.CombinedOutput()
	if err == nil {
		t.Fatalf("the inner run passed a broken plugin:\n%s", out)
	}
	want := fmt.Sprintf("sdktest_test.go:%d: Chat returned a nil response", line)
	if !strings.Contains(string(out), want) {
		t.Errorf("the failure is not reported at the caller's line (want %q):\n%s", want, out)
	}
	for _, noise := range []string{"go-plugin", "starting plugin", "plugin started", "level=DEBUG"} {
		if strings.Contains(string(out), noise) {
			t.Errorf("the output has log noise %q without SDKTEST_VERBOSE:\n%s", noise, out)
		}
	}
}
