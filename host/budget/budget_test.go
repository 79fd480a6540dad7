package budget

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/roundhouse-ai/roundhouse/host/backend"
	"github.com/roundhouse-ai/roundhouse/host/config"
	"github.com/roundhouse-ai/roundhouse/host/route"
	"github.com/roundhouse-ai/roundhouse/host/usage"
	"github.com/roundhouse-ai/roundhouse/types"
)

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) set(t time.Time)     { c.mu.Lock(); c.t = t; c.mu.Unlock() }
func (c *clock) add(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }
func at(s string) time.Time          { t, _ := time.Parse(time.RFC3339, s); return t }
func quiet() *slog.Logger            { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

type price struct{}

func (price) Price(t route.Target) (float64, float64, bool) {
	if t.Model == "paid" {
		return 1e6, 2e6, true // $1 per input token, $2 per output token
	}
	return 0, 0, false
}

func TestWindows(t *testing.T) {
	cases := []struct {
		window, now, start, end string
	}{
		{config.WindowMinute, "2026-11-30T10:17:42Z", "2026-11-30T10:17:00Z", "2026-11-30T10:18:00Z"},
		{config.WindowHour, "2026-11-30T10:17:42Z", "2026-11-30T10:00:00Z", "2026-11-30T11:00:00Z"},
		{config.WindowDay, "2026-11-30T23:59:59Z", "2026-11-30T00:00:00Z", "2026-12-01T00:00:00Z"},
		{config.WindowMonth, "2026-12-31T23:59:59Z", "2026-12-01T00:00:00Z", "2027-01-01T00:00:00Z"},
		{config.WindowMonth, "2028-02-29T12:00:00Z", "2028-02-01T00:00:00Z", "2028-03-01T00:00:00Z"}, // leap year
		{config.WindowMonth, "2027-01-31T08:00:00Z", "2027-01-01T00:00:00Z", "2027-02-01T00:00:00Z"}, // no Feb 31 overflow
		// a time in another zone counts in UTC
		{config.WindowDay, "2026-12-01T01:00:00+02:00", "2026-11-30T00:00:00Z", "2026-12-01T00:00:00Z"},
	}
	for _, c := range cases {
		s := windowStart(at(c.now), c.window)
		if !s.Equal(at(c.start)) || !windowEnd(s, c.window).Equal(at(c.end)) {
			t.Errorf("%s at %s: [%s, %s), want [%s, %s)", c.window, c.now, s, windowEnd(s, c.window), c.start, c.end)
		}
	}
}

func call(app, model string, content string, maxTokens int) *route.Call {
	req := &types.ChatRequest{Messages: []types.Message{{Role: "user", Content: content}}}
	if maxTokens > 0 {
		req.Options = &types.Options{MaxTokens: &maxTokens}
	}
	return &route.Call{Service: "chat", Model: model, Caller: backend.Caller{App: app}, Req: req}
}

// answer is a terminal handler that reports in+out tokens.
func answer(in, out int) route.Handler {
	return func(_ context.Context, c *route.Call, _ route.Target) error {
		c.Resp = &types.ChatResponse{Usage: &types.Usage{PromptTokens: in, CompletionTokens: out, TotalTokens: in + out}}
		return nil
	}
}

func TestTokenBudgetMinuteWindow(t *testing.T) {
	clk := &clock{t: at("2026-11-30T10:17:30Z")}
	m := New([]config.Budget{{Name: "tiny", Window: config.WindowMinute, Tokens: 100}}, nil, Options{Now: clk.now})
	h := route.Chain(answer(40, 30), m.Step())
	tg := route.Target{Plugin: "ollama", Model: "llama3.2"}
	if err := h(context.Background(), call("", "llama3.2", "hi", 0), tg); err != nil {
		t.Fatal(err)
	}
	// 70 used; a request with max_tokens 50 (+ 4+1+3 input) would overrun.
	err := h(context.Background(), call("", "llama3.2", "hi", 50), tg)
	var e *types.Error
	if !errors.As(err, &e) || e.Code != types.CodeBudgetExceeded || e.Code.HTTPStatus() != 429 {
		t.Fatalf("over budget: %v", err)
	}
	for _, want := range []string{`"tiny"`, "70 of 100 tokens", "minute", "2026-11-30T10:18:00Z", "budgets[].tokens"} {
		if !strings.Contains(e.Message, want) {
			t.Errorf("message %q lacks %q", e.Message, want)
		}
	}
	if e.RetryAfter != 30*time.Second || !e.Retryable {
		t.Errorf("RetryAfter %s retryable %v, want 30s true", e.RetryAfter, e.Retryable)
	}
	// A small request still fits, then the budget is used up.
	if err := h(context.Background(), call("", "llama3.2", "hi", 0), tg); err != nil {
		t.Fatal(err)
	}
	if err := h(context.Background(), call("", "llama3.2", "hi", 0), tg); err == nil {
		t.Fatal("a used-up budget let a request through")
	}
	st := m.Statuses()
	if len(st) != 1 || st[0].TokensUsed != 140 || st[0].Ratio != 1.4 || !st[0].ResetsAt.Equal(at("2026-11-30T10:18:00Z")) {
		t.Fatalf("status %+v", st)
	}
	// The next minute starts afresh.
	clk.add(30 * time.Second)
	if err := h(context.Background(), call("", "llama3.2", "hi", 0), tg); err != nil {
		t.Fatalf("after the window: %v", err)
	}
}

func TestCostBudgetMonthBoundaryPerAppAndModel(t *testing.T) {
	clk := &clock{t: at("2026-12-31T23:59:00Z")}
	m := New([]config.Budget{
		{Name: "per-app", Window: config.WindowMonth, App: "*", Cost: 10},
		{Name: "paid-only", Window: config.WindowDay, Model: "paid", Tokens: 1000},
	}, price{}, Options{Now: clk.now})
	h := route.Chain(answer(2, 3), m.Step()) // $2 + $6 = $8 per call on "paid"
	paid := route.Target{Plugin: "openai", Model: "paid"}
	if err := h(context.Background(), call("a", "paid", "x", 0), paid); err != nil {
		t.Fatal(err)
	}
	// App a has $8 of $10 left $2; the estimate (4+1+3=8 input tokens = $8) does not fit.
	err := h(context.Background(), call("a", "paid", "x", 0), paid)
	if err == nil || !strings.Contains(err.Error(), `"per-app"`) || !strings.Contains(err.Error(), `app "a"`) ||
		!strings.Contains(err.Error(), "2027-01-01T00:00:00Z") {
		t.Fatalf("app a over budget: %v", err)
	}
	if e := types.AsError(err); e.RetryAfter != time.Minute {
		t.Fatalf("RetryAfter %s, want 1m to the new year", e.RetryAfter)
	}
	// App b has its own budget.
	if err := h(context.Background(), call("b", "paid", "x", 0), paid); err != nil {
		t.Fatalf("app b: %v", err)
	}
	// An unpriced model costs nothing against a cost budget.
	if err := h(context.Background(), call("a", "free", "x", 0), route.Target{Plugin: "ollama", Model: "free", Local: true}); err != nil {
		t.Fatalf("unpriced: %v", err)
	}
	st := m.Statuses()
	if len(st) != 3 || st[0].App != "a" || st[0].CostUsed != 8 || st[1].App != "b" || st[2].Name != "paid-only" || st[2].TokensUsed != 10 {
		t.Fatalf("statuses %+v", st)
	}
	if q := m.QuotaUsed(paid); q != 0.01 {
		t.Fatalf("QuotaUsed(paid) = %v, want 0.01", q)
	}
	clk.set(at("2027-01-01T00:00:00Z"))
	if err := h(context.Background(), call("a", "paid", "x", 0), paid); err != nil {
		t.Fatalf("new month: %v", err)
	}
}

func TestAlertsOncePerWindowWithWebhook(t *testing.T) {
	var got []Alert
	var mu sync.Mutex
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if calls.Add(1) == 1 {
			w.WriteHeader(http.StatusServiceUnavailable) // the first try fails: retried
			return
		}
		var a Alert
		if err := json.NewDecoder(r.Body).Decode(&a); err != nil {
			t.Error(err)
		}
		mu.Lock()
		got = append(got, a)
		mu.Unlock()
	}))
	defer srv.Close()
	n := NewNotifier(quiet(), config.Webhook{URL: srv.URL, Timeout: time.Second, Retries: 3})
	var hooked atomic.Int32
	n.OnAlert(func(Alert) { hooked.Add(1) })
	clk := &clock{t: at("2026-11-30T10:00:00Z")}
	m := New([]config.Budget{{Name: "hourly", Window: config.WindowHour, Tokens: 100}}, nil,
		Options{Thresholds: []float64{1.0, 0.8}, Notifier: n, Now: clk.now})
	for range 3 {
		m.add("", "m", "m", 45, 0, true) // 45, 90 (crosses 0.8), 135 (crosses 1.0)
	}
	m.add("", "m", "m", 10, 0, true) // no new alert
	n.Wait()
	mu.Lock()
	defer mu.Unlock()
	// Deliveries are concurrent (and the first is retried): order them.
	sort.Slice(got, func(i, j int) bool { return got[i].Threshold < got[j].Threshold })
	if len(got) != 2 || got[0].Threshold != 0.8 || got[0].TokensUsed != 90 || got[1].Threshold != 1.0 ||
		got[0].Budget != "hourly" || got[0].Event != "budget.threshold" || hooked.Load() != 2 {
		t.Fatalf("alerts %+v hooks %d", got, hooked.Load())
	}
	n.Close()
}

