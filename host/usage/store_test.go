package usage

import (
	"bytes"
	"context"
	"encoding/csv"
	"os"
	"path/filepath"
	"testing"
	"time"
)

func openStore(t *testing.T, opt Options) (*Store, string) {
	t.Helper()
	p := filepath.Join(t.TempDir(), "sub", "usage.db")
	s, err := Open(p, opt)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s, p
}

func f(v float64) *float64 { return &v }

var t0 = time.Date(2026, 11, 30, 10, 0, 0, 0, time.UTC)

func seed(t *testing.T, s *Store) {
	t.Helper()
	recs := []Record{
		{Time: t0, App: "a", Service: "chat", Model: "gpt-4o-mini", Plugin: "openai", Provider: "main", InputTokens: 10, OutputTokens: 5, Cost: f(0.5), Status: 200, Code: "ok"},
		{Time: t0.Add(time.Minute), App: "a", Service: "chat", Model: "gpt-4o-mini", Plugin: "openai", Provider: "main", InputTokens: 20, OutputTokens: 10, Cost: f(1), Status: 200, Code: "ok"},
		{Time: t0.Add(2 * time.Minute), App: "b", Service: "chat", Model: "llama3.2", Plugin: "ollama", InputTokens: 7, OutputTokens: 3, Estimated: true, Cost: f(0), Status: 200, Code: "ok"},
		{Time: t0.Add(24 * time.Hour), App: "b", Service: "embed", Model: "unknown", Plugin: "openai", InputTokens: 4, Status: 429, Code: "budget_exceeded"},
	}
	for _, r := range recs {
		s.Add(r)
	}
	if err := s.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
}

func TestStoreFileIsPrivateAndMigrated(t *testing.T) {
	s, p := openStore(t, Options{})
	st, err := os.Stat(p)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Errorf("usage db mode %v, want 0600", st.Mode().Perm())
	}
	var v int
	if err := s.db.QueryRow(`SELECT MAX(version) FROM schema_migrations`).Scan(&v); err != nil || v != len(migrations) {
		t.Fatalf("schema version %d (%v), want %d", v, err, len(migrations))
	}
	s.Close()
	// Reopening applies nothing twice.
	s2, err := Open(p, Options{})
	if err != nil {
		t.Fatal(err)
	}
	s2.Close()
}

func TestAggregate(t *testing.T) {
	s, _ := openStore(t, Options{Batch: 2})
	seed(t, s)
	ctx := context.Background()
	got, err := s.Aggregate(ctx, time.Time{}, time.Time{}, ByModel)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]Group{
		"gpt-4o-mini": {Key: "gpt-4o-mini", Requests: 2, InputTokens: 30, OutputTokens: 15, Cost: f(1.5)},
		"llama3.2":    {Key: "llama3.2", Requests: 1, InputTokens: 7, OutputTokens: 3, EstimatedRequests: 1, Cost: f(0)},
		"unknown":     {Key: "unknown", Requests: 1, Errors: 1, InputTokens: 4, UnpricedRequests: 1},
	}
	if len(got) != len(want) {
		t.Fatalf("groups %+v", got)
	}
	for _, g := range got {
		w := want[g.Key]
		if g.Requests != w.Requests || g.Errors != w.Errors || g.InputTokens != w.InputTokens ||
			g.OutputTokens != w.OutputTokens || g.EstimatedRequests != w.EstimatedRequests || g.UnpricedRequests != w.UnpricedRequests ||
			(g.Cost == nil) != (w.Cost == nil) || (g.Cost != nil && *g.Cost != *w.Cost) {
			t.Errorf("group %s = %+v, want %+v", g.Key, g, w)
		}
	}
	days, err := s.Aggregate(ctx, t0, t0.Add(48*time.Hour), ByDay)
	if err != nil || len(days) != 2 || days[0].Key != "2026-11-30" || days[0].Requests != 3 || days[1].Key != "2026-12-01" {
		t.Fatalf("by day: %+v %v", days, err)
	}
	apps, err := s.Aggregate(ctx, t0, t0.Add(time.Hour), ByApp)
	if err != nil || len(apps) != 2 || apps[0].Key != "a" || apps[0].Requests != 2 || apps[1].Requests != 1 {
		t.Fatalf("by app within the hour: %+v %v", apps, err)
	}
	if _, err := s.Aggregate(ctx, time.Time{}, time.Time{}, "color"); err == nil {
		t.Fatal("bad group_by accepted")
	}
}

func TestRecordsPagesAndCSV(t *testing.T) {
	s, _ := openStore(t, Options{})
	seed(t, s)
	ctx := context.Background()
	var ids []int64
	cursor := ""
	for i := 0; i < 5; i++ {
		p, err := s.Records(ctx, time.Time{}, time.Time{}, 3, cursor)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range p.Records {
			ids = append(ids, r.ID)
		}
		if cursor = p.NextCursor; cursor == "" {
			break
		}
	}
	if len(ids) != 4 || ids[0] < ids[3] {
		t.Fatalf("paged ids %v, want 4 newest first", ids)
	}
	p, _ := s.Records(ctx, time.Time{}, time.Time{}, 10, "")
	if r := p.Records[0]; r.Cost != nil || r.Code != "budget_exceeded" || !p.Records[1].Estimated {
		t.Fatalf("records round trip: %+v", p.Records)
	}
	if _, err := s.Records(ctx, time.Time{}, time.Time{}, 10, "zz"); err == nil {
		t.Fatal("bad cursor accepted")
	}
	var buf bytes.Buffer
	if err := s.WriteCSV(ctx, &buf, time.Time{}, t0.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(&buf).ReadAll()
	if err != nil || len(rows) != 4 || rows[0][0] != "id" || rows[1][12] != "0.5" || rows[3][11] != "true" {
		t.Fatalf("csv %v %v", rows, err)
	}
}

func TestPruneAndTotals(t *testing.T) {
	now := t0.Add(25 * time.Hour)
	s, _ := openStore(t, Options{Retention: 2 * time.Hour, Now: func() time.Time { return now }})
	seed(t, s)
	ctx := context.Background()
	tot, err := s.TotalsSince(ctx, t0)
	if err != nil || len(tot) != 3 {
		t.Fatalf("totals %+v %v", tot, err)
	}
	s.Prune()
	p, _ := s.Records(ctx, time.Time{}, time.Time{}, 10, "")
	if len(p.Records) != 1 || p.Records[0].Service != "embed" {
		t.Fatalf("after prune: %+v", p.Records)
	}
}
