package usage

import (
	"context"
	"sync"
	"testing"

	"github.com/roundhouse-ai/roundhouse/host/backend"
	"github.com/roundhouse-ai/roundhouse/host/route"
	"github.com/roundhouse-ai/roundhouse/types"
)

type sinkFake struct {
	mu   sync.Mutex
	recs []Record
}

func (s *sinkFake) Add(r Record) { s.mu.Lock(); s.recs = append(s.recs, r); s.mu.Unlock() }

type flatPrice struct{}

func (flatPrice) Cost(t route.Target, in, out int) *float64 {
	if t.Model == "unpriced" {
		return nil
	}
	c := float64(in + 2*out)
	return &c
}

func run(t *testing.T, c *route.Call, tg route.Target, last route.Handler) (Record, error) {
	t.Helper()
	sink := &sinkFake{}
	h := route.Chain(last, NewRecorder(sink, flatPrice{}).Step())
	err := h(context.Background(), c, tg)
	if len(sink.recs) != 1 {
		t.Fatalf("%d records, want 1", len(sink.recs))
	}
	return sink.recs[0], err
}

func TestRecorderReportedUsage(t *testing.T) {
	c := &route.Call{Service: "chat", Model: "fast", RequestID: "r1", Caller: backend.Caller{App: "app1"},
		Req: &types.ChatRequest{Messages: []types.Message{{Role: "user", Content: "hi"}}}}
	r, err := run(t, c, route.Target{Plugin: "openai", Provider: "main", Model: "gpt-4o-mini"},
		func(ctx context.Context, c *route.Call, _ route.Target) error {
			c.Resp = &types.ChatResponse{Usage: &types.Usage{PromptTokens: 11, CompletionTokens: 7, TotalTokens: 18}}
			return nil
		})
	if err != nil || r.InputTokens != 11 || r.OutputTokens != 7 || r.Estimated || r.Cost == nil || *r.Cost != 25 ||
		r.App != "app1" || r.Requested != "fast" || r.Model != "gpt-4o-mini" || r.Provider != "main" || r.Status != 200 || r.Code != "ok" {
		t.Fatalf("record %+v", r)
	}
}

func TestRecorderEstimatesStreamWithoutUsage(t *testing.T) {
	var got []any
	c := &route.Call{Service: "chat", Stream: true, Send: func(ch any) error { got = append(got, ch); return nil },
		Req: &types.ChatRequest{Messages: []types.Message{{Role: "user", Content: "Hello, world!"}}}} // 4+4+3 = 11
	orig := c.Send
	r, err := run(t, c, route.Target{Plugin: "ollama", Model: "unpriced"},
		func(ctx context.Context, c *route.Call, _ route.Target) error {
			_ = c.Send(&types.ChatChunk{Content: "你好世界"})                // 3
			return c.Send(&types.ChatChunk{Content: "abcd", Done: true}) // 1
		})
	if err != nil || len(got) != 2 || !r.Estimated || r.InputTokens != 11 || r.OutputTokens != 4 || r.Cost != nil || r.TTFTMS <= 0 {
		t.Fatalf("record %+v err %v chunks %d", r, err, len(got))
	}
	if !c.UsageEstimated || c.Usage.TotalTokens != 15 {
		t.Fatalf("call usage %+v", c.Usage)
	}
	c.Send(nil)
	if len(got) != 3 || orig == nil {
		t.Fatal("Send not restored")
	}
}

func TestRecorderFailureAndCacheHit(t *testing.T) {
	c := &route.Call{Service: "chat", Req: &types.ChatRequest{Messages: []types.Message{{Role: "user", Content: "x"}}},
		Usage: &types.Usage{PromptTokens: 99}} // left over from an earlier attempt
	r, err := run(t, c, route.Target{Plugin: "openai", Model: "m"}, func(context.Context, *route.Call, route.Target) error {
		return types.Errorf(types.CodeUpstreamRateLimited, "slow down")
	})
	if err == nil || r.Status != 429 || r.Code != "upstream_rate_limited" || r.InputTokens != 0 || r.Estimated {
		t.Fatalf("failed attempt record %+v", r)
	}
	c = &route.Call{Service: "chat"}
	r, _ = run(t, c, route.Target{Plugin: "openai", Model: "m"}, func(_ context.Context, c *route.Call, _ route.Target) error {
		c.CacheHit = true
		c.Resp = &types.ChatResponse{Usage: &types.Usage{PromptTokens: 5, CompletionTokens: 5, TotalTokens: 10}}
		return nil
	})
	if !r.CacheHit || r.Cost == nil || *r.Cost != 0 || r.InputTokens != 5 {
		t.Fatalf("cache hit record %+v", r)
	}
}
