// Package testplugin is a small, real plugin for the project's own tests:
// test binaries re-exec themselves as this plugin (see MaybeServe), so host
// and SDK tests run against genuine subprocesses over gRPC.
//
// It offers chat (echo, streamed word by word), generate and embed, and
// misbehaves on request: a user message "CRASH" exits the process mid-call,
// "SLOW" streams one word every 50 ms until cancelled ("SLOW 40": 40 words,
// then done), "PANIC" panics.
package testplugin

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/roundhouse-ai/roundhouse/sdk"
	"github.com/roundhouse-ai/roundhouse/sdk/manifest"
)

// EnvServe names the environment variable that turns a test binary into
// the plugin; its value is the plugin's name.
const EnvServe = "ROUNDHOUSE_TESTPLUGIN"

// MaybeServe serves the plugin and exits when the test binary was started
// as a plugin. Call it first thing in TestMain.
func MaybeServe() {
	if name := os.Getenv(EnvServe); name != "" {
		var impl sdk.Plugin = New(name)
		if rest, ok := strings.CutPrefix(name, "remote:"); ok {
			impl = &Remote{Plugin: Plugin{name: rest}}
		}
		if err := sdk.Serve(impl); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(0)
	}
}

// Plugin is the test plugin.
type Plugin struct {
	sdk.UnimplementedPlugin
	sdk.UnimplementedEngine
	name string

	mu  sync.Mutex
	cfg *sdk.Config
}

// New makes the plugin.
func New(name string) *Plugin { return &Plugin{name: name} }

func (p *Plugin) Info(context.Context) (*sdk.Info, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	// secret_seen lets tests prove host secrets do not leak into plugins.
	d := map[string]string{"pid": fmt.Sprint(os.Getpid()), "secret_seen": fmt.Sprint(os.Getenv("RH_TEST_SECRET") != "")}
	if p.cfg != nil {
		d["providers"] = fmt.Sprint(len(p.cfg.Providers))
		if v, ok := p.cfg.Settings["greeting"]; ok {
			d["greeting"] = fmt.Sprint(v)
		}
	}
	return &sdk.Info{Name: p.name, Version: "1.0.0", Type: "local", Details: d,
		Services: map[string]sdk.Capabilities{"chat": {SupportStreaming: true}, "generate": {}, "embed": {},
			"speech-to-text": {SupportBidirectional: true}}}, nil
}

func (p *Plugin) Configure(_ context.Context, cfg *sdk.Config) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.cfg = cfg
	return nil
}

// InstallEngine pretends to install: two progress events, the last of
// them "success", as real plugins report it.
func (p *Plugin) InstallEngine(_ context.Context, req *sdk.InstallEngineRequest, progress func(*sdk.Progress) error) error {
	if err := progress(&sdk.Progress{Status: "downloading " + req.URL, Total: 2, Completed: 1}); err != nil {
		return err
	}
	return progress(&sdk.Progress{Status: "success", Total: 2, Completed: 2})
}

// ListModels lists the echo models, so routing by model finds this
// plugin among several.
func (p *Plugin) ListModels(context.Context) ([]sdk.Model, error) {
	return []sdk.Model{{Name: "echo-1"}}, nil
}

// checkModel fails for the model named "missing", as an engine would.
func checkModel(model string) error {
	if model == "missing" {
		return &sdk.Error{Code: sdk.CodeModelNotFound, Field: "model", Message: `model "missing" not found`}
	}
	return nil
}

func lastUser(req *sdk.ChatRequest) string {
	for i := len(req.Messages) - 1; i >= 0; i-- {
		if req.Messages[i].Role == "user" {
			return req.Messages[i].Content
		}
	}
	return ""
}

func (p *Plugin) misbehave(msg string) {
	switch msg {
	case "CRASH":
		os.Exit(3)
	case "PANIC":
		panic("asked to panic")
	}
}

func (p *Plugin) Chat(ctx context.Context, req *sdk.ChatRequest) (*sdk.ChatResponse, error) {
	msg := lastUser(req)
	p.misbehave(msg)
	if err := checkModel(req.Model); err != nil {
		return nil, err
	}
	return &sdk.ChatResponse{Model: req.Model, FinishReason: "stop",
		Message: sdk.Message{Role: "assistant", Content: "echo: " + msg},
		Usage:   &sdk.Usage{PromptTokens: len(strings.Fields(msg)), CompletionTokens: len(strings.Fields(msg)) + 1}}, nil
}

