package main

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/roundhouse-ai/roundhouse/internal/openaitest/fake"
	"github.com/roundhouse-ai/roundhouse/internal/openaitest/front"
	"github.com/roundhouse-ai/roundhouse/sdk"
	"github.com/roundhouse-ai/roundhouse/sdk/wire/openaiwire"
)

// fakeKey is the key the fake accepts; fronts send it upstream.
const fakeKey = "sk-fake-upstream-0000000000001234"

func startFake(t *testing.T, opts fake.Options) *fake.Server {
	t.Helper()
	if opts.Keys == nil && !opts.NoAuth {
		opts.Keys = []string{fakeKey}
	}
	s := fake.NewServer(opts)
	t.Cleanup(s.Close)
	return s
}

// startFront puts an auth/fault front accepting keys before upstream.
func startFront(t *testing.T, upstream string, keys ...string) *front.Front {
	t.Helper()
	f, err := front.Start(upstream, front.Options{Keys: keys, UpstreamKey: fakeKey})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(f.Close)
	return f
}

func newTestPlugin(t *testing.T) *plugin {
	t.Helper()
	p := newPluginWith(&http.Client{Transport: openaiwire.NewTransport()}, time.Now)
	t.Cleanup(p.client.CloseIdleConnections)
	return p
}

func prov(name, baseURL string, keys ...string) sdk.ProviderConfig {
	pc := sdk.ProviderConfig{Name: name, BaseURL: baseURL}
	for _, k := range keys {
		pc.APIKeys = append(pc.APIKeys, sdk.APIKey{Value: k})
	}
	return pc
}

func configure(t *testing.T, p *plugin, provs ...sdk.ProviderConfig) {
	t.Helper()
	if err := p.Configure(context.Background(), &sdk.Config{Providers: provs}); err != nil {
		t.Fatalf("Configure: %v", err)
	}
}

func keyStatus(t *testing.T, p *plugin, provider, masked string) sdk.KeyStatus {
	t.Helper()
	list, err := p.ListProviders(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, ps := range list {
		if ps.Name != provider {
			continue
		}
		for _, k := range ps.Keys {
			if k.Masked == masked {
				return k
			}
		}
	}
	t.Fatalf("no key %s in provider %s", masked, provider)
	return sdk.KeyStatus{}
}

func userChat(model, text string) *sdk.ChatRequest {
	return &sdk.ChatRequest{Model: model, Messages: []sdk.Message{{Role: "user", Content: text}}}
}

func wantCode(t *testing.T, err error, code sdk.Code) *sdk.Error {
	t.Helper()
	if err == nil {
		t.Fatalf("no error, want %s", code)
	}
	e := sdk.AsError(err)
	if e.Code != code {
		t.Fatalf("error %q has code %s, want %s", err, e.Code, code)
	}
	return e
}

// captureLogs sends slog output (debug and up) to a buffer for the test.
func captureLogs(t *testing.T) func() string {
	t.Helper()
	var (
		mu  sync.Mutex
		buf bytes.Buffer
	)
	prev := slog.Default()
	slog.SetDefault(slog.New(slog.NewJSONHandler(&lockedWriter{mu: &mu, w: &buf}, &slog.HandlerOptions{Level: slog.LevelDebug})))
	t.Cleanup(func() { slog.SetDefault(prev) })
	return func() string {
		mu.Lock()
		defer mu.Unlock()
		return buf.String()
	}
}

type lockedWriter struct {
	mu *sync.Mutex
	w  *bytes.Buffer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}
