package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/roundhouse-ai/roundhouse/internal/openaitest/fake"
	"github.com/roundhouse-ai/roundhouse/internal/openaitest/front"
	"github.com/roundhouse-ai/roundhouse/sdk"
	"github.com/roundhouse-ai/roundhouse/sdk/manifest"
	"github.com/roundhouse-ai/roundhouse/sdk/pluginhost"
	"github.com/roundhouse-ai/roundhouse/sdk/sdktest"
	"github.com/roundhouse-ai/roundhouse/sdk/wire/openaiwire"
)

// The manifest is valid for every platform it lists.
func TestManifest(t *testing.T) {
	data, err := os.ReadFile("plugin.yaml")
	if err != nil {
		t.Fatal(err)
	}
	m, err := manifest.Parse(data, "yaml")
	if err != nil {
		t.Fatal(err)
	}
	for _, plat := range []string{"linux_amd64", "linux_arm64", "darwin_amd64", "darwin_arm64", "windows_amd64"} {
		goos, goarch, _ := strings.Cut(plat, "_")
		if err := m.Validate(goos, goarch); err != nil {
			t.Errorf("%s: %v", plat, err)
		}
		exe, _ := m.ExecutablePath(goos, goarch)
		if want := "roundhouse-plugin-openai"; !strings.HasPrefix(filepath.Base(exe), want) || (goos == "windows") != strings.HasSuffix(exe, ".exe") {
			t.Errorf("%s: executable %q", plat, exe)
		}
	}
	if m.Provider.Name != "openai" || m.Provider.Type != sdk.ProviderRemote || m.Provider.Version != pluginVersion {
		t.Fatalf("provider %+v (version must match pluginVersion %s)", m.Provider, pluginVersion)
	}
	info, _ := newPlugin().Info(context.Background())
	if len(m.Services) != len(info.Services) {
		t.Fatalf("manifest declares %d services, Info %d", len(m.Services), len(info.Services))
	}
	for _, s := range m.Services {
		c, ok := info.Services[s.ServiceName]
		if !ok || c != s.Capabilities {
			t.Errorf("service %s: manifest %+v vs Info %+v", s.ServiceName, s, c)
		}
		if s.DefaultModel != openaiwire.DefaultModels[s.ServiceName] {
			t.Errorf("service %s: default_model %q vs plugin default %q", s.ServiceName, s.DefaultModel, openaiwire.DefaultModels[s.ServiceName])
		}
	}
}

// TestProcess builds the real binary, loads and validates the manifest next
// to it, launches it as the host does and calls it over gRPC: errors keep
// their codes, retry hints and fields across the process boundary, and
// keys stay masked.
func TestProcess(t *testing.T) {
	if testing.Short() || sdktest.IsChild() {
		t.Skip("builds the plugin binary")
	}
	dir := t.TempDir()
	exeName := "roundhouse-plugin-openai"
	if runtime.GOOS == "windows" {
		exeName += ".exe"
	}
	build := exec.Command("go", "build", "-o", filepath.Join(dir, exeName), ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	yaml, _ := os.ReadFile("plugin.yaml")
	os.WriteFile(filepath.Join(dir, "plugin.yaml"), yaml, 0o644)
	m, err := manifest.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Validate(runtime.GOOS, runtime.GOARCH); err != nil {
		t.Fatalf("manifest with the built binary: %v", err)
	}
	exe, _ := m.ExecutablePath(runtime.GOOS, runtime.GOARCH)

	var stderr lockedBuffer
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	proc, err := pluginhost.Launch(ctx, pluginhost.LaunchConfig{Name: "openai", Executable: exe, Stderr: &stderr})
	if err != nil {
		t.Fatal(err)
	}
	defer proc.Kill()
	conn := proc.Conn()

	_, err = conn.Chat(ctx, userChat("gpt-4o-mini", "x"))
	wantCode(t, err, sdk.CodePluginNotConfigured)

	srv := startFake(t, fake.Options{})
	a, b := testKey(1), testKey(2)
	f := startFront(t, srv.URL, a, b)
	if err := conn.Configure(ctx, &sdk.Config{Providers: []sdk.ProviderConfig{{Name: "main", BaseURL: "nope"}}}); err == nil {
		t.Fatal("a bad base_url must fail Configure")
	} else if e := sdk.AsError(err); e.Code != sdk.CodeInvalidArgument || e.Field != "providers[0].base_url" {
		t.Fatalf("Configure error %+v", e)
	}
	if err := conn.Configure(ctx, &sdk.Config{Providers: []sdk.ProviderConfig{{Name: "main", BaseURL: f.URL,
		APIKeys: []sdk.APIKey{{Value: a, Label: "first", RPM: 100}, {Value: b, Weight: 2}}, KeyStrategy: "weighted_random"}}}); err != nil {
		t.Fatal(err)
	}

	resp, err := conn.Chat(ctx, userChat("gpt-4o-mini", "over grpc"))
	if err != nil || resp.Message.Content != "echo: over grpc" {
		t.Fatalf("%+v %v", resp, err)
	}
	var text strings.Builder
	var last *sdk.ChatChunk
	err = conn.ChatStream(ctx, userChat("gpt-4o-mini", "streamed over grpc"), func(c *sdk.ChatChunk) error {
		text.WriteString(c.Content)
		last = c
		return nil
	})
	if err != nil || text.String() != "echo: streamed over grpc" || !last.Done || last.Usage == nil {
		t.Fatalf("stream %q %+v %v", text.String(), last, err)
	}
	emb, err := conn.Embed(ctx, &sdk.EmbedRequest{Model: "text-embedding-3-small", Input: []string{"a"}, Dimensions: 4})
	if err != nil || len(emb.Embeddings[0]) != 4 {
		t.Fatalf("%+v %v", emb, err)
	}

	// Both keys rate limited: the code and the retry hint cross over.
	f.Fail(front.AnyKey, front.RateLimited("20"), 2)
	_, err = conn.Chat(ctx, userChat("gpt-4o-mini", "x"))
	e := wantCode(t, err, sdk.CodeUpstreamRateLimited)
	if !e.Retryable || e.RetryAfter < 19*time.Second || e.RetryAfter > 20*time.Second {
		t.Fatalf("%+v", e)
	}
	_, err = conn.Chat(ctx, userChat("gpt-4o-mini", strings.Repeat("x", 200000)))
	if e := sdk.AsError(err); e.Code != sdk.CodeUpstreamRateLimited {
		t.Fatalf("all keys rest: %+v", e)
	}

	list, err := conn.ListProviders(ctx)
	if err != nil {
		t.Fatal(err)
	}
	js, _ := json.Marshal(list)
	if strings.Contains(string(js), a) || strings.Contains(string(js), b) || !strings.Contains(string(js), sdk.MaskKey(a)) {
		t.Fatalf("providers %s", js)
	}
	if list[0].Keys[0].Label != "first" || list[0].Keys[0].State != stateCooling || list[0].KeyStrategy != "weighted_random" {
		t.Fatalf("%+v", list[0].Keys)
	}
	test, err := conn.TestProvider(ctx, "main")
	if err != nil || test.OK { // every key rests: the test reports it
		t.Fatalf("%+v %v", test, err)
	}

	proc.Kill()
	// The plugin logged through slog JSON on stderr, and never a key.
	logs := stderr.String()
	if strings.Contains(logs, a) || strings.Contains(logs, b) {
		t.Fatalf("plugin logs leak a key:\n%s", logs)
	}
	if !strings.Contains(logs, `"configured"`) {
		t.Fatalf("plugin logs:\n%s", logs)
	}
}

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
