// Package sdktest is the conformance suite for Roundhouse plugins. Call
// Run from a test in your plugin's package:
//
//	func TestConformance(t *testing.T) {
//		sdktest.Run(t, newPlugin(), sdktest.Options{ManifestDir: "."})
//	}
//
// Run re-executes the test binary as your plugin (a real subprocess over
// gRPC, exactly as the host runs it), then checks the contract: the
// manifest is valid, Info and Health answer, every declared service answers
// (and every undeclared one says Unimplemented), streams end with a done
// chunk, and cancelling a stream reaches the plugin.
package sdktest

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"regexp"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/roundhouse-ai/roundhouse/sdk"
	"github.com/roundhouse-ai/roundhouse/sdk/manifest"
	"github.com/roundhouse-ai/roundhouse/sdk/pluginhost"
)

// envServe tells a re-executed test binary to serve the plugin.
const envServe = "ROUNDHOUSE_SDKTEST_SERVE"

// Options tune Run.
type Options struct {
	// ManifestDir holds plugin.yaml; "" skips the manifest checks and takes
	// the declared services from Info.
	ManifestDir string
	// Requests are sample requests per service name, for plugins that
	// need a real model: with one, the call must succeed; without one, any
	// answer but Unimplemented passes (a "model not found" is an answer).
	Chat     *sdk.ChatRequest
	Generate *sdk.GenerateRequest
	Embed    *sdk.EmbedRequest
	// Config, when set, is sent with Configure before the checks, as the
	// host does after starting a plugin.
	Config *sdk.Config
	// Env is added to the plugin's environment.
	Env []string
	// Timeout bounds each call (default 60 s).
	Timeout time.Duration
}

// Run launches impl as a plugin subprocess and runs the conformance checks
// as subtests of t.
func Run(t *testing.T, impl sdk.Plugin, o Options) {
	serveIfChild(t, impl)
	t.Helper()
	if o.Timeout == 0 {
		o.Timeout = 60 * time.Second
	}
	proc := launch(t, o)
	if o.Config != nil {
		ctx, cancel := context.WithTimeout(context.Background(), o.Timeout)
		err := proc.Conn().Configure(ctx, o.Config)
		cancel()
		if err != nil {
			t.Fatalf("Configure: %v", err)
		}
	}
	for _, c := range checks(proc.Conn(), o) {
		t.Run(c.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), o.Timeout)
			defer cancel()
			if err := c.run(ctx); err != nil {
				t.Error(err)
			}
		})
	}
}

// IsChild reports whether this test binary runs as the plugin subprocess
// of a Run: tests can skip expensive setup that only the parent needs.
func IsChild() bool { return os.Getenv(envServe) != "" }

// serveIfChild turns the re-executed test binary into the plugin.
func serveIfChild(t *testing.T, impl sdk.Plugin) {
	if os.Getenv(envServe) == t.Name() {
		if err := sdk.Serve(impl); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(0)
	}
}

func launch(t *testing.T, o Options) *pluginhost.Process {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	env := append(os.Environ(), envServe+"="+t.Name())
	env = append(env, o.Env...)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	proc, err := pluginhost.Launch(ctx, pluginhost.LaunchConfig{
		Name:       "sdktest",
		Executable: exe,
		Args:       []string{"-test.run=" + runPattern(t.Name())},
		Env:        env,
		Logger:     logger(),
	})
	if err != nil {
		t.Fatalf("launch the plugin as a subprocess: %v", err)
	}
	t.Cleanup(proc.Kill)
	return proc
}

