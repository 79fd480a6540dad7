package cache

import (
	"context"
	"encoding/json"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/roundhouse-ai/roundhouse/host/config"
	"github.com/roundhouse-ai/roundhouse/host/route"
	"github.com/roundhouse-ai/roundhouse/types"
)

var tg = route.Target{Plugin: "ollama", Model: "llama3.2", Local: true}

func chatFromJSON(t *testing.T, s string) *types.ChatRequest {
	t.Helper()
	var r types.ChatRequest
	if err := json.Unmarshal([]byte(s), &r); err != nil {
		t.Fatal(err)
	}
	return &r
}

func key(t *testing.T, service string, tg route.Target, req any) string {
	t.Helper()
	k, err := Key(service, tg, req)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func TestKeySemanticallyEqualJSON(t *testing.T) {
	base := `{"model":"a","messages":[{"role":"user","content":"hi"}],"options":{"temperature":0,"top_k":5}}`
	same := []string{
		// key order and whitespace
		`{ "options": {"top_k":5, "temperature":0.0}, "messages":[{"content":"hi","role":"user"}], "model":"a" }`,
		// the client's model name and routing fields are not the target
		`{"model":"group-x","provider":"p","keep_alive":30,"messages":[{"role":"user","content":"hi"}],"options":{"temperature":0,"top_k":5}}`,
		// explicit empties and nulls mean absent
		`{"model":"a","messages":[{"role":"user","content":"hi","images":[],"tool_calls":null}],"tools":[],"extra":{},"options":{"temperature":0,"top_k":5,"stop":[]}}`,
	}
	k0 := key(t, "chat", tg, chatFromJSON(t, base))
	for _, s := range same {
		if k := key(t, "chat", tg, chatFromJSON(t, s)); k != k0 {
			t.Errorf("%s: key differs from the base request's", s)
		}
	}
	different := []string{
		`{"model":"a","messages":[{"role":"user","content":"hi!"}],"options":{"temperature":0,"top_k":5}}`,
		`{"model":"a","messages":[{"role":"user","content":"hi"}],"options":{"temperature":0,"top_k":6}}`,
		`{"model":"a","messages":[{"role":"user","content":"hi"}],"options":{"temperature":0,"top_k":5,"seed":1}}`,
		`{"model":"a","messages":[{"role":"system","content":"hi"}],"options":{"temperature":0,"top_k":5}}`,
		`{"model":"a","messages":[{"role":"user","content":"hi"}],"options":{"temperature":0,"top_k":5},"extra":{"x":1}}`,
	}
	for _, s := range different {
		if k := key(t, "chat", tg, chatFromJSON(t, s)); k == k0 {
			t.Errorf("%s: same key as the base request", s)
		}
	}
	if key(t, "chat", route.Target{Plugin: "ollama", Model: "qwen3"}, chatFromJSON(t, base)) == k0 {
		t.Error("another target model, same key")
	}
	if key(t, "chat", route.Target{Plugin: "openai", Provider: "x", Model: "llama3.2"}, chatFromJSON(t, base)) == k0 {
		t.Error("another plugin/provider, same key")
	}
	if key(t, "generate", tg, chatFromJSON(t, base)) == k0 {
		t.Error("another service, same key")
	}
}

func TestDeterministic(t *testing.T) {
	zero, warm := 0.0, 0.7
	seed := int64(3)
	cases := []struct {
		req  any
		want bool
	}{
		{&types.ChatRequest{}, false},
		{&types.ChatRequest{Options: &types.Options{Temperature: &warm}}, false},
		{&types.ChatRequest{Options: &types.Options{Temperature: &zero}}, true},
		{&types.ChatRequest{Options: &types.Options{Temperature: &warm, Seed: &seed}}, true},
		{&types.GenerateRequest{Options: &types.Options{Temperature: &zero}}, true},
		{&types.EmbedRequest{}, true},
		{&types.RerankRequest{}, true},
		{&types.TextToImageRequest{}, false},
	}
	for i, c := range cases {
		if got := Deterministic(c.req); got != c.want {
			t.Errorf("case %d: Deterministic = %v, want %v", i, got, c.want)
		}
	}
}

func detChat(content string) *types.ChatRequest {
	z := 0.0
	return &types.ChatRequest{Messages: []types.Message{{Role: "user", Content: content}}, Options: &types.Options{Temperature: &z}}
}

func TestHitSkipsThePluginAndCollapsesConcurrentCalls(t *testing.T) {
	c := New(config.Cache{Services: []string{"chat"}, Size: 10, TTL: time.Hour})
	var calls atomic.Int32
	release := make(chan struct{})
	h := route.Chain(func(_ context.Context, call *route.Call, _ route.Target) error {
		calls.Add(1)
		<-release
		call.Resp = &types.ChatResponse{Message: types.Message{Content: "answer"},
			Usage: &types.Usage{PromptTokens: 3, CompletionTokens: 2, TotalTokens: 5}}
		return nil
	}, c.Step())
	const n = 8
	var wg sync.WaitGroup
	results := make([]*route.Call, n)
	run := func(i int) {
		defer wg.Done()
		call := &route.Call{Service: "chat", Req: detChat("q")}
		if err := h(context.Background(), call, tg); err != nil {
			t.Error(err)
		}
		results[i] = call
	}
	// The first request reaches the plugin and holds it; the others
	// arrive while it is in flight and join it (or, if they come late,
	// find its entry): either way the plugin is called once.
	wg.Add(n)
	go run(0)
	for calls.Load() == 0 {
		runtime.Gosched()
	}
	for i := 1; i < n; i++ {
		go run(i)
	}
	time.Sleep(20 * time.Millisecond) // let them pile up on the flight (not asserted)
	close(release)
	wg.Wait()
	hitsNow, _ := c.Stats()
	for _, r := range results {
		if r.Resp.(*types.ChatResponse).Message.Content != "answer" || (r.CacheHit && r.Usage == nil) {
			t.Fatalf("a caller got %+v", r)
		}
	}
	call := &route.Call{Service: "chat", Req: detChat("q")}
	before := calls.Load()
	if err := h(context.Background(), call, tg); err != nil || !call.CacheHit || calls.Load() != before {
		t.Fatalf("after fill: err %v hit %v calls %d→%d", err, call.CacheHit, before, calls.Load())
	}
	if before != 1 {
		t.Fatalf("%d plugin calls for %d identical concurrent requests, want 1", before, n)
	}
	if hitsNow != n-1 {
		t.Fatalf("hits %d, want %d", hitsNow, n-1)
	}
	// A different or non-deterministic request is not served from it.
	warm := 0.5
	other := &route.Call{Service: "chat", Req: &types.ChatRequest{Messages: []types.Message{{Role: "user", Content: "q"}},
		Options: &types.Options{Temperature: &warm}}}
	_ = h(context.Background(), other, tg)
	if other.CacheHit || calls.Load() != 2 {
		t.Fatalf("non-deterministic request: hit %v calls %d", other.CacheHit, calls.Load())
	}
}

func TestNotOptedInAndStreams(t *testing.T) {
	c := New(config.Cache{Models: []string{"llama3.2"}, Size: 10, TTL: time.Hour, Streams: true})
	var calls atomic.Int32
	h := route.Chain(func(_ context.Context, call *route.Call, _ route.Target) error {
		calls.Add(1)
		_ = call.Send(&types.ChatChunk{Content: "a"})
		return call.Send(&types.ChatChunk{Content: "b", Done: true, Usage: &types.Usage{PromptTokens: 1, CompletionTokens: 2, TotalTokens: 3}})
	}, c.Step())
	stream := func() (*route.Call, []string) {
		var got []string
		call := &route.Call{Service: "chat", Stream: true, Req: detChat("s"),
			Send: func(ch any) error { got = append(got, ch.(*types.ChatChunk).Content); return nil }}
		if err := h(context.Background(), call, tg); err != nil {
			t.Fatal(err)
		}
		return call, got
	}
	first, a := stream()
	second, b := stream()
	if first.CacheHit || !second.CacheHit || calls.Load() != 1 || len(b) != 2 || a[1] != b[1] || second.Usage.CompletionTokens != 2 {
		t.Fatalf("stream replay: hit %v/%v calls %d chunks %v %v", first.CacheHit, second.CacheHit, calls.Load(), a, b)
	}
	// Another model is not opted in.
	call := &route.Call{Service: "chat", Stream: true, Req: detChat("s"), Send: func(any) error { return nil }}
	_ = h(context.Background(), call, route.Target{Plugin: "ollama", Model: "qwen3"})
	_ = h(context.Background(), call, route.Target{Plugin: "ollama", Model: "qwen3"})
	if calls.Load() != 3 {
		t.Fatalf("not opted in, yet cached: %d calls", calls.Load())
	}
}