type totals []usage.Total

func (t totals) TotalsSince(context.Context, time.Time) ([]usage.Total, error) { return t, nil }

func TestRebuild(t *testing.T) {
	clk := &clock{t: at("2026-11-30T10:00:00Z")}
	var alerts atomic.Int32
	n := NewNotifier(quiet(), config.Webhook{})
	n.OnAlert(func(Alert) { alerts.Add(1) })
	m := New([]config.Budget{{Name: "daily", Window: config.WindowDay, Tokens: 100}}, nil,
		Options{Thresholds: []float64{0.8}, Notifier: n, Now: clk.now})
	if err := m.Rebuild(context.Background(), totals{{App: "a", Model: "m", Tokens: 85}}); err != nil {
		t.Fatal(err)
	}
	if st := m.Statuses(); st[0].TokensUsed != 85 {
		t.Fatalf("rebuilt %+v", st)
	}
	m.add("a", "m", "m", 5, 0, true)
	if alerts.Load() != 0 {
		t.Fatal("a threshold crossed before the restart was alerted again")
	}
}

type records struct {
	mu  sync.Mutex
	all []usage.Record
}

func (r *records) Add(rec usage.Record) { r.mu.Lock(); r.all = append(r.all, rec); r.mu.Unlock() }

// A refused request is a usage record too (as the meter wires them: budget
// outside the recorder): its code and status, no tokens, cost 0 — so
// GET /v1/usage shows who was turned away, and a rebuild after a restart
// charges nothing for it.
func TestRefusedRequestIsRecorded(t *testing.T) {
	clk := &clock{t: at("2026-11-30T10:17:30Z")}
	m := New([]config.Budget{{Name: "tiny", Window: config.WindowMinute, Tokens: 10}}, nil, Options{Now: clk.now})
	var got records
	rec := usage.NewRecorder(&got, nil)
	m.OnRefused = rec.Refused
	h := route.Chain(answer(40, 30), m.Step(), rec.Step())
	tg := route.Target{Plugin: "ollama", Model: "llama3.2"}
	c := call("", "llama3.2", "hi", 50)
	c.RequestID = "req-refused"
	if err := h(context.Background(), c, tg); types.ErrorCode(err) != types.CodeBudgetExceeded {
		t.Fatalf("want a refusal, got %v", err)
	}
	if len(got.all) != 1 {
		t.Fatalf("records: %+v", got.all)
	}
	r := got.all[0]
	if r.RequestID != "req-refused" || r.Code != types.CodeBudgetExceeded.String() || r.Status != 429 ||
		r.InputTokens != 0 || r.OutputTokens != 0 || r.Cost == nil || *r.Cost != 0 || r.Model != "llama3.2" || r.Plugin != "ollama" {
		t.Fatalf("refusal record %+v", r)
	}
}

