//go:build linux

package main

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/ollama/ollama/api"

	"github.com/roundhouse-ai/roundhouse/internal/testbed"
	"github.com/roundhouse-ai/roundhouse/sdk"
	"github.com/roundhouse-ai/roundhouse/sdk/sdktest"
)

// TestConformance runs the SDK's conformance suite against this plugin as
// a real subprocess over gRPC, managing the test bed's Ollama, with the
// tiny model as the sample for every service, configured through
// Configure as the host does. Afterwards
// the managed engine must have died with the plugin.
func TestConformance(t *testing.T) {
	if sdktest.IsChild() {
		sdktest.Run(t, newPlugin(), sdktest.Options{})
		return
	}
	bin := requireBed(t)
	bed := testbed.NewBed(t)
	tiny := bed.Ref("tiny")

	// Pre-pull tiny into a models dir the plugin's engine will use.
	models := t.TempDir()
	o, err := testbed.StartOllama(context.Background(), bin, models)
	if err != nil {
		t.Fatal(err)
	}
	ctx := ctxT(t, 5*time.Minute)
	if err := o.Client().Pull(ctx, &api.PullRequest{Model: tiny, Insecure: true}, func(api.ProgressResponse) error { return nil }); err != nil {
		t.Fatal(err)
	}
	o.Close()

	host := freeHost(t)
	dataDir := t.TempDir()
	settings := map[string]any{
		"engine_host": host, "manage_engine": "true", "ollama_path": bin, "models_dir": models,
		"engine_env": realEnv(t),
	}
	// Runs after the suite's own cleanup has stopped the plugin.
	t.Cleanup(func() {
		_, base, _ := parseEngineHost(host)
		eventually(t, 10*time.Second, "managed engine gone with the plugin", func() bool {
			pctx, cancel := context.WithTimeout(context.Background(), time.Second)
			defer cancel()
			_, err := probeVersion(pctx, base)
			return err != nil
		})
		if _, err := os.Stat(filepath.Join(dataDir, "engine.pid")); !os.IsNotExist(err) {
			t.Errorf("pid file left behind: %v", err)
		}
	})
	msgs := []sdk.Message{{Role: "user", Content: "Say hello."}}
	sdktest.Run(t, newPlugin(), sdktest.Options{
		ManifestDir: ".",
		Chat:        &sdk.ChatRequest{Model: tiny, Messages: msgs, Options: &sdk.Options{MaxTokens: ptr(16)}},
		Generate:    &sdk.GenerateRequest{Model: tiny, Prompt: "Hello", Options: &sdk.Options{MaxTokens: ptr(8)}},
		Embed:       &sdk.EmbedRequest{Model: tiny, Input: []string{"hello"}},
		Config:      &sdk.Config{Settings: settings, DataDir: dataDir},
		Timeout:     2 * time.Minute,
	})
}
