package api

import (
	"reflect"

	"github.com/roundhouse-ai/roundhouse/client"
)

// usagePaths adds the usage, budget and metrics routes to the OpenAPI
// document.
func usagePaths(paths map[string]any, ok func(reflect.Type, string) map[string]any, errResp map[string]any) {
	q := func(name, desc string) map[string]any {
		return map[string]any{"name": name, "in": "query", "description": desc, "schema": map[string]any{"type": "string"}}
	}
	span := []any{
		q("from", "start (inclusive): RFC 3339 time or YYYY-MM-DD (UTC); default 30 days ago"),
		q("to", "end (exclusive): RFC 3339 time or YYYY-MM-DD; default now"),
	}
	paths["/v1/usage"] = map[string]any{"get": map[string]any{
		"summary":    "Usage aggregated by model, plugin, provider, app or day: requests, errors, cache hits, tokens, estimated requests, cost (null when nothing was priced) and unpriced requests",
		"parameters": append(span, q("group_by", "model (default), plugin, provider, app or day")),
		"responses":  ok(reflect.TypeFor[client.UsageReport](), "usage"),
	}}
	recs := ok(reflect.TypeFor[client.UsageRecordPage](), "records, newest first")
	recs["200"].(map[string]any)["content"].(map[string]any)["text/csv"] = map[string]any{"schema": map[string]any{"type": "string"}}
	paths["/v1/usage/records"] = map[string]any{"get": map[string]any{
		"summary": "Usage records (one per call attempt), paged newest first; format=csv or Accept: text/csv exports the span as CSV, oldest first",
		"parameters": append(span, q("limit", "records per page, 1-1000 (default 100)"),
			q("cursor", "next_cursor of the previous page"), q("format", "json (default) or csv")),
		"responses": recs,
	}}
	paths["/v1/budgets"] = map[string]any{"get": map[string]any{
		"summary":   "Budgets: window, usage, limit, ratio and reset time (a per-app budget lists each app seen in its window)",
		"responses": ok(reflect.TypeFor[client.BudgetList](), "budgets"),
	}}
	paths["/metrics"] = map[string]any{"get": map[string]any{
		"summary": "Prometheus metrics (admin scope; or on the metrics.listen listener)",
		"responses": map[string]any{"200": map[string]any{"description": "Prometheus text exposition",
			"content": map[string]any{"text/plain": map[string]any{"schema": map[string]any{"type": "string"}}}}, "default": errResp},
	}}
}

// usageOp is the documented operation of one usage route, for the route
// table.
func usageOp(path string) func(g *schemaGen) map[string]any {
	return func(g *schemaGen) map[string]any {
		paths := map[string]any{}
		usagePaths(paths, g.okFunc(), g.errResp())
		return paths[path].(map[string]any)["get"].(map[string]any)
	}
}
