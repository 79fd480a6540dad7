package api_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/roundhouse-ai/roundhouse/client"
	"github.com/roundhouse-ai/roundhouse/host/config"
	"github.com/roundhouse-ai/roundhouse/host/usage"
	"github.com/roundhouse-ai/roundhouse/internal/hosttest"
)

func usageHost(t *testing.T, mutate func(*config.Config)) (*hosttest.Host, *client.Client) {
	t.Helper()
	h := hosttest.Start(t, hosttest.Options{Meter: true, Mutate: func(c *config.Config) {
		c.Budgets = []config.Budget{{Name: "daily", Window: config.WindowDay, Tokens: 1000}}
		if mutate != nil {
			mutate(c)
		}
	}})
	c, err := client.New(h.URL, nil)
	if err != nil {
		t.Fatal(err)
	}
	return h, c
}

func TestUsageRoutes(t *testing.T) {
	h, c := usageHost(t, nil)
	now := time.Now().UTC()
	cost := 0.25
	for i := range 5 {
		h.Meter.Store.Add(usage.Record{Time: now.Add(-time.Duration(i) * time.Minute), App: "app" + string(rune('a'+i%2)),
			Service: "chat", Model: "m" + string(rune('0'+i%2)), Plugin: "echo", InputTokens: 10, OutputTokens: 5,
			Cost: &cost, Status: 200, Code: "ok"})
	}
	ctx := context.Background()
	rep, err := c.Usage(ctx, client.UsageQuery{GroupBy: "app"})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Groups) != 2 || rep.Groups[0].Key != "appa" || rep.Groups[0].Requests != 3 || rep.Total.Requests != 5 ||
		rep.Total.InputTokens != 50 || rep.Total.Cost == nil || *rep.Total.Cost != 1.25 {
		t.Fatalf("usage by app: %+v", rep)
	}
	var ids []int64
	q := client.UsageQuery{Limit: 2}
	for {
		p, err := c.UsageRecords(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range p.Records {
			ids = append(ids, r.ID)
		}
		if p.NextCursor == "" {
			break
		}
		q.Cursor = p.NextCursor
	}
	if len(ids) != 5 {
		t.Fatalf("paged %v, want 5 records", ids)
	}
	var buf bytes.Buffer
	if err := c.UsageCSV(ctx, client.UsageQuery{}, &buf); err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(&buf).ReadAll()
	if err != nil || len(rows) != 6 || rows[0][1] != "time" {
		t.Fatalf("csv: %v %v", rows, err)
	}
	// Accept: text/csv asks for CSV too.
	req, _ := http.NewRequest(http.MethodGet, h.URL+"/v1/usage/records", nil)
	req.Header.Set("Accept", "text/csv")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/csv") || !strings.HasPrefix(string(b), "id,time,") {
		t.Fatalf("Accept text/csv: %s %q", resp.Header.Get("Content-Type"), b)
	}
	bs, err := c.Budgets(ctx)
	if err != nil || len(bs) != 1 || bs[0].Name != "daily" || bs[0].TokensLimit != 1000 || !bs[0].ResetsAt.After(now) {
		t.Fatalf("budgets %+v %v", bs, err)
	}
}

func TestUsageBadInputNamesTheField(t *testing.T) {
	h, _ := usageHost(t, nil)
	for query, field := range map[string]string{
		"/v1/usage?group_by=color":                "group_by",
		"/v1/usage?from=yesterday":                "from",
		"/v1/usage?from=2026-11-30&to=2026-11-29": "to",
		"/v1/usage/records?limit=0":               "limit",
		"/v1/usage/records?limit=5000":            "limit",
		"/v1/usage/records?cursor=abc":            "cursor",
		"/v1/usage/records?format=xml":            "format",
	} {
		resp, err := http.Get(h.URL + query)
		if err != nil {
			t.Fatal(err)
		}
		var body client.ErrorBody
		_ = json.NewDecoder(resp.Body).Decode(&body)
		resp.Body.Close()
		if resp.StatusCode != 400 || body.Error.Field != field {
			t.Errorf("%s: %d %+v, want 400 naming %s", query, resp.StatusCode, body.Error, field)
		}
	}
}

func TestMetricsAdminGuarded(t *testing.T) {
	h, c := usageHost(t, func(c *config.Config) { c.AdminToken = "s3cret" })
	resp, err := http.Get(h.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("/metrics without the admin token: %d, want 401", resp.StatusCode)
	}
	req, _ := http.NewRequest(http.MethodGet, h.URL+"/metrics", nil)
	req.Header.Set("Authorization", "Bearer s3cret")
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(b), "roundhouse_plugin_state{plugin=\"echo\"") ||
		!strings.Contains(string(b), "roundhouse_budget_usage_ratio") {
		t.Fatalf("/metrics: %d %.500s", resp.StatusCode, b)
	}
	// Usage and budgets are invoke routes: no admin token needed.
	if _, err := c.Budgets(context.Background()); err != nil {
		t.Fatal(err)
	}
}

func TestUsageOffSaysSo(t *testing.T) {
	h := hosttest.Start(t, hosttest.Options{})
	c, _ := client.New(h.URL, nil)
	_, err := c.Usage(context.Background(), client.UsageQuery{})
	var se *client.StatusError
	if !errors.As(err, &se) || se.StatusCode != http.StatusConflict || !strings.Contains(se.Message, "usage") {
		t.Fatalf("usage without a meter: %v", err)
	}
	if bs, err := c.Budgets(context.Background()); err != nil || len(bs) != 0 {
		t.Fatalf("budgets without a meter: %v %v", bs, err)
	}
}

func TestOpenAPIDescribesUsageRoutes(t *testing.T) {
	h, _ := usageHost(t, nil)
	resp, err := http.Get(h.URL + "/openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var doc struct {
		Paths      map[string]map[string]any `json:"paths"`
		Components struct {
			Schemas map[string]struct {
				Properties map[string]any `json:"properties"`
			} `json:"schemas"`
		} `json:"components"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&doc); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"/v1/usage", "/v1/usage/records", "/v1/budgets", "/metrics"} {
		if _, ok := doc.Paths[p]["get"]; !ok {
			t.Errorf("no GET %s", p)
		}
	}
	for schema, fields := range map[string][]string{
		"UsageRecord":  {"input_tokens", "output_tokens", "estimated", "cost", "ttft_ms", "cache_hit", "app", "provider"},
		"UsageGroup":   {"key", "requests", "cost", "unpriced_requests"},
		"BudgetStatus": {"window", "tokens_used", "tokens_limit", "cost_limit", "ratio", "resets_at"},
	} {
		for _, f := range fields {
			if _, ok := doc.Components.Schemas[schema].Properties[f]; !ok {
				t.Errorf("%s schema lacks %q", schema, f)
			}
		}
	}
}
