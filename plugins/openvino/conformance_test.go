package main

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/roundhouse-ai/roundhouse/internal/openaitest/fake"
	"github.com/roundhouse-ai/roundhouse/internal/ovmstest"
	"github.com/roundhouse-ai/roundhouse/sdk"
	"github.com/roundhouse-ai/roundhouse/sdk/sdktest"
)

// TestConformance runs the SDK's conformance suite: this test binary is
// re-executed as the plugin (a real subprocess over gRPC), which runs the
// fake ovms executable as its engine over a repository of pulled models,
// so every declared service answers for real through /v3.
func TestConformance(t *testing.T) {
	var opts sdktest.Options
	strength := 0.7
	if !sdktest.IsChild() {
		if testing.Short() {
			t.Skip("runs the fake ovms executable")
		}
		cfg := managedConfig(t, nil)
		repo := filepath.Join(cfg.DataDir, "models")
		models := map[string]string{
			"gpt-4o-mini": "text_generation", "gpt-3.5-turbo-instruct": "text_generation",
			"text-embedding-3-small": "embeddings", "OpenVINO/bge-reranker-base-int8-ov": "rerank",
			"OpenVINO/stable-diffusion-v1-5-int8-ov": "image_generation", "OpenVINO/whisper-base-fp16-ov": "speech2text",
			"kokoro": "text2speech",
		}
		for m, task := range models {
			if err := ovmstest.Pull(context.Background(), ovmstest.PullOptions{SourceModel: m, RepositoryPath: repo, Task: task, FileBytes: 100, Step: time.Millisecond}, nopWriter{}); err != nil {
				t.Fatal(err)
			}
		}
		opts = sdktest.Options{
			ManifestDir:  ".",
			Config:       cfg,
			Chat:         &sdk.ChatRequest{Model: "gpt-4o-mini", Messages: []sdk.Message{{Role: "user", Content: "Say hello."}}},
			Generate:     &sdk.GenerateRequest{Model: "gpt-3.5-turbo-instruct", Prompt: "Hello"},
			Embed:        &sdk.EmbedRequest{Model: "text-embedding-3-small", Input: []string{"hello"}},
			Rerank:       &sdk.RerankRequest{Model: "OpenVINO/bge-reranker-base-int8-ov", Query: "red apple", Documents: []string{"red apple", "blue sky"}},
			TextToImage:  &sdk.TextToImageRequest{Model: "OpenVINO/stable-diffusion-v1-5-int8-ov", Prompt: "three cats", Size: "32x32"},
			ImageToImage: &sdk.ImageToImageRequest{Model: "OpenVINO/stable-diffusion-v1-5-int8-ov", Prompt: "zebras", Image: ovmstest.PNG(16, 16, 0), Strength: &strength},
			TextToSpeech: &sdk.TextToSpeechRequest{Model: "kokoro", Input: "Hello there."},
			SpeechToText: &sdk.SpeechToTextRequest{Model: "OpenVINO/whisper-base-fp16-ov", Audio: fake.WAV(make([]byte, 32000), 16000), Filename: "a.wav"},
			Timeout:      20 * time.Second,
		}
	}
	sdktest.Run(t, newPlugin(), opts)
}
