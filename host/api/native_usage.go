package api

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/roundhouse-ai/roundhouse/client"
	"github.com/roundhouse-ai/roundhouse/host/httpx"
	"github.com/roundhouse-ai/roundhouse/host/meter"
	"github.com/roundhouse-ai/roundhouse/host/usage"
	"github.com/roundhouse-ai/roundhouse/sdk"
)

// Option tunes New.
type Option func(*Server)

// WithMeter serves the usage, budget and metrics routes from m.
func WithMeter(m *meter.Meter) Option { return func(s *Server) { s.meter = m } }

// usageQueryTimeout bounds one usage query: the store is local, a query
// that takes longer than this is a runaway range.
const usageQueryTimeout = 30 * time.Second

// usageStore is the store, or an error answer when recording is off.
func (s *Server) usageStore(w http.ResponseWriter, r *http.Request) *usage.Store {
	if s.meter == nil || s.meter.Store == nil {
		writeError(w, r, s.log, sdk.Errorf(sdk.CodeFailedPrecondition, "%s", meter.ErrNoStore.Error()))
		return nil
	}
	return s.meter.Store
}

// parseSpan reads from and to: RFC 3339 times or YYYY-MM-DD dates (UTC
// midnight). from defaults to 30 days ago; to to now.
func parseSpan(r *http.Request) (from, to time.Time, err error) {
	now := time.Now()
	from, to = now.AddDate(0, 0, -30), now.Add(time.Second)
	for _, f := range []struct {
		name string
		dst  *time.Time
	}{{"from", &from}, {"to", &to}} {
		v := r.URL.Query().Get(f.name)
		if v == "" {
			continue
		}
		t, perr := time.Parse(time.RFC3339, v)
		if perr != nil {
			t, perr = time.Parse(time.DateOnly, v)
		}
		if perr != nil {
			return from, to, sdk.FieldError(f.name, "%q must be an RFC 3339 time (2026-11-30T10:00:00Z) or a date (2026-11-30)", v)
		}
		*f.dst = t
	}
	if !to.After(from) {
		return from, to, sdk.FieldError("to", "must be after from")
	}
	return from, to, nil
}

// usageQuery opens a usage query of r: the store, the span asked for and
// a bounded context in which the records still queued have been written
// (so a client sees its own calls). ok is false when an error was
// answered.
func (s *Server) usageQuery(w http.ResponseWriter, r *http.Request) (st *usage.Store, from, to time.Time, ctx context.Context, cancel context.CancelFunc, ok bool) {
	if st = s.usageStore(w, r); st == nil {
		return nil, from, to, nil, nil, false
	}
	from, to, err := parseSpan(r)
	if err != nil {
		writeError(w, r, s.log, err)
		return nil, from, to, nil, nil, false
	}
	ctx, cancel = context.WithTimeout(r.Context(), usageQueryTimeout)
	_ = st.Flush(ctx)
	return st, from, to, ctx, cancel, true
}

func (s *Server) usageSummary(w http.ResponseWriter, r *http.Request) {
	st, from, to, ctx, cancel, ok := s.usageQuery(w, r)
	if !ok {
		return
	}
	defer cancel()
	groupBy := r.URL.Query().Get("group_by")
	if groupBy == "" {
		groupBy = usage.ByModel
	}
	if !usage.ValidGroupBy(groupBy) {
		writeError(w, r, s.log, sdk.FieldError("group_by", "%q must be model, plugin, provider, app or day", groupBy))
		return
	}
	groups, err := st.Aggregate(ctx, from, to, groupBy)
	if err != nil {
		writeError(w, r, s.log, sdk.WrapError(sdk.CodeInternal, err, "usage query"))
		return
	}
	out := client.UsageReport{From: from.UTC(), To: to.UTC(), GroupBy: groupBy, Groups: make([]client.UsageGroup, 0, len(groups))}
	for _, g := range groups {
		cg := client.UsageGroup(g)
		out.Groups = append(out.Groups, cg)
		out.Total.Requests += g.Requests
		out.Total.Errors += g.Errors
		out.Total.CacheHits += g.CacheHits
		out.Total.InputTokens += g.InputTokens
		out.Total.OutputTokens += g.OutputTokens
		out.Total.EstimatedRequests += g.EstimatedRequests
		out.Total.UnpricedRequests += g.UnpricedRequests
		if g.Cost != nil {
			c := *g.Cost
			if out.Total.Cost != nil {
				c += *out.Total.Cost
			}
			out.Total.Cost = &c
		}
	}
	out.Total.Key = "total"
	httpx.WriteJSON(w, http.StatusOK, out)
}

func (s *Server) usageRecords(w http.ResponseWriter, r *http.Request) {
	st, from, to, ctx, cancel, ok := s.usageQuery(w, r)
	if !ok {
		return
	}
	defer cancel()
	q := r.URL.Query()
	if q.Get("format") == "csv" || (q.Get("format") == "" && strings.Contains(r.Header.Get("Accept"), "text/csv")) {
		w.Header().Set("Content-Type", "text/csv; charset=utf-8")
		w.Header().Set("Content-Disposition", `attachment; filename="roundhouse-usage.csv"`)
		if err := st.WriteCSV(ctx, w, from, to); err != nil {
			// Headers are out: the cut-off CSV is the best we can say.
			s.log.Warn("usage CSV export cut off", "error", err)
		}
		return
	}
	if f := q.Get("format"); f != "" && f != "json" {
		writeError(w, r, s.log, sdk.FieldError("format", "%q must be json or csv", f))
		return
	}
	limit := 100
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 1000 {
			writeError(w, r, s.log, sdk.FieldError("limit", "%q must be a number from 1 to 1000", v))
			return
		}
		limit = n
	}
	page, err := st.Records(ctx, from, to, limit, q.Get("cursor"))
	if err != nil {
		if q.Get("cursor") != "" && strings.HasPrefix(err.Error(), "cursor") {
			writeError(w, r, s.log, sdk.FieldError("cursor", "%s", err.Error()))
			return
		}
		writeError(w, r, s.log, sdk.WrapError(sdk.CodeInternal, err, "usage query"))
		return
	}
	out := client.UsageRecordPage{Records: make([]client.UsageRecord, 0, len(page.Records)), NextCursor: page.NextCursor}
	for _, rec := range page.Records {
		out.Records = append(out.Records, client.UsageRecord(rec))
	}
	httpx.WriteJSON(w, http.StatusOK, out)
}

func (s *Server) budgets(w http.ResponseWriter, r *http.Request) {
	out := client.BudgetList{Budgets: []client.BudgetStatus{}}
	if s.meter != nil {
		for _, b := range s.meter.Budgets.Statuses() {
			out.Budgets = append(out.Budgets, client.BudgetStatus(b))
		}
	}
	httpx.WriteJSON(w, http.StatusOK, out)
}

// metrics serves Prometheus metrics (admin scope: they name plugins,
// providers and apps). metrics.listen serves them on a listener of their
// own instead.
func (s *Server) metrics(w http.ResponseWriter, r *http.Request) {
	if s.meter == nil {
		writeError(w, r, s.log, sdk.Errorf(sdk.CodeFailedPrecondition, "metrics are not enabled in this host"))
		return
	}
	s.meter.Metrics.Handler().ServeHTTP(w, r)
}
