package main

import (
	"context"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/roundhouse-ai/roundhouse/internal/openaitest/front"
	"github.com/roundhouse-ai/roundhouse/internal/testbed"
	"github.com/roundhouse-ai/roundhouse/internal/testbed/gguf"
	"github.com/roundhouse-ai/roundhouse/sdk"
	"github.com/roundhouse-ai/roundhouse/sdk/sdktest"
)

// TestOllama runs the plugin against a real OpenAI-compatible server:
// plugin → auth/fault front → Ollama's /v1 serving the test bed's tiny
// model. It skips, saying how to build the test bed, when the Ollama
// binary is missing (ROUNDHOUSE_REQUIRE_TESTBED=1 makes that a failure).
func TestOllama(t *testing.T) {
	if testing.Short() || sdktest.IsChild() {
		t.Skip("starts a real Ollama (skipped in -short mode)")
	}
	o := testbed.NewOllama(t) // skips with the reason when `make ollama` has not been run
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	dir := t.TempDir()
	if _, err := gguf.WriteModel(dir, gguf.Tiny()); err != nil {
		t.Fatal(err)
	}
	if err := o.Create(ctx, "tiny", dir); err != nil {
		t.Fatal(err)
	}

	a, b := testKey(1), testKey(2)
	f, err := front.Start(o.URL()+"/v1", front.Options{Keys: []string{a, b}})
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	p := newTestPlugin(t)
	configure(t, p, prov("ollama", f.URL, a, b), prov("other", "http://127.0.0.1:9/v1", testKey(3)))

	// Routing: "tiny" is found in Ollama's GET /v1/models as tiny:latest.
	pr, err := p.route(ctx, "tiny", "")
	if err != nil || pr.name != "ollama" {
		t.Fatalf("route: %v %v", pr, err)
	}

	seed, zero, max := int64(1), 0.0, 24
	opts := &sdk.Options{Seed: &seed, Temperature: &zero, MaxTokens: &max}
	req := &sdk.ChatRequest{Model: "tiny", Messages: []sdk.Message{{Role: "user", Content: "Hello there."}}, Options: opts}
	resp, err := p.Chat(ctx, req)
	if err != nil {
		t.Fatalf("chat: %v\n%s", err, o.Logs())
	}
	if resp.Message.Content == "" || resp.Message.Role != "assistant" || resp.Usage == nil || resp.Usage.CompletionTokens == 0 ||
		(resp.FinishReason != "stop" && resp.FinishReason != "length") {
		t.Fatalf("chat answer %+v usage %+v", resp, resp.Usage)
	}
	t.Logf("chat: %q (%s, %+v)", resp.Message.Content, resp.FinishReason, *resp.Usage)

	var text strings.Builder
	var chunks int
	var last *sdk.ChatChunk
	err = p.ChatStream(ctx, req, func(c *sdk.ChatChunk) error {
		text.WriteString(c.Content)
		chunks++
		last = c
		return nil
	})
	if err != nil {
		t.Fatalf("chat stream: %v", err)
	}
	if !last.Done || last.Usage == nil || last.Usage.CompletionTokens == 0 || text.Len() == 0 || chunks < 3 {
		t.Fatalf("stream: %d chunks, text %q, last %+v", chunks, text.String(), last)
	}
	if text.String() != resp.Message.Content {
		t.Errorf("stream %q and unary %q differ with the same seed and temperature 0", text.String(), resp.Message.Content)
	}
	t.Logf("stream: %d chunks, usage %+v", chunks, *last.Usage)

	gen, err := p.Generate(ctx, &sdk.GenerateRequest{Model: "tiny", Prompt: "Once", Options: opts})
	if err != nil || gen.Text == "" {
		t.Fatalf("generate: %+v %v", gen, err)
	}

	for _, format := range []string{"float", "base64"} {
		emb, err := p.Embed(ctx, &sdk.EmbedRequest{Model: "tiny", Input: []string{"alpha", "beta"},
			Extra: map[string]any{"encoding_format": format}})
		if err != nil {
			t.Fatalf("embed %s: %v", format, err)
		}
		if len(emb.Embeddings) != 2 || len(emb.Embeddings[0]) == 0 || len(emb.Embeddings[0]) != len(emb.Embeddings[1]) {
			t.Fatalf("embed %s: %d vectors", format, len(emb.Embeddings))
		}
		for _, v := range emb.Embeddings[0] {
			if math.IsNaN(float64(v)) {
				t.Fatalf("embed %s: NaN", format)
			}
		}
		t.Logf("embed %s: %d dims", format, len(emb.Embeddings[0]))
	}

	// Key rotation against the real upstream.
	f.Reset()
	// Whichever key comes first gets the 429; the other serves.
	f.Fail(front.AnyKey, front.RateLimited("15"), 1)
	if _, err := p.Chat(ctx, req); err != nil {
		t.Fatalf("chat with one key rate limited: %v", err)
	}
	used := f.KeysUsed()
	if len(used) != 2 || used[0] == used[1] {
		t.Fatalf("keys used %v", used)
	}
	st := keyStatus(t, p, "ollama", sdk.MaskKey(used[0]))
	if st.State != stateCooling {
		t.Fatalf("key %+v", st)
	}
	f.ClearAll()

	// An unknown model is Ollama's 404, mapped to model_not_found.
	_, err = p.Chat(ctx, &sdk.ChatRequest{Model: "nope", Provider: "ollama", Messages: req.Messages})
	wantCode(t, err, sdk.CodeModelNotFound)

	res, err := p.TestProvider(ctx, "ollama")
	if err != nil || !res.OK || strings.Join(res.Models, ",") != "tiny:latest" {
		t.Fatalf("test provider: %+v %v", res, err)
	}
}
