package sdktest

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/roundhouse-ai/roundhouse/sdk"
	"github.com/roundhouse-ai/roundhouse/sdk/manifest"
	"github.com/roundhouse-ai/roundhouse/sdk/pluginhost"
)

const (
	// envServe tells a re-executed test binary to serve the plugin.
	envServe = "ROUNDHOUSE_SDKTEST_SERVE"
	// envInflightFile is where the plugin's Serve keeps its call
	// accounting (the same name as in sdk/inflight.go).
	envInflightFile = "ROUNDHOUSE_SDK_INFLIGHT_FILE"
	// EnvVerbose, set to 1, shows the plugin's and go-plugin's logs.
	EnvVerbose = "SDKTEST_VERBOSE"
)

// Default bounds (see Options).
const (
	DefaultTimeout       = 5 * time.Second
	DefaultStreamTimeout = 30 * time.Second
	DefaultCancelTimeout = 2 * time.Second
	DefaultStartTimeout  = 30 * time.Second
)

// TB is the part of testing.TB that Run uses. *testing.T satisfies it (and
// then every check is a subtest); other implementations, such as a
// recorder in a test of the suite itself, get the checks' failures
// prefixed with the check's name.
type TB interface {
	Helper()
	Name() string
	Cleanup(func())
	Logf(format string, args ...any)
	Errorf(format string, args ...any)
	Fatalf(format string, args ...any)
}

// Options tune Run. The zero value checks a plugin with the suite's
// default sample requests and bounds.
type Options struct {
	// ManifestDir holds plugin.yaml; "" skips the manifest checks and takes
	// the declared services from Info.
	ManifestDir string

	// Sample requests, one per service. A sample given here must succeed
	// (and its response is checked). Without one the suite sends a default
	// sample (the manifest's default_model, a short prompt that asks for
	// several tokens): an error answer then passes (a "model not found" is
	// an answer), except unimplemented, a timeout or a panic, and a
	// successful answer is checked all the same.
	Chat         *sdk.ChatRequest
	Generate     *sdk.GenerateRequest
	Embed        *sdk.EmbedRequest
	Rerank       *sdk.RerankRequest
	TextToImage  *sdk.TextToImageRequest
	ImageToImage *sdk.ImageToImageRequest
	TextToSpeech *sdk.TextToSpeechRequest
	SpeechToText *sdk.SpeechToTextRequest

	// Config is sent with Configure before the checks, as the host does
	// after starting a plugin (without it, an empty Config is sent). When
	// set, Health must then say serving (after "starting" for at most
	// StartTimeout).
	Config *sdk.Config
	// Env is added to the plugin's environment.
	Env []string

	// Timeout bounds each unary call: one that has not answered by then
	// fails its check (default 5 s).
	Timeout time.Duration
	// StreamTimeout bounds each whole stream (default 30 s, or Timeout if
	// that is longer).
	StreamTimeout time.Duration
	// CancelTimeout is how long the plugin's handler may run on after its
	// caller cancelled or its deadline passed (default 2 s).
	CancelTimeout time.Duration
	// StartTimeout is how long Health may say "starting" after Configure
	// (default 30 s).
	StartTimeout time.Duration

	// SingleChunk names the streaming services that may legitimately
	// answer the sample in one chunk (sdk.ServiceChat, sdk.ServiceGenerate);
	// others must stream the answer as it is produced.
	SingleChunk []string

	// Verbose shows the plugin's and go-plugin's debug logs on stderr (as
	// does SDKTEST_VERBOSE=1); by default they are discarded.
	Verbose bool
}

func (o *Options) defaults() {
	if o.Timeout <= 0 {
		o.Timeout = DefaultTimeout
	}
	if o.StreamTimeout <= 0 {
		o.StreamTimeout = max(DefaultStreamTimeout, o.Timeout)
	}
	if o.CancelTimeout <= 0 {
		o.CancelTimeout = DefaultCancelTimeout
	}
	if o.StartTimeout <= 0 {
		o.StartTimeout = DefaultStartTimeout
	}
}

