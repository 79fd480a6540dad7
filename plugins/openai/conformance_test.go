package main

import (
	"testing"

	"github.com/roundhouse-ai/roundhouse/internal/openaitest/fake"
	"github.com/roundhouse-ai/roundhouse/sdk"
	"github.com/roundhouse-ai/roundhouse/sdk/sdktest"
)

// TestConformance runs the SDK's conformance suite: this test binary is
// re-executed as the plugin (a real subprocess over gRPC) and configured
// with a provider pointing at the fake, so every declared service must
// answer for real.
func TestConformance(t *testing.T) {
	var opts sdktest.Options
	if !sdktest.IsChild() {
		srv := startFake(t, fake.Options{})
		opts = sdktest.Options{
			ManifestDir: ".",
			Config:      &sdk.Config{Providers: []sdk.ProviderConfig{prov("main", srv.URL, fakeKey)}},
			Chat:        userChat("gpt-4o-mini", "Say hello."),
			Generate:    &sdk.GenerateRequest{Model: "gpt-3.5-turbo-instruct", Prompt: "Hello"},
			Embed:       &sdk.EmbedRequest{Model: "text-embedding-3-small", Input: []string{"hello"}},
		}
	}
	sdktest.Run(t, newPlugin(), opts)
}
