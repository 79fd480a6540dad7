// Package usage records one row per service call attempt (tokens, cost,
// latency, outcome) in a SQLite file, written off the request path in
// batches, and answers aggregates, pages of records and CSV exports.
package usage

import (
	"strconv"
	"time"
)

// Record is one call attempt.
type Record struct {
	ID        int64     `json:"id"`
	Time      time.Time `json:"time"`
	RequestID string    `json:"request_id,omitempty"`
	// App is the caller: the API key's name or the X-Roundhouse-App
	// header ("" when neither).
	App     string `json:"app,omitempty"`
	Service string `json:"service"`
	// Model is the model that served (the target's); Requested is the
	// name the client asked for (a group or alias) when it differs.
	Model     string `json:"model"`
	Requested string `json:"requested,omitempty"`
	Plugin    string `json:"plugin,omitempty"`
	Provider  string `json:"provider,omitempty"`

	InputTokens  int `json:"input_tokens"`
	OutputTokens int `json:"output_tokens"`
	// Estimated is set when the plugin reported no usage and the counts
	// are the host's estimate.
	Estimated bool `json:"estimated"`
	// Cost is USD; nil when the model's price is unknown.
	Cost *float64 `json:"cost"`

	LatencyMS float64 `json:"latency_ms"`
	// TTFTMS is the time to the first streamed chunk (or the answer).
	TTFTMS float64 `json:"ttft_ms"`
	// Status is the HTTP status the call maps to; Code the error code
	// name ("ok" on success).
	Status   int    `json:"status"`
	Code     string `json:"code"`
	CacheHit bool   `json:"cache_hit"`
}

// csvHeader names the CSV export's columns, in csvRow's order.
var csvHeader = []string{"id", "time", "request_id", "app", "service", "model", "requested", "plugin", "provider",
	"input_tokens", "output_tokens", "estimated", "cost_usd", "latency_ms", "ttft_ms", "status", "code", "cache_hit"}

func (r *Record) csvRow() []string {
	cost := ""
	if r.Cost != nil {
		cost = strconv.FormatFloat(*r.Cost, 'f', -1, 64)
	}
	return []string{strconv.FormatInt(r.ID, 10), r.Time.UTC().Format(time.RFC3339Nano), r.RequestID, r.App, r.Service,
		r.Model, r.Requested, r.Plugin, r.Provider, strconv.Itoa(r.InputTokens), strconv.Itoa(r.OutputTokens),
		strconv.FormatBool(r.Estimated), cost, strconv.FormatFloat(r.LatencyMS, 'f', 3, 64),
		strconv.FormatFloat(r.TTFTMS, 'f', 3, 64), strconv.Itoa(r.Status), r.Code, strconv.FormatBool(r.CacheHit)}
}

// Group is one row of an aggregate.
type Group struct {
	// Key is the group's value: a model, plugin, provider, app or a day
	// (YYYY-MM-DD, UTC).
	Key          string `json:"key"`
	Requests     int64  `json:"requests"`
	Errors       int64  `json:"errors"`
	CacheHits    int64  `json:"cache_hits"`
	InputTokens  int64  `json:"input_tokens"`
	OutputTokens int64  `json:"output_tokens"`
	// EstimatedRequests counts records whose tokens are estimates.
	EstimatedRequests int64 `json:"estimated_requests"`
	// Cost sums the priced records (USD); nil when none was priced.
	// UnpricedRequests counts records whose cost is unknown, so a sum
	// that leaves some out says so.
	Cost             *float64 `json:"cost"`
	UnpricedRequests int64    `json:"unpriced_requests"`
}

// GroupBy values.
const (
	ByModel    = "model"
	ByPlugin   = "plugin"
	ByProvider = "provider"
	ByApp      = "app"
	ByDay      = "day"
)

// ValidGroupBy reports whether g is a group_by value.
func ValidGroupBy(g string) bool {
	switch g {
	case ByModel, ByPlugin, ByProvider, ByApp, ByDay:
		return true
	}
	return false
}