// Run launches impl as a plugin subprocess and runs the conformance checks
// (as subtests when t is a *testing.T). A problem that leaves nothing to
// check (the manifest, the launch, Configure) is one fatal failure.
//
// In the re-executed test binary, Run serves impl and exits: call it
// before any setup only the parent needs, or guard that with IsChild.
func Run(t TB, impl sdk.Plugin, o Options) {
	serveIfChild(t, impl)
	t.Helper()
	o.defaults()
	s := &suite{o: o, declared: map[string]manifest.ServiceSpec{}}
	if o.ManifestDir != "" {
		m, err := loadManifest(o.ManifestDir)
		if err != nil {
			t.Fatalf("sdktest: plugin.yaml in %s: %v", o.ManifestDir, err)
			return
		}
		s.manifest = m
		for _, spec := range m.Services {
			s.declared[spec.ServiceName] = spec
		}
	}
	proc, inflight, err := launch(t, o)
	if err != nil {
		t.Fatalf("sdktest: %v", err)
		return
	}
	s.conn, s.inflightFile = proc.Conn(), inflight

	cfg := o.Config
	if cfg == nil {
		cfg = &sdk.Config{}
	}
	ctx, cancel := context.WithTimeout(context.Background(), o.Timeout)
	err = s.conn.Configure(ctx, cfg)
	cancel()
	if err != nil {
		t.Fatalf("sdktest: Configure: %v", err)
		return
	}

	ctx, cancel = context.WithTimeout(context.Background(), o.Timeout)
	s.info, s.infoErr = s.conn.Info(ctx)
	cancel()
	if s.manifest == nil {
		if s.infoErr != nil {
			t.Fatalf("sdktest: Info (without a manifest the services come from Info): %v", s.infoErr)
			return
		}
		for name, c := range s.info.Services {
			s.declared[name] = manifest.ServiceSpec{ServiceName: name, Capabilities: c}
		}
	}
	for _, c := range s.checks() {
		runCheck(t, c.name, c.run)
	}
}

// runCheck runs one check as a subtest of t, or inline with its name
// prefixed when t cannot run subtests.
func runCheck(t TB, name string, run func(ctx context.Context, p *problems)) {
	t.Helper()
	f := func(t TB) {
		t.Helper()
		var p problems
		run(context.Background(), &p)
		for _, msg := range p.logs {
			t.Logf("%s", msg)
		}
		for _, msg := range p.fails {
			t.Errorf("%s", msg)
		}
	}
	if rt, ok := t.(interface {
		Run(string, func(*testing.T)) bool
	}); ok {
		rt.Run(name, func(st *testing.T) {
			st.Helper()
			f(st)
		})
		return
	}
	f(prefixed{t, name})
}

type prefixed struct {
	TB
	name string
}

func (p prefixed) Errorf(format string, args ...any) {
	p.TB.Helper()
	p.TB.Errorf("%s: %s", p.name, fmt.Sprintf(format, args...))
}

func (p prefixed) Logf(format string, args ...any) {
	p.TB.Helper()
	p.TB.Logf("%s: %s", p.name, fmt.Sprintf(format, args...))
}

// problems collects a check's failures, and notes for the log.
type problems struct{ fails, logs []string }

func (p *problems) add(format string, args ...any) {
	p.fails = append(p.fails, fmt.Sprintf(format, args...))
}
func (p *problems) log(format string, args ...any) {
	p.logs = append(p.logs, fmt.Sprintf(format, args...))
}

// IsChild reports whether this test binary runs as the plugin subprocess
// of a Run: tests can skip expensive setup that only the parent needs.
func IsChild() bool { return os.Getenv(envServe) != "" }

// serveIfChild turns the re-executed test binary into the plugin.
func serveIfChild(t TB, impl sdk.Plugin) {
	if os.Getenv(envServe) == t.Name() {
		if err := sdk.Serve(impl); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(0)
	}
}

func loadManifest(dir string) (*manifest.Manifest, error) {
	m, err := manifest.Load(dir)
	if err != nil {
		return nil, err
	}
	m.Dir = "" // the executable need not be built for this test
	if err := m.Validate(runtime.GOOS, runtime.GOARCH); err != nil {
		return nil, err
	}
	return m, nil
}