// A reload's budgets: one that stays (same name, window, app, model) keeps
// its window's usage under its new limit; a new one is filled from the
// records, as at start; a removed one is gone. Then reloads race with
// calls (the race detector watches).
func TestReconfigureKeepsUsageAndFillsNewBudgets(t *testing.T) {
	clk := &clock{t: at("2026-11-30T10:00:00Z")}
	m := New([]config.Budget{{Name: "daily", Window: config.WindowDay, Tokens: 1000}, {Name: "gone", Window: config.WindowDay, Tokens: 5000}}, nil,
		Options{Now: clk.now})
	h := route.Chain(answer(40, 30), m.Step())
	tg := route.Target{Plugin: "ollama", Model: "m"}
	if err := h(context.Background(), call("a", "m", "hi", 0), tg); err != nil {
		t.Fatal(err)
	}
	store := totals{{App: "a", Model: "m", Tokens: 300}}
	next := []config.Budget{
		{Name: "daily", Window: config.WindowDay, Tokens: 100}, // limit lowered
		{Name: "hourly", Window: config.WindowHour, Tokens: 500},
	}
	if err := m.Reconfigure(context.Background(), next, []float64{0.9}, store); err != nil {
		t.Fatal(err)
	}
	st := m.Statuses()
	if len(st) != 2 || st[0].Name != "daily" || st[1].Name != "hourly" || m.Len() != 2 {
		t.Fatalf("statuses %+v", st)
	}
	if st[0].TokensLimit != 100 || st[0].TokensUsed != 70 {
		t.Fatalf("daily lost its usage or was refilled: %+v", st[0])
	}
	if st[1].TokensUsed != 300 {
		t.Fatalf("the new budget was not filled from the records: %+v", st[1])
	}
	// The lowered limit applies at once.
	if err := h(context.Background(), call("a", "m", "hi", 40), tg); types.ErrorCode(err) != types.CodeBudgetExceeded {
		t.Fatalf("over the new limit: %v", err)
	}

	done := make(chan struct{})
	go func() {
		defer close(done)
		for range 200 {
			_ = h(context.Background(), call("a", "m", "hi", 0), tg)
			_ = m.Statuses()
			_ = m.QuotaUsed(tg)
		}
	}()
	for i := range 20 {
		if err := m.Reconfigure(context.Background(), next[:1+i%2], nil, store); err != nil {
			t.Fatal(err)
		}
	}
	<-done
}
