package openaiwire_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/roundhouse-ai/roundhouse/internal/openaitest/fake"
	"github.com/roundhouse-ai/roundhouse/sdk/wire/openaiwire"
	"github.com/roundhouse-ai/roundhouse/types"
)

// atV3 serves the fake under /v3, as OpenVINO Model Server serves the
// OpenAI API.
func atV3(t *testing.T, opts fake.Options) (*fake.Server, string) {
	t.Helper()
	f := fake.New(opts)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if rest, ok := strings.CutPrefix(r.URL.Path, "/v3/"); ok {
			r.URL.Path = "/v1/" + rest
			f.ServeHTTP(w, r)
			return
		}
		http.NotFound(w, r)
	}))
	t.Cleanup(srv.Close)
	f.URL = srv.URL + "/v3"
	return f, srv.URL + "/v3"
}

func user(model, text string) *types.ChatRequest {
	return &types.ChatRequest{Model: model, Messages: []types.Message{{Role: "user", Content: text}}}
}

// A keyless engine: no Keys, no credential, the API under /v3.
func TestKeylessClientUnderV3(t *testing.T) {
	f, base := atV3(t, fake.Options{NoAuth: true})
	c := &openaiwire.Client{BaseURL: base, Name: "ovms", Auth: openaiwire.AuthNone}
	ctx := context.Background()
	resp, err := c.Chat(ctx, user("gpt-4o-mini", "hi"))
	if err != nil || resp.Message.Content != "echo: hi" {
		t.Fatalf("chat %+v %v", resp, err)
	}
	var text strings.Builder
	var last *types.ChatChunk
	if err := c.ChatStream(ctx, user("gpt-4o-mini", "one two three"), func(ch *types.ChatChunk) error {
		text.WriteString(ch.Content)
		last = ch
		return nil
	}); err != nil || text.String() != "echo: one two three" || !last.Done {
		t.Fatalf("stream %q %+v %v", text.String(), last, err)
	}
	emb, err := c.Embed(ctx, &types.EmbedRequest{Model: "text-embedding-3-small", Input: []string{"a", "b"}})
	if err != nil || len(emb.Embeddings) != 2 {
		t.Fatalf("embed %+v %v", emb, err)
	}
	src, _ := fake.Picture("src", 256, 256, "png")
	edit, err := c.ImageToImage(ctx, &types.ImageToImageRequest{Model: "dall-e-2", Prompt: "p", Image: src, Size: "256x256"})
	if err != nil || len(edit.Images) != 1 || len(edit.Images[0].Data) == 0 {
		t.Fatalf("edit %+v %v", edit, err)
	}
	for _, r := range f.Requests() {
		if r.Header.Get("Authorization") != "" || r.Key != "" || !strings.HasPrefix(r.Path, "/v1/") {
			t.Fatalf("request %s %s sent a credential: %v", r.Method, r.Path, r.Header)
		}
	}
	// An unknown model maps to model_not_found; a wrong path names base_url.
	_, err = c.Chat(ctx, user("nope", "hi"))
	if types.ErrorCode(err) != types.CodeModelNotFound {
		t.Fatalf("unknown model: %v", err)
	}
	_, err = (&openaiwire.Client{BaseURL: strings.TrimSuffix(base, "/v3") + "/v9", Name: "ovms", Auth: openaiwire.AuthNone}).Chat(ctx, user("m", "x"))
	if e := types.AsError(err); e.Code != types.CodeUpstreamError || !strings.Contains(e.Message, "base_url") {
		t.Fatalf("wrong path: %v", err)
	}
}

// keys is a small Keys: keys in order, recording what each lease saw.
type keys struct {
	mu     sync.Mutex
	list   []string
	events []string
}

func (k *keys) Len() int { return len(k.list) }
func (k *keys) Acquire(_ string, skip map[string]bool) (openaiwire.Lease, error) {
	for _, v := range k.list {
		if !skip[v] {
			return &keyLease{k: k, key: v}, nil
		}
	}
	return nil, openaiwire.ErrKeysTried
}

func (k *keys) log(s string) {
	k.mu.Lock()
	k.events = append(k.events, s)
	k.mu.Unlock()
}

type keyLease struct {
	k   *keys
	key string
}

func (l *keyLease) Key() string    { return l.key }
func (l *keyLease) Masked() string { return types.MaskKey(l.key) }
func (l *keyLease) Succeeded()     { l.k.log(l.key[:5] + " ok") }
func (l *keyLease) Failed(e *types.Error) {
	l.k.log(l.key[:5] + " " + e.Code.String() + " " + e.RetryAfter.String())
}
func (l *keyLease) Release() { l.k.log(l.key[:5] + " released") }

// A 429 fails the lease with its Retry-After and moves to the next key;
// a 5xx is retried (with backoff) up to MaxRetries.
func TestKeyLeasesAndRetries(t *testing.T) {
	a, b := "sk-aaaa-0000000000000001", "sk-bbbb-0000000000000002"
	var mu sync.Mutex
	fail5xx := 0
	f := fake.NewServer(fake.Options{Keys: []string{a, b}, Intercept: func(r *http.Request, key string) *fake.APIError {
		mu.Lock()
		defer mu.Unlock()
		if fail5xx > 0 {
			fail5xx--
			return &fake.APIError{Status: 503, Type: "server_error", Message: "try later"}
		}
		if key == a {
			return &fake.APIError{Status: 429, Code: "rate_limit_exceeded", Message: "slow down", Header: http.Header{"Retry-After": {"3"}}}
		}
		return nil
	}})
	t.Cleanup(f.Close)
	k := &keys{list: []string{a, b}}
	c := &openaiwire.Client{BaseURL: f.URL, Name: "main", Keys: k, MaxRetries: 2}
	if _, err := c.Chat(context.Background(), user("gpt-4o-mini", "hi")); err != nil {
		t.Fatal(err)
	}
	want := "sk-aa upstream_rate_limited 3s|sk-aa released|sk-bb ok|sk-bb released"
	if got := strings.Join(k.events, "|"); got != want {
		t.Fatalf("lease events\n got %s\nwant %s", got, want)
	}
	if got, _ := f.LastRequest("/v1/chat/completions"); got.Key != b {
		t.Fatalf("last key %q", got.Key)
	}

	// Two 503s, then the upstream answers: two retries suffice.
	k = &keys{list: []string{b}}
	c.Keys = k
	mu.Lock()
	fail5xx = 2
	mu.Unlock()
	if _, err := c.Chat(context.Background(), user("gpt-4o-mini", "hi")); err != nil {
		t.Fatalf("after two 503s: %v", err)
	}
	// With no retries allowed the first 503 is the answer.
	c.MaxRetries = 0
	mu.Lock()
	fail5xx = 1
	mu.Unlock()
	_, err := c.Chat(context.Background(), user("gpt-4o-mini", "hi"))
	if e := types.AsError(err); e.Code != types.CodeUpstreamError || !e.Retryable {
		t.Fatalf("503 without retries: %v", err)
	}
	// A cancelled caller stops the backoff wait at once.
	c.MaxRetries = 5
	mu.Lock()
	fail5xx = 100
	mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if _, err := c.Chat(ctx, user("gpt-4o-mini", "hi")); types.ErrorCode(err) != types.CodeTimeout && types.ErrorCode(err) != types.CodeCanceled {
		t.Fatalf("cancelled during backoff: %v (%s)", err, types.ErrorCode(err))
	}
}