// logger shows the plugin's logs under go test -v only.
func logger() *slog.Logger {
	if testing.Verbose() {
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

type check struct {
	name string
	run  func(ctx context.Context) error
}

// checks lists the conformance checks for a running plugin.
func checks(conn *pluginhost.Conn, o Options) []check {
	var declared map[string]manifest.ServiceSpec
	cs := []check{
		{"Manifest", func(ctx context.Context) error {
			if o.ManifestDir == "" {
				return nil
			}
			m, err := manifest.Load(o.ManifestDir)
			if err != nil {
				return err
			}
			m.Dir = "" // the executable need not be built for this test
			if err := m.Validate(runtime.GOOS, runtime.GOARCH); err != nil {
				return err
			}
			declared = map[string]manifest.ServiceSpec{}
			for _, s := range m.Services {
				declared[s.ServiceName] = s
			}
			return nil
		}},
		{"Info", func(ctx context.Context) error {
			info, err := conn.Info(ctx)
			if err != nil {
				return fmt.Errorf("Info: %w", err)
			}
			if info.SDKVersion == "" {
				return fmt.Errorf("Info: sdk_version is empty")
			}
			if declared == nil {
				declared = map[string]manifest.ServiceSpec{}
				for name, c := range info.Services {
					declared[name] = manifest.ServiceSpec{ServiceName: name, Capabilities: c}
				}
			}
			return nil
		}},
		{"Health", func(ctx context.Context) error {
			h, err := conn.Health(ctx)
			if err != nil {
				return fmt.Errorf("Health: %w", err)
			}
			switch h.State {
			case sdk.HealthServing, sdk.HealthStarting, sdk.HealthNotServing:
				return nil
			}
			return fmt.Errorf("Health: unknown state %q", h.State)
		}},
	}
	for _, name := range sdk.ServiceNames {
		cs = append(cs, check{"Service/" + name, func(ctx context.Context) error {
			_, isDeclared := declared[name]
			sampled, err := callService(ctx, conn, name, o)
			code := sdk.ErrorCode(err)
			switch {
			case !isDeclared && code != sdk.CodeUnimplemented:
				return fmt.Errorf("%s is not declared, so it must return code unimplemented; got %v (%v)", name, code, err)
			case isDeclared && code == sdk.CodeUnimplemented:
				return fmt.Errorf("%s is declared in the manifest but returns unimplemented", name)
			case isDeclared && sampled && err != nil:
				return fmt.Errorf("%s with the sample request: %w", name, err)
			}
			return nil
		}})
	}
	cs = append(cs,
		check{"Stream/chat", func(ctx context.Context) error {
			if s, ok := declared[sdk.ServiceChat]; !ok || !s.Capabilities.SupportStreaming {
				return nil
			}
			return checkStream(ctx, conn, chatRequest(o))
		}},
		check{"Cancel/chat", func(ctx context.Context) error {
			if s, ok := declared[sdk.ServiceChat]; !ok || !s.Capabilities.SupportStreaming {
				return nil
			}
			return checkCancel(ctx, conn, chatRequest(o))
		}},
	)
	return cs
}

func chatRequest(o Options) *sdk.ChatRequest {
	if o.Chat != nil {
		c := *o.Chat
		return &c
	}
	return &sdk.ChatRequest{Messages: []sdk.Message{{Role: "user", Content: "Say hello."}}}
}

// callService calls one service; sampled says whether a sample request was
// given (then the call must succeed).
func callService(ctx context.Context, conn *pluginhost.Conn, name string, o Options) (sampled bool, err error) {
	switch name {
	case sdk.ServiceChat:
		_, err = conn.Chat(ctx, chatRequest(o))
		return o.Chat != nil, err
	case sdk.ServiceGenerate:
		req := &sdk.GenerateRequest{Prompt: "Hello"}
		if o.Generate != nil {
			req = o.Generate
		}
		_, err = conn.Generate(ctx, req)
		return o.Generate != nil, err
	case sdk.ServiceEmbed:
		req := &sdk.EmbedRequest{Input: []string{"hello"}}
		if o.Embed != nil {
			req = o.Embed
		}
		_, err = conn.Embed(ctx, req)
		return o.Embed != nil, err
	case sdk.ServiceRerank:
		_, err = conn.Rerank(ctx, &sdk.RerankRequest{Query: "q", Documents: []string{"a", "b"}})
	case sdk.ServiceTextToImage:
		_, err = conn.TextToImage(ctx, &sdk.TextToImageRequest{Prompt: "a red square"})
	case sdk.ServiceTextToSpeech:
		_, err = conn.TextToSpeech(ctx, &sdk.TextToSpeechRequest{Input: "hello"})
	case sdk.ServiceSpeechToText:
		_, err = conn.SpeechToText(ctx, &sdk.SpeechToTextRequest{Audio: silentWAV(), Filename: "silence.wav", MIMEType: "audio/wav"})
	}
	return false, err
}

func checkStream(ctx context.Context, conn *pluginhost.Conn, req *sdk.ChatRequest) error {
	var chunks []*sdk.ChatChunk
	err := conn.ChatStream(ctx, req, func(c *sdk.ChatChunk) error {
		chunks = append(chunks, c)
		return nil
	})
	if err != nil {
		return fmt.Errorf("ChatStream: %w", err)
	}
	if len(chunks) == 0 {
		return fmt.Errorf("ChatStream sent no chunk")
	}
	for i, c := range chunks[:len(chunks)-1] {
		if c.Done {
			return fmt.Errorf("ChatStream chunk %d of %d has done set; only the last may", i, len(chunks))
		}
	}
	if !chunks[len(chunks)-1].Done {
		return fmt.Errorf("the last ChatStream chunk must have done set")
	}
	return nil
}

// checkCancel cancels a stream after its first chunk: the call must end
// promptly with a cancellation, not run on.
func checkCancel(ctx context.Context, conn *pluginhost.Conn, req *sdk.ChatRequest) error {
	cctx, cancel := context.WithCancel(ctx)
	defer cancel()
	n := 0
	done := make(chan error, 1)
	go func() {
		done <- conn.ChatStream(cctx, req, func(c *sdk.ChatChunk) error {
			n++
			if n == 1 {
				cancel()
			}
			return nil
		})
	}()
	select {
	case err := <-done:
		if n > 0 && err == nil && cctx.Err() != nil {
			// The stream may have finished before the cancel landed.
			return nil
		}
		if err != nil && sdk.ErrorCode(err) != sdk.CodeCanceled {
			return fmt.Errorf("cancelled ChatStream returned %v, want code canceled", err)
		}
		return nil
	case <-time.After(10 * time.Second):
		return fmt.Errorf("ChatStream did not return within 10 s of cancellation")
	}
}

// silentWAV is 0.1 s of 16 kHz mono silence.
func silentWAV() []byte {
	const samples = 1600
	data := make([]byte, 44+samples*2)
	copy(data, "RIFF")
	le32(data[4:], uint32(36+samples*2))
	copy(data[8:], "WAVEfmt ")
	le32(data[16:], 16)
	data[20], data[22] = 1, 1 // PCM, mono
	le32(data[24:], 16000)
	le32(data[28:], 32000)
	data[32], data[34] = 2, 16
	copy(data[36:], "data")
	le32(data[40:], samples*2)
	return data
}

func le32(b []byte, v uint32) { b[0], b[1], b[2], b[3] = byte(v), byte(v>>8), byte(v>>16), byte(v>>24) }
