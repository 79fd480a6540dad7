package e2e

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ollama/ollama/api"
	oai "github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"

	"github.com/roundhouse-ai/roundhouse/client"
	"github.com/roundhouse-ai/roundhouse/internal/hosttest"
	"github.com/roundhouse-ai/roundhouse/internal/openaitest/front"
	"github.com/roundhouse-ai/roundhouse/internal/testbed"
	"github.com/roundhouse-ai/roundhouse/sdk"
)

// syncBuffer collects log output from several goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// The test keys: long enough to be masked as sk-…XXXX; none may ever
// appear in a log line or an API response.
var testKeys = []string{
	"sk-e2e-primary-5f3a9c0d1e2b4a6f8c7d",
	"sk-e2e-second-8b1e2d3c4f5a6b7c8d9e",
	"sk-e2e-revoked-0a9b8c7d6e5f4a3b2c1d",
}

// TestOpenAIProviderEndToEnd: the openai plugin serves a real
// OpenAI-compatible upstream (Ollama's /v1 with the tiny model) through an
// auth/fault front that checks keys and injects 429/401 on demand. The
// provider is added at runtime through the API (hot, no restart); chat,
// stream and embeddings go host → plugin → front → Ollama; a 429 rotates to
// the next key and cools the first down; a 401 kills a key, visible in
// GET /v1/providers; and no key ever shows in logs or API answers.
func TestOpenAIProviderEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end: skipped in -short mode")
	}
	bed := testbed.NewBed(t)
	o := testbed.NewOllama(t)
	ctx := ctxFor(t, 5*time.Minute)
	tiny := bed.Ref("tiny")
	if err := o.Client().Pull(ctx, &api.PullRequest{Model: tiny, Insecure: true}, func(api.ProgressResponse) error { return nil }); err != nil {
		t.Fatal(err)
	}
	fr, err := front.Start(o.URL()+"/v1", front.Options{Keys: testKeys})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(fr.Close)

	_, plugins := binaries(t)
	var logs syncBuffer
	h := hosttest.Start(t, hosttest.Options{NoEcho: true, ExtraRoots: []string{only(t, plugins, "openai")}, Log: &logs})
	var answers syncBuffer // every API response body, to scan for keys
	get := func(path string) []byte {
		resp, err := http.Get(h.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		answers.Write(b)
		return b
	}

	// Add the provider at runtime, with three keys in priority order.
	body, _ := json.Marshal(map[string]any{
		"name": "local", "base_url": fr.URL, "key_strategy": "priority", "models": []string{tiny},
		"api_keys": []map[string]any{{"value": testKeys[0], "priority": 1}, {"value": testKeys[1], "priority": 2}, {"value": testKeys[2], "priority": 3}},
	})
	resp, err := http.Post(h.URL+"/v1/providers", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	answers.Write(b)
	if resp.StatusCode != 200 || !strings.Contains(string(b), "sk-…") {
		t.Fatalf("POST /v1/providers: %d %s", resp.StatusCode, b)
	}

	if st, err := os.Stat(filepath.Join(h.DataDir, "providers.yaml")); err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("saved providers file: %v %v (want mode 0600: it holds keys)", st, err)
	}
	c := oai.NewClient(option.WithBaseURL(h.URL+"/v1/"), option.WithAPIKey("app-never-sees-provider-keys"), option.WithMaxRetries(0))
	chat := func() (*oai.ChatCompletion, error) {
		return c.Chat.Completions.New(ctx, oai.ChatCompletionNewParams{
			Model: tiny, Messages: []oai.ChatCompletionMessageParamUnion{oai.UserMessage("Say hello.")}, MaxTokens: oai.Int(16),
		})
	}

	t.Run("chat, stream and embeddings through the plugin", func(t *testing.T) {
		r, err := chat()
		if err != nil || r.Choices[0].Message.Content == "" {
			t.Fatalf("chat: %+v %v", r, err)
		}
		stream := c.Chat.Completions.NewStreaming(ctx, oai.ChatCompletionNewParams{
			Model: tiny, Messages: []oai.ChatCompletionMessageParamUnion{oai.UserMessage("Say hello.")},
			StreamOptions: oai.ChatCompletionStreamOptionsParam{IncludeUsage: oai.Bool(true)},
		})
		acc := oai.ChatCompletionAccumulator{}
		n := 0
		for stream.Next() {
			acc.AddChunk(stream.Current())
			n++
		}
		if err := stream.Err(); err != nil || n < 3 || acc.Choices[0].Message.Content == "" {
			t.Fatalf("stream: %d chunks %v", n, err)
		}
		e, err := c.Embeddings.New(ctx, oai.EmbeddingNewParams{Model: tiny, Input: oai.EmbeddingNewParamsInputUnion{OfArrayOfStrings: []string{"x"}}})
		if err != nil || len(e.Data) != 1 || len(e.Data[0].Embedding) == 0 {
			t.Fatalf("embeddings: %v", err)
		}
		for _, k := range fr.KeysUsed() {
			if k != testKeys[0] {
				t.Fatalf("priority strategy used %s before any fault", k)
			}
		}
	})

	t.Run("429 rotates to the next key and cools the first down", func(t *testing.T) {
		fr.Reset()
		fr.Fail(testKeys[0], front.RateLimited("30"), 1)
		if _, err := chat(); err != nil {
			t.Fatalf("chat across a 429: %v", err)
		}
		used := fr.KeysUsed()
		if len(used) != 2 || used[0] != testKeys[0] || used[1] != testKeys[1] {
			t.Fatalf("keys used = %v, want first then second", masked(used))
		}
		st := keyStates(t, get("/v1/providers"))
		if st[0] != "cooling_down" || st[1] != "ok" {
			t.Fatalf("key states after 429: %v", st)
		}
	})

	t.Run("401 rests a key as unauthorized, shown in GET /v1/providers", func(t *testing.T) {
		fr.RevokeKey(testKeys[1])
		fr.Reset()
		if _, err := chat(); err != nil { // second key refused → third key answers
			t.Fatalf("chat across a 401: %v", err)
		}
		st := keyStates(t, get("/v1/providers"))
		if st[1] != "unauthorized" || st[2] != "ok" {
			t.Fatalf("key states after 401: %v", st)
		}
	})

	t.Run("test provider", func(t *testing.T) {
		resp, err := http.Post(h.URL+"/v1/providers/local/test", "application/json", nil)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		answers.Write(b)
		if resp.StatusCode != 200 || !strings.Contains(string(b), `"ok":true`) {
			t.Fatalf("test: %d %s", resp.StatusCode, b)
		}
	})

	t.Run("native service through the remote policy", func(t *testing.T) {
		cl, _ := client.New(h.URL, nil)
		r, err := cl.Chat(ctx, &sdk.ChatRequest{Model: tiny, Messages: []sdk.Message{{Role: "user", Content: "Hi."}}}, client.Options{Policy: "remote"})
		if err != nil || r.Message.Content == "" {
			t.Fatalf("native chat: %+v %v", r, err)
		}
	})

	get("/v1/plugins")
	get("/v1/models")
	for _, k := range testKeys {
		if strings.Contains(logs.String(), k) {
			t.Errorf("key %s… appears in the host's logs", k[:8])
		}
		if strings.Contains(answers.String(), k) {
			t.Errorf("key %s… appears in an API response", k[:8])
		}
	}
	if !strings.Contains(logs.String(), "plugin=openai") {
		t.Error("no plugin log lines were captured; the secrets check proves nothing")
	}
}

func masked(keys []string) []string {
	out := make([]string, len(keys))
	for i, k := range keys {
		out[i] = k[:8] + "…"
	}
	return out
}

// keyStates reads the key states of provider "local", in key order.
func keyStates(t *testing.T, body []byte) []string {
	t.Helper()
	var out struct {
		Providers []struct {
			Name string `json:"name"`
			Keys []struct {
				State  string `json:"state"`
				Masked string `json:"masked"`
			} `json:"keys"`
		} `json:"providers"`
	}
	if err := json.Unmarshal(body, &out); err != nil {
		t.Fatalf("%s: %v", body, err)
	}
	for _, p := range out.Providers {
		if p.Name == "local" {
			var st []string
			for _, k := range p.Keys {
				st = append(st, k.State)
			}
			return st
		}
	}
	t.Fatalf("provider local not listed: %s", body)
	return nil
}
