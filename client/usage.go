package client

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"time"
)

// UsageGroup is one row of GET /v1/usage.
type UsageGroup struct {
	// Key is the group's value: a model, plugin, provider, app or day
	// (YYYY-MM-DD, UTC); "total" for the total.
	Key               string `json:"key"`
	Requests          int64  `json:"requests"`
	Errors            int64  `json:"errors"`
	CacheHits         int64  `json:"cache_hits"`
	InputTokens       int64  `json:"input_tokens"`
	OutputTokens      int64  `json:"output_tokens"`
	EstimatedRequests int64  `json:"estimated_requests"`
	// Cost is USD over the priced records; nil when none was priced.
	// UnpricedRequests is how many records it leaves out.
	Cost             *float64 `json:"cost"`
	UnpricedRequests int64    `json:"unpriced_requests"`
}

// UsageReport is GET /v1/usage.
type UsageReport struct {
	From    time.Time    `json:"from"`
	To      time.Time    `json:"to"`
	GroupBy string       `json:"group_by"`
	Groups  []UsageGroup `json:"groups"`
	Total   UsageGroup   `json:"total"`
}

// UsageRecord is one call attempt as GET /v1/usage/records lists it.
type UsageRecord struct {
	ID           int64     `json:"id"`
	Time         time.Time `json:"time"`
	RequestID    string    `json:"request_id,omitempty"`
	App          string    `json:"app,omitempty"`
	Service      string    `json:"service"`
	Model        string    `json:"model"`
	Requested    string    `json:"requested,omitempty"`
	Plugin       string    `json:"plugin,omitempty"`
	Provider     string    `json:"provider,omitempty"`
	InputTokens  int       `json:"input_tokens"`
	OutputTokens int       `json:"output_tokens"`
	Estimated    bool      `json:"estimated"`
	Cost         *float64  `json:"cost"`
	LatencyMS    float64   `json:"latency_ms"`
	TTFTMS       float64   `json:"ttft_ms"`
	Status       int       `json:"status"`
	Code         string    `json:"code"`
	CacheHit     bool      `json:"cache_hit"`
}

// UsageRecordPage is a page of records, newest first; pass NextCursor to
// get the next ("" on the last page).
type UsageRecordPage struct {
	Records    []UsageRecord `json:"records"`
	NextCursor string        `json:"next_cursor,omitempty"`
}

// BudgetStatus is one budget (or one app's share of a per-app budget).
type BudgetStatus struct {
	Name        string    `json:"name"`
	Window      string    `json:"window"`
	App         string    `json:"app,omitempty"`
	Model       string    `json:"model,omitempty"`
	TokensUsed  int64     `json:"tokens_used"`
	TokensLimit int64     `json:"tokens_limit,omitempty"`
	CostUsed    float64   `json:"cost_used"`
	CostLimit   float64   `json:"cost_limit,omitempty"`
	Ratio       float64   `json:"ratio"`
	WindowStart time.Time `json:"window_start"`
	ResetsAt    time.Time `json:"resets_at"`
}

// BudgetList is GET /v1/budgets.
type BudgetList struct {
	Budgets []BudgetStatus `json:"budgets"`
}

// UsageQuery narrows usage queries; zero fields take the host's defaults
// (the last 30 days, group by model, 100 records).
type UsageQuery struct {
	From, To time.Time
	// GroupBy: model, plugin, provider, app or day (Usage only).
	GroupBy string
	// Limit and Cursor page UsageRecords.
	Limit  int
	Cursor string
}

func (q UsageQuery) values() url.Values {
	v := url.Values{}
	if !q.From.IsZero() {
		v.Set("from", q.From.UTC().Format(time.RFC3339Nano))
	}
	if !q.To.IsZero() {
		v.Set("to", q.To.UTC().Format(time.RFC3339Nano))
	}
	if q.GroupBy != "" {
		v.Set("group_by", q.GroupBy)
	}
	if q.Limit > 0 {
		v.Set("limit", strconv.Itoa(q.Limit))
	}
	if q.Cursor != "" {
		v.Set("cursor", q.Cursor)
	}
	return v
}

// Usage is GET /v1/usage: tokens, cost and counts grouped.
func (c *Client) Usage(ctx context.Context, q UsageQuery) (*UsageReport, error) {
	var out UsageReport
	return &out, c.call(ctx, http.MethodGet, "/v1/usage?"+q.values().Encode(), nil, &out)
}

// UsageRecords is GET /v1/usage/records: one page of records.
func (c *Client) UsageRecords(ctx context.Context, q UsageQuery) (*UsageRecordPage, error) {
	var out UsageRecordPage
	return &out, c.call(ctx, http.MethodGet, "/v1/usage/records?"+q.values().Encode(), nil, &out)
}

// UsageCSV writes the records of q's span to w as CSV.
func (c *Client) UsageCSV(ctx context.Context, q UsageQuery, w io.Writer) error {
	v := q.values()
	v.Set("format", "csv")
	resp, err := c.do(ctx, http.MethodGet, "/v1/usage/records?"+v.Encode(), nil, "text/csv")
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	_, err = io.Copy(w, resp.Body)
	return err
}

// Budgets is GET /v1/budgets.
func (c *Client) Budgets(ctx context.Context) ([]BudgetStatus, error) {
	var out BudgetList
	return out.Budgets, c.call(ctx, http.MethodGet, "/v1/budgets", nil, &out)
}