func (p *Plugin) ChatStream(ctx context.Context, req *sdk.ChatRequest, send func(*sdk.ChatChunk) error) error {
	msg := lastUser(req)
	p.misbehave(msg)
	if err := checkModel(req.Model); err != nil {
		return err
	}
	if msg == "CRASH MIDWAY" { // two chunks, then the process dies
		for i := 0; i < 2; i++ {
			if err := send(&sdk.ChatChunk{Model: req.Model, Content: fmt.Sprintf("w%d ", i)}); err != nil {
				return err
			}
		}
		time.Sleep(50 * time.Millisecond) // let the chunks leave
		os.Exit(3)
	}
	if n, ok := slowCount(msg); ok { // "SLOW 40": 40 words, one every 50 ms, then done
		for i := 0; i < n; i++ {
			select {
			case <-ctx.Done():
				markCancelled()
				return ctx.Err()
			case <-time.After(50 * time.Millisecond):
			}
			if err := send(&sdk.ChatChunk{Model: req.Model, Content: fmt.Sprintf("w%d ", i)}); err != nil {
				return err
			}
		}
		return send(&sdk.ChatChunk{Model: req.Model, Done: true, FinishReason: "stop"})
	}
	if msg == "SLOW" {
		for i := 0; ; i++ {
			select {
			case <-ctx.Done():
				markCancelled()
				return ctx.Err()
			case <-time.After(50 * time.Millisecond):
			}
			if err := send(&sdk.ChatChunk{Model: req.Model, Content: fmt.Sprintf("w%d ", i)}); err != nil {
				return err
			}
		}
	}
	words := strings.Fields("echo: " + msg)
	for i, w := range words {
		if i < len(words)-1 {
			w += " "
		}
		if err := send(&sdk.ChatChunk{Model: req.Model, Role: "assistant", Content: w}); err != nil {
			return err
		}
	}
	return send(&sdk.ChatChunk{Model: req.Model, Done: true, FinishReason: "stop",
		Usage: &sdk.Usage{PromptTokens: 1, CompletionTokens: len(words)}})
}

// slowCount parses "SLOW <n>".
func slowCount(msg string) (int, bool) {
	rest, ok := strings.CutPrefix(msg, "SLOW ")
	if !ok {
		return 0, false
	}
	n, err := strconv.Atoi(rest)
	return n, err == nil && n > 0
}

func (p *Plugin) Generate(ctx context.Context, req *sdk.GenerateRequest) (*sdk.GenerateResponse, error) {
	return &sdk.GenerateResponse{Model: req.Model, Text: "echo: " + req.Prompt, FinishReason: "stop"}, nil
}

// Embed returns a deterministic 4-dimensional vector per input.
func (p *Plugin) Embed(ctx context.Context, req *sdk.EmbedRequest) (*sdk.EmbedResponse, error) {
	out := &sdk.EmbedResponse{Model: req.Model}
	for _, in := range req.Input {
		h := fnv.New32a()
		h.Write([]byte(in))
		v := h.Sum32()
		out.Embeddings = append(out.Embeddings, []float32{float32(v & 0xff), float32(v >> 8 & 0xff), float32(v >> 16 & 0xff), float32(v >> 24)})
	}
	return out, nil
}

// SpeechToText "transcribes" by counting bytes.
func (p *Plugin) SpeechToText(ctx context.Context, req *sdk.SpeechToTextRequest) (*sdk.SpeechToTextResponse, error) {
	return &sdk.SpeechToTextResponse{Model: req.Model, Text: fmt.Sprintf("%d bytes", len(req.Audio))}, nil
}

// SpeechToTextLive answers a partial transcript (bytes so far) per audio
// frame and a final one when the audio ends. The first frame must carry
// the config.
func (p *Plugin) SpeechToTextLive(ctx context.Context, recv func() (*sdk.LiveSpeechInput, error), send func(*sdk.LiveSpeechOutput) error) error {
	first, err := recv()
	if err != nil {
		return err
	}
	if first.Config == nil {
		return sdk.FieldError("config", "the first frame must carry the config")
	}
	lang := first.Config.Language
	total := 0
	for {
		in, err := recv()
		if errors.Is(err, io.EOF) || (err == nil && in.End) {
			return send(&sdk.LiveSpeechOutput{Text: fmt.Sprintf("%s:%d bytes", lang, total), IsFinal: true})
		}
		if err != nil {
			return err
		}
		total += len(in.Audio)
		if err := send(&sdk.LiveSpeechOutput{Text: fmt.Sprint(total)}); err != nil {
			return err
		}
	}
}

