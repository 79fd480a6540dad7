package usage

import (
	"context"
	"slices"
	"sync"
	"time"

	"github.com/roundhouse-ai/roundhouse/host/route"
	"github.com/roundhouse-ai/roundhouse/types"
)

// Coster prices tokens on a target; nil means unknown (pricing.Table).
type Coster interface {
	Cost(t route.Target, in, out int) *float64
}

// Sink takes finished records (the Store; a fake in tests).
type Sink interface{ Add(Record) }

// Recorder is the chain step that records one Record per attempt.
type Recorder struct {
	sink   Sink
	prices Coster
	now    func() time.Time
	// OnRecord, when set, sees each record as it is queued (the metrics
	// cost counter).
	OnRecord func(Record)
}

// NewRecorder records into sink, pricing with prices (nil: every cost
// unknown).
func NewRecorder(sink Sink, prices Coster) *Recorder {
	return &Recorder{sink: sink, prices: prices, now: time.Now}
}

// Step is the route.Middleware. It must run outside the cache step (so a
// hit is recorded, at cost 0) and inside the budget and metrics steps,
// which read the usage it settles on the Call.
func (rec *Recorder) Step() route.Middleware {
	return func(next route.Handler) route.Handler {
		return func(ctx context.Context, c *route.Call, t route.Target) error {
			if !IsService(c.Service) {
				return next(ctx, c, t) // model management: no tokens, no cost
			}
			begin := rec.now()
			// Usage is per attempt: a failed earlier attempt's report
			// must not be counted again.
			c.Usage, c.UsageEstimated = nil, false
			m := Watch(c)
			err := next(ctx, c, t)
			m.Settle(c, err)
			end := rec.now()
			r := Record{
				Time: begin, RequestID: c.RequestID, App: c.Caller.App, Service: c.Service,
				Model: t.Model, Plugin: t.Plugin, Provider: t.Provider,
				LatencyMS: ms(end.Sub(begin)), CacheHit: c.CacheHit, Estimated: c.UsageEstimated,
			}
			if r.Model == "" {
				r.Model = c.Model
			}
			if c.Model != "" && c.Model != r.Model {
				r.Requested = c.Model
			}
			if first := m.First(); !first.IsZero() {
				r.TTFTMS = ms(first.Sub(begin))
			} else if err == nil {
				r.TTFTMS = r.LatencyMS
			}
			code := types.ErrorCode(err)
			r.Code, r.Status = code.String(), code.HTTPStatus()
			if c.Usage != nil {
				r.InputTokens, r.OutputTokens = c.Usage.PromptTokens, c.Usage.CompletionTokens
			}
			switch {
			case c.CacheHit:
				zero := 0.0
				r.Cost = &zero // a hit reaches no model: it costs nothing
			case rec.prices != nil:
				r.Cost = rec.prices.Cost(t, r.InputTokens, r.OutputTokens)
			}
			rec.sink.Add(r)
			if rec.OnRecord != nil {
				rec.OnRecord(r)
			}
			return err
		}
	}
}

// Refused records an attempt refused before it reached the model (a
// budget): no tokens, cost 0, the refusal's code and status, so usage
// shows who was turned away and when.
func (rec *Recorder) Refused(c *route.Call, t route.Target, err error) {
	code := types.ErrorCode(err)
	zero := 0.0
	r := Record{
		Time: rec.now(), RequestID: c.RequestID, App: c.Caller.App, Service: c.Service,
		Model: t.Model, Plugin: t.Plugin, Provider: t.Provider,
		Code: code.String(), Status: code.HTTPStatus(), Cost: &zero,
	}
	if r.Model == "" {
		r.Model = c.Model
	}
	if c.Model != "" && c.Model != r.Model {
		r.Requested = c.Model
	}
	rec.sink.Add(r)
	if rec.OnRecord != nil {
		rec.OnRecord(r)
	}
}

// IsService reports whether name is a service (chat, embed…) rather
// than a model-management operation, which the dispatch chain also runs.
func IsService(name string) bool { return slices.Contains(types.ServiceNames, name) }

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// Meter watches one attempt's stream: the first chunk's time, the usage
// a chunk reports and the text, to estimate from when none is reported.
type Meter struct {
	mu    sync.Mutex
	send  func(any) error
	first time.Time
	usage *types.Usage
	text  []string
}

// Watch wraps c.Send for one attempt; Settle unwraps it.
func Watch(c *route.Call) *Meter {
	m := &Meter{send: c.Send}
	if c.Send != nil {
		orig := c.Send
		c.Send = func(chunk any) error {
			m.observe(chunk)
			return orig(chunk)
		}
	}
	return m
}

func (m *Meter) observe(chunk any) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.first.IsZero() {
		m.first = time.Now()
	}
	switch ch := chunk.(type) {
	case *types.ChatChunk:
		if ch.Usage != nil {
			m.usage = ch.Usage
		}
		m.text = append(m.text, ch.Content, ch.Thinking)
		for _, tc := range ch.ToolCalls {
			m.text = append(m.text, tc.Name, tc.Arguments)
		}
	case *types.GenerateChunk:
		if ch.Usage != nil {
			m.usage = ch.Usage
		}
		m.text = append(m.text, ch.Text, ch.Thinking)
	}
}

// First is when the first chunk went out (zero for unary calls).
func (m *Meter) First() time.Time {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.first
}

// Settle restores c.Send and settles c.Usage: the plugin's report when
// there is one (in the answer or the last chunk), else an estimate from
// the request and what was produced, marked UsageEstimated. A failed
// attempt that produced nothing counts no tokens.
func (m *Meter) Settle(c *route.Call, err error) {
	c.Send = m.send
	if c.Usage != nil {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if u := ReportedUsage(c.Resp); u != nil {
		c.Usage, c.UsageEstimated = u, false
		return
	}
	if m.usage != nil {
		c.Usage, c.UsageEstimated = m.usage, false
		return
	}
	if err != nil && m.first.IsZero() {
		return
	}
	in, _ := types.EstimateRequest(c.Req, 0)
	out := types.EstimateResponse(c.Resp)
	for _, s := range m.text {
		out += types.EstimateTokens(s)
	}
	if in == 0 && out == 0 {
		return // a service without text (images, audio): nothing to count
	}
	c.Usage = &types.Usage{PromptTokens: in, CompletionTokens: out, TotalTokens: in + out}
	c.UsageEstimated = true
}

// ReportedUsage is the usage carried by a unary answer, if any.
func ReportedUsage(resp any) *types.Usage {
	var u *types.Usage
	switch r := resp.(type) {
	case *types.ChatResponse:
		u = r.Usage
	case *types.GenerateResponse:
		u = r.Usage
	case *types.EmbedResponse:
		u = r.Usage
	case *types.RerankResponse:
		u = r.Usage
	}
	if u != nil && u.PromptTokens == 0 && u.CompletionTokens == 0 && u.TotalTokens == 0 {
		return nil // an empty report is no report
	}
	return u
}
