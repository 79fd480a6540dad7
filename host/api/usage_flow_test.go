package api_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/roundhouse-ai/roundhouse/client"
	"github.com/roundhouse-ai/roundhouse/host/config"
)

// TestUsageThroughTheChain calls the echo plugin through the native and
// OpenAI surfaces with the meter on the dispatch chain: records carry
// tokens, cost, the app and the cache hit; a used-up budget answers 429
// in each surface's shape.
func TestUsageThroughTheChain(t *testing.T) {
	h, c := usageHost(t, func(c *config.Config) {
		c.Pricing = []config.Price{{Model: "echo-1", Input: 1, Output: 2}}
		c.Budgets = []config.Budget{{Name: "app-minute", Window: config.WindowMinute, App: "capped", Tokens: 15}}
		c.Cache = config.Cache{Services: []string{"chat"}, Size: 10, TTL: 60e9}
	})
	ctx := context.Background()
	resp, body := post(t, h.URL+"/v1/services/chat", `{"model":"echo-1","messages":[{"role":"user","content":"one two three"}]}`,
		"X-Roundhouse-App", "tester")
	if resp.StatusCode != 200 {
		t.Fatalf("chat: %d %s", resp.StatusCode, body)
	}
	resp, body = post(t, h.URL+"/v1/services/generate", `{"model":"echo-1","prompt":"abcdefgh"}`)
	if resp.StatusCode != 200 {
		t.Fatalf("generate: %d %s", resp.StatusCode, body)
	}
	det := `{"model":"echo-1","messages":[{"role":"user","content":"same"}],"options":{"temperature":0}}`
	for _, want := range []string{"miss", "hit"} {
		resp, body := post(t, h.URL+"/v1/services/chat", det)
		if resp.StatusCode != 200 || resp.Header.Get("X-Roundhouse-Cache") != want || resp.Header.Get("X-Roundhouse-Plugin") != "echo" {
			t.Fatalf("cached chat: %d %s %v, want X-Roundhouse-Cache: %s", resp.StatusCode, body, resp.Header, want)
		}
	}
	// A request the cache does not apply to (no temperature 0, no seed)
	// has no cache header.
	if resp.Header.Get("X-Roundhouse-Cache") != "" {
		t.Errorf("X-Roundhouse-Cache on a request the cache does not apply to: %q", resp.Header.Get("X-Roundhouse-Cache"))
	}
	page, err := c.UsageRecords(ctx, client.UsageQuery{})
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Records) != 4 {
		t.Fatalf("%d records, want 4: %+v", len(page.Records), page.Records)
	}
	hit, miss, gen, chat := page.Records[0], page.Records[1], page.Records[2], page.Records[3]
	// echo reports prompt = words of the last user message, completion = words + 1.
	if chat.App != "tester" || chat.InputTokens != 3 || chat.OutputTokens != 4 || chat.Estimated || chat.Cost == nil ||
		*chat.Cost != (3*1+4*2)/1e6 || chat.Plugin != "echo" || chat.Model != "echo-1" || chat.Status != 200 || chat.RequestID == "" {
		t.Errorf("chat record %+v", chat)
	}
	// echo's generate reports no usage: estimated from "abcdefgh" (2) and "echo: abcdefgh" (4).
	if !gen.Estimated || gen.InputTokens != 2 || gen.OutputTokens != 4 || gen.Service != "generate" {
		t.Errorf("generate record %+v", gen)
	}
	if miss.CacheHit || !hit.CacheHit || hit.Cost == nil || *hit.Cost != 0 || hit.InputTokens != miss.InputTokens {
		t.Errorf("cache records: miss %+v hit %+v", miss, hit)
	}

	// The capped app: the first request (estimate 4+4+3 = 11 of 15) fits and
	// uses 3+4; the next one (7 + 11 > 15) does not.
	capped := `{"model":"echo-1","messages":[{"role":"user","content":"one two three"}]}`
	if resp, body := post(t, h.URL+"/v1/services/chat", capped, "X-Roundhouse-App", "capped"); resp.StatusCode != 200 {
		t.Fatalf("capped first: %d %s", resp.StatusCode, body)
	}
	resp, body = post(t, h.URL+"/v1/services/chat", capped, "X-Roundhouse-App", "capped")
	var native client.ErrorBody
	_ = json.Unmarshal([]byte(body), &native)
	if resp.StatusCode != 429 || native.Error.Code != "budget_exceeded" || !strings.Contains(native.Error.Message, `"app-minute"`) ||
		!strings.Contains(native.Error.Message, "7 of 15 tokens") || resp.Header.Get("Retry-After") == "" {
		t.Fatalf("native over budget: %d %s %v", resp.StatusCode, body, resp.Header)
	}
	resp, body = post(t, h.URL+"/v1/chat/completions", `{"model":"echo-1","messages":[{"role":"user","content":"one two three"}]}`,
		"X-Roundhouse-App", "capped")
	var oa struct {
		Error struct{ Type, Code, Message string }
	}
	_ = json.Unmarshal([]byte(body), &oa)
	if resp.StatusCode != 429 || oa.Error.Type != "rate_limit_error" || oa.Error.Code != "budget_exceeded" ||
		!strings.Contains(oa.Error.Message, "app-minute") || resp.Header.Get("Retry-After") == "" {
		t.Fatalf("openai over budget: %d %s", resp.StatusCode, body)
	}
	// Other apps are not capped.
	if resp, body := post(t, h.URL+"/v1/services/chat", capped, "X-Roundhouse-App", "free"); resp.StatusCode != 200 {
		t.Fatalf("uncapped app: %d %s", resp.StatusCode, body)
	}
	bs, _ := c.Budgets(ctx)
	if len(bs) != 1 || bs[0].App != "capped" || bs[0].TokensUsed != 7 {
		t.Fatalf("budgets %+v", bs)
	}
	// Six answered requests, and the two the budget refused (recorded as
	// errors, with no tokens).
	rep, err := c.Usage(ctx, client.UsageQuery{GroupBy: "app"})
	if err != nil || rep.Total.Requests != 8 || rep.Total.Errors != 2 || rep.Total.CacheHits != 1 {
		t.Fatalf("usage %+v %v", rep, err)
	}
	for _, g := range rep.Groups {
		if g.Key == "capped" && (g.Errors != 2 || g.InputTokens != 3) {
			t.Fatalf("the capped app's usage: %+v", g)
		}
	}
}