// markCancelled leaves a file in ROUNDHOUSE_DATA_DIR so tests can see that
// a client disconnect reached the plugin.
func markCancelled() {
	if d := os.Getenv("ROUNDHOUSE_DATA_DIR"); d != "" {
		_ = os.MkdirAll(d, 0o700)
		_ = os.WriteFile(filepath.Join(d, "cancelled"), []byte(time.Now().String()), 0o600)
	}
}

// Manifest writes a plugin dir for the test binary under root and returns
// it: plugin.yaml names the test binary itself as the executable.
func Manifest(root, name string) (string, error) { return ManifestWith(root, name, nil) }

// ManifestWith is Manifest with edit applied to the manifest before it is
// written (a service declared without streaming, one the plugin lacks...).
func ManifestWith(root, name string, edit func(*manifest.Manifest)) (string, error) {
	exe, err := os.Executable()
	if err != nil {
		return "", err
	}
	dir := filepath.Join(root, name)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	m := &manifest.Manifest{
		Version:  "1",
		Provider: manifest.ProviderInfo{Name: name, Version: "1.0.0", Type: sdk.ProviderLocal, DisplayName: "Test plugin"},
		Services: []manifest.ServiceSpec{
			{ServiceName: sdk.ServiceChat, DefaultModel: "echo-1", Capabilities: sdk.Capabilities{SupportStreaming: true}},
			{ServiceName: sdk.ServiceGenerate, DefaultModel: "echo-1"},
			{ServiceName: sdk.ServiceEmbed, DefaultModel: "echo-1"},
			{ServiceName: sdk.ServiceSpeechToText, DefaultModel: "echo-1", Capabilities: sdk.Capabilities{SupportBidirectional: true}},
		},
		Platforms: map[string]manifest.PlatformConfig{manifest.PlatformKey(goos, goarch): {Executable: exe}},
	}
	if edit != nil {
		edit(m)
	}
	return dir, manifest.Save(dir, m, "yaml")
}

// Remote is the test plugin as a remote plugin: it keeps provider
// instances and refuses, in ValidateConfig and Configure alike, a
// provider whose base_url is not http(s) — the shape of a real remote
// plugin's checks, so the host's validate-before-save path is tested
// against a real subprocess.
type Remote struct {
	Plugin
}

func checkProviders(cfg *sdk.Config) error {
	for i, pr := range cfg.Providers {
		if !strings.HasPrefix(pr.BaseURL, "http://") && !strings.HasPrefix(pr.BaseURL, "https://") {
			return &sdk.Error{Code: sdk.CodeInvalidArgument, Field: fmt.Sprintf("providers[%d].base_url", i),
				Message: fmt.Sprintf("%q is not an http(s) URL", pr.BaseURL)}
		}
	}
	return nil
}

func (p *Remote) ValidateConfig(_ context.Context, cfg *sdk.Config) error { return checkProviders(cfg) }

func (p *Remote) Configure(ctx context.Context, cfg *sdk.Config) error {
	if err := checkProviders(cfg); err != nil {
		return err
	}
	return p.Plugin.Configure(ctx, cfg)
}

func (p *Remote) ListProviders(context.Context) ([]sdk.ProviderStatus, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []sdk.ProviderStatus
	if p.cfg != nil {
		for _, pr := range p.cfg.Providers {
			out = append(out, sdk.ProviderStatus{Name: pr.Name, BaseURL: pr.BaseURL, Models: pr.Models})
		}
	}
	return out, nil
}

func (p *Remote) TestProvider(_ context.Context, name string) (*sdk.ProviderTest, error) {
	return &sdk.ProviderTest{OK: true}, nil
}

// RemoteManifest writes a remote test plugin's dir under root (serve it
// with EnvServe set to "remote:<name>").
func RemoteManifest(root, name string) (string, error) {
	exe, err := os.Executable()
	if err != nil {
		return "", err
	}
	dir := filepath.Join(root, name)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	m := &manifest.Manifest{
		Version:   "1",
		Provider:  manifest.ProviderInfo{Name: name, Version: "1.0.0", Type: sdk.ProviderRemote, DisplayName: "Remote test plugin"},
		Services:  []manifest.ServiceSpec{{ServiceName: sdk.ServiceChat, DefaultModel: "remote-1"}},
		Platforms: map[string]manifest.PlatformConfig{manifest.PlatformKey(goos, goarch): {Executable: exe}},
	}
	return dir, manifest.Save(dir, m, "yaml")
}