// launch starts the test binary as the plugin; it returns the process and
// the path of its call accounting.
func launch(t TB, o Options) (*pluginhost.Process, string, error) {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		return nil, "", err
	}
	dir, err := os.MkdirTemp("", "sdktest")
	if err != nil {
		return nil, "", err
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	inflight := filepath.Join(dir, "inflight.json")
	env := append(os.Environ(), envServe+"="+t.Name(), envInflightFile+"="+inflight)
	env = append(env, o.Env...)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	proc, err := pluginhost.Launch(ctx, pluginhost.LaunchConfig{
		Name:       "sdktest",
		Executable: exe,
		Args:       []string{"-test.run=" + runPattern(t.Name())},
		Env:        env,
		Logger:     logger(o.Verbose),
	})
	if err != nil {
		return nil, "", fmt.Errorf("launch the plugin as a subprocess: %w", err)
	}
	t.Cleanup(proc.Kill)
	return proc, inflight, nil
}

// logger shows the plugin's and go-plugin's logs only when asked.
func logger(verbose bool) *slog.Logger {
	if verbose || os.Getenv(EnvVerbose) == "1" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

// runPattern selects exactly the named (sub)test in -test.run.
func runPattern(name string) string {
	parts := strings.Split(name, "/")
	for i, p := range parts {
		parts[i] = "^" + regexp.QuoteMeta(p) + "$"
	}
	return strings.Join(parts, "/")
}

// suite is one run against one plugin process.
type suite struct {
	o            Options
	conn         *pluginhost.Conn
	manifest     *manifest.Manifest // nil without ManifestDir
	declared     map[string]manifest.ServiceSpec
	info         *sdk.Info
	infoErr      error
	inflightFile string
}

type check struct {
	name string
	run  func(ctx context.Context, p *problems)
}

// checks lists the conformance checks, in order.
func (s *suite) checks() []check {
	cs := []check{{"Info", s.checkInfo}, {"Health", s.checkHealth}}
	for _, name := range sdk.ServiceNames {
		cs = append(cs, check{"Service/" + name, func(ctx context.Context, p *problems) { s.checkService(ctx, p, name) }})
	}
	for _, name := range streamingServices {
		if spec, ok := s.declared[name]; ok && spec.Capabilities.SupportStreaming {
			cs = append(cs,
				check{"Stream/" + name, func(ctx context.Context, p *problems) { s.checkStream(ctx, p, name) }},
				check{"Cancel/" + name, func(ctx context.Context, p *problems) { s.checkCancel(ctx, p, name) }})
		}
	}
	return cs
}

// checkInfo: Info answers, names its SDK version, and agrees with the
// manifest on name, type, version and services.
func (s *suite) checkInfo(_ context.Context, p *problems) {
	if s.infoErr != nil {
		p.add("Info: %v", s.infoErr)
		return
	}
	info := s.info
	if info.SDKVersion == "" {
		p.add("Info: sdk_version is empty")
	}
	// The host refuses to start a plugin that lacks a declared service.
	if info.Implemented != nil {
		for _, name := range slices.Sorted(mapKeys(s.declared)) {
			if !slices.Contains(info.Implemented, name) {
				p.add("%s is declared but the plugin implements %s: the host refuses to start it", name, pluginhost.MissingMethods(name))
			}
		}
	}
	if s.manifest == nil {
		return
	}
	m := s.manifest.Provider
	for _, f := range []struct{ field, info, manifest string }{
		{"name", info.Name, m.Name},
		{"type", info.Type, string(m.Type)},
		{"version", info.Version, m.Version},
	} {
		if f.info != "" && f.info != f.manifest {
			p.add("Info says %s %q but the manifest says %q", f.field, f.info, f.manifest)
		}
	}
	for _, name := range slices.Sorted(mapKeys(info.Services)) {
		if _, ok := s.declared[name]; !ok {
			p.add("Info lists service %q, which the manifest does not declare", name)
		}
	}
}

// checkHealth: Health answers a known state; after Options.Config it says
// serving ("starting" for at most StartTimeout).
func (s *suite) checkHealth(_ context.Context, p *problems) {
	deadline := time.Now().Add(s.o.StartTimeout)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), s.o.Timeout)
		h, err := s.conn.Health(ctx)
		cancel()
		if err != nil {
			p.add("Health: %v", err)
			return
		}
		switch h.State {
		case sdk.HealthServing:
			return
		case sdk.HealthStarting, sdk.HealthNotServing:
			if s.o.Config == nil {
				return // without a configuration, not serving can be right
			}
			if h.State == sdk.HealthNotServing {
				p.add("Health is %s after a successful Configure (message %q); it must be serving", h.State, h.Message)
				return
			}
			if time.Now().After(deadline) {
				p.add("Health still says starting %v after Configure (message %q)", s.o.StartTimeout, h.Message)
				return
			}
			time.Sleep(100 * time.Millisecond)
		default:
			p.add("Health: unknown state %q", h.State)
			return
		}
	}
}

// checkService: a declared service answers (a sample it was given, with
// success), in time, with a well-formed response; an undeclared one says
// unimplemented.
func (s *suite) checkService(ctx context.Context, p *problems, name string) {
	spec, declared := s.declared[name]
	method := unaryMethods[name]
	before := s.accounting()
	ctx, cancel := context.WithTimeout(ctx, s.o.Timeout)
	defer cancel()
	req, resp, explicit, err := s.callUnary(ctx, name, spec)
	code := sdk.ErrorCode(err)
	switch {
	case !declared:
		if code != sdk.CodeUnimplemented {
			p.add("%s is not declared, so it must return code unimplemented; got %v (%v)", name, code, err)
		}
		return
	case code == sdk.CodeUnimplemented:
		p.add("%s is declared but returns unimplemented: %v", name, err)
		return
	case ctx.Err() != nil:
		p.add("%s did not answer within %v (Options.Timeout): %v", method, s.o.Timeout, err)
		s.waitIdle(p, method, "its caller's deadline passed")
		return
	case err != nil && isPanic(err):
		p.add("%s panicked: %v", method, err)
		return
	case err != nil && explicit:
		p.add("%s with the sample request (Options.%s): %v", method, method, err)
		return
	case err != nil:
		p.log("%s answered the default sample with an error, so its response was not checked (give Options.%s to require success): %v",
			method, method, err)
		return
	}
	if after := s.accounting(); after != nil && before != nil && after.NilResponses[method] > before.NilResponses[method] {
		p.add("%s returned a nil response with a nil error; return a response or an error", method)
		return
	}
	checkResponse(p, name, req, resp)
}

// isPanic reports whether err is the Internal error Serve makes of a panic.
func isPanic(err error) bool {
	return sdk.ErrorCode(err) == sdk.CodeInternal && strings.Contains(err.Error(), "plugin panic")
}

func mapKeys[M ~map[K]V, K comparable, V any](m M) func(func(K) bool) {
	return func(yield func(K) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

// accounting reads the plugin's call accounting; nil if it is unavailable.
type accounting struct {
	Running      map[string]int `json:"running"`
	NilResponses map[string]int `json:"nil_responses"`
}

func (s *suite) accounting() *accounting {
	b, err := os.ReadFile(s.inflightFile)
	if err != nil {
		return nil
	}
	var a accounting
	if json.Unmarshal(b, &a) != nil {
		return nil
	}
	return &a
}

// waitIdle fails unless the plugin's handlers of method end within
// CancelTimeout.
func (s *suite) waitIdle(p *problems, method, after string) {
	deadline := time.Now().Add(s.o.CancelTimeout)
	for {
		a := s.accounting()
		if a == nil {
			return // no accounting (an SDK without it): nothing to see
		}
		if a.Running[method] == 0 {
			return
		}
		if time.Now().After(deadline) {
			p.add("the plugin's %s handler was still running %v after %s: it must return when its ctx is done or send returns an error (Options.CancelTimeout)",
				method, s.o.CancelTimeout, after)
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
}
