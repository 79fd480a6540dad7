package soak

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"time"
)

// maxExamples is how many outcomes of each bad kind the report quotes.
const maxExamples = 5

// evaluate classifies the kept outcomes against the kill windows, fills
// the buckets' counts and medians and the totals, and decides.
func (r *Result) evaluate(events []event) {
	bucketOf := func(t time.Time) *Bucket {
		i := int(t.Sub(r.Began) / r.Config.Bucket)
		return r.Buckets[max(0, min(i, len(r.Buckets)-1))]
	}
	example := func(kind string, e event) {
		if len(r.Examples[kind]) < maxExamples {
			r.Examples[kind] = append(r.Examples[kind], fmt.Sprintf("+%v %s: %s",
				e.At.Sub(r.Began).Round(time.Millisecond), e.API, e.Detail))
		}
	}
	for _, e := range events {
		b := bucketOf(e.At)
		switch e.Kind {
		case Failed:
			where := fmt.Sprintf("HTTP %d", e.Status)
			if e.Status == 200 {
				where = "stream"
			}
			b.ErrorsByKind[where+" "+e.Code]++
			if expectedCodes[e.Code] && (e.Status == 200 || e.Status == 503) && r.inKillWindow(e.At) {
				b.Expected++
			} else {
				b.Unexpected++
				example("unexpected error", e)
			}
		case Transport:
			b.ErrorsByKind["transport"]++
			b.Transport++
			b.Unexpected++
			example("transport failure", e)
		case SilentLoss:
			b.SilentLosses++
			example("silent loss", e)
		case Disorder:
			b.Disorders++
			example("disorder", e)
		}
	}
	t := &r.Totals
	t.ErrorsByKind, t.APIRequests = map[string]int{}, map[API]int{}
	for i, b := range r.Buckets {
		b.RSS, b.FDs, b.Goroutines = medians(b.Samples)
		t.Requests += b.Requests
		t.Completed += b.Completed
		t.Hangups += b.Hangups
		t.Expected += b.Expected
		t.Unexpected += b.Unexpected
		t.SilentLosses += b.SilentLosses
		t.Disorders += b.Disorders
		t.Transport += b.Transport
		t.ChunksGot += b.ChunksGot
		t.ChunksWant += b.ChunksWant
		t.HangupChunks += b.HangupChunks
		for k, v := range b.ErrorsByKind {
			t.ErrorsByKind[k] += v
		}
		for k, v := range b.APIRequests {
			t.APIRequests[k] += v
		}
		if b.Completed == 0 {
			r.fail("period %d (%s) completed no stream: the host stopped serving", i+1, span(b, r.Config.Bucket))
		}
	}
	if t.SilentLosses > 0 {
		r.fail("%d stream(s) ended without an error event but with chunks missing or no end marker (silent loss)", t.SilentLosses)
	}
	if t.Disorders > 0 {
		r.fail("%d stream(s) carried a repeated, reordered or unexpected chunk", t.Disorders)
	}
	if t.Unexpected > 0 {
		r.fail("%d unexpected error(s): outside a kill window, or with a code other than %s, or a broken connection",
			t.Unexpected, strings.Join(slices.Sorted(maps.Keys(expectedCodes)), "/"))
	}
	if t.ChunksGot != t.ChunksWant {
		r.fail("completed streams carried %d chunks, want %d", t.ChunksGot, t.ChunksWant)
	}
	for i, k := range r.Kills {
		if k.Err != "" {
			r.fail("kill %d: %s", i+1, k.Err)
		}
	}
	r.checkResources()
}

func (r *Result) fail(format string, args ...any) {
	r.Failures = append(r.Failures, fmt.Sprintf(format, args...))
}

// checkResources compares the last period with the first, and the idle
// host after the load with the idle host before it (see DefaultMargins).
func (r *Result) checkResources() {
	m := r.Config.Margins
	if m.Skip || len(r.Buckets) == 0 {
		return
	}
	first, last := r.Buckets[0], r.Buckets[len(r.Buckets)-1]
	if len(r.Buckets) < 2 {
		r.fail("resource check needs at least two periods (duration %v, period %v)", r.Config.Duration, r.Config.Bucket)
	} else if len(first.Samples) == 0 || len(last.Samples) == 0 {
		r.fail("resource check: no samples in the first or last period")
	} else {
		if lim := int64(float64(first.RSS)*(1+m.RSSPct/100)) + m.RSSBytes; last.RSS > lim {
			r.fail("host RSS grew from %s to %s (limit %s: +%g%% +%s)", mib(first.RSS), mib(last.RSS), mib(lim), m.RSSPct, mib(m.RSSBytes))
		}
		if lim := int(float64(first.FDs)*(1+m.FDPct/100)) + m.FDs; last.FDs > lim {
			r.fail("host open fds grew from %d to %d (limit %d: +%g%% +%d)", first.FDs, last.FDs, lim, m.FDPct, m.FDs)
		}
		if lim := int(float64(first.Goroutines)*(1+m.GorPct/100)) + m.Goroutines; last.Goroutines > lim {
			r.fail("host goroutines grew from %d to %d (limit %d: +%g%% +%d)", first.Goroutines, last.Goroutines, lim, m.GorPct, m.Goroutines)
		}
	}
	b, a := r.IdleBefore, r.IdleAfter
	if a.At.IsZero() {
		return // sampling failed; already a failure
	}
	if a.FDs > b.FDs+m.IdleFDs {
		r.fail("idle host fds %d after the load vs %d before (limit +%d): a leak", a.FDs, b.FDs, m.IdleFDs)
	}
	if a.Goroutines > b.Goroutines+m.IdleGoroutines {
		r.fail("idle host goroutines %d after the load vs %d before (limit +%d): a leak", a.Goroutines, b.Goroutines, m.IdleGoroutines)
	}
}

// medians of the samples' RSS, fds and goroutines: the median ignores a
// sample taken during a GC peak or a burst of reconnections.
func medians(ss []Resources) (int64, int, int) {
	if len(ss) == 0 {
		return 0, 0, 0
	}
	rss := make([]int64, len(ss))
	fds := make([]int, len(ss))
	gs := make([]int, len(ss))
	for i, s := range ss {
		rss[i], fds[i], gs[i] = s.RSS, s.FDs, s.Goroutines
	}
	slices.Sort(rss)
	slices.Sort(fds)
	slices.Sort(gs)
	mid := (len(ss) - 1) / 2
	return rss[mid], fds[mid], gs[mid]
}

func mib(b int64) string { return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20)) }

func fmtRes(s Resources) string {
	return fmt.Sprintf("RSS %s, %d fds, %d goroutines", mib(s.RSS), s.FDs, s.Goroutines)
}

func span(b *Bucket, d time.Duration) string {
	return fmtDur(b.Start) + "–" + fmtDur(b.Start+d)
}

// fmtDur prints whole minutes as "3m" and anything else as Go does.
func fmtDur(d time.Duration) string {
	if d%time.Minute == 0 {
		return fmt.Sprintf("%dm", int(d/time.Minute))
	}
	return d.String()
}

func kinds(m map[string]int) string {
	if len(m) == 0 {
		return "–"
	}
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(m)) {
		parts = append(parts, fmt.Sprintf("%s ×%d", k, m[k]))
	}
	return strings.Join(parts, ", ")
}

func killsCell(ks []Kill) string {
	if len(ks) == 0 {
		return "–"
	}
	var parts []string
	for _, k := range ks {
		if k.Err != "" {
			parts = append(parts, "FAILED")
		} else {
			parts = append(parts, "back in "+k.Restarted.Round(time.Millisecond).String())
		}
	}
	return strings.Join(parts, ", ")
}

// Passed reports whether the soak found nothing wrong.
func (r *Result) Passed() bool { return len(r.Failures) == 0 }

// WriteMarkdown writes the report.
func (r *Result) WriteMarkdown(w io.Writer) error {
	c := r.Config
	var b strings.Builder
	p := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	verdict := "PASS"
	if !r.Passed() {
		verdict = "FAIL"
	}
	p("# Soak: %s\n\n", verdict)
	p("%s, %v of load: %d streaming clients, %d chunks per stream %v apart, %.0f%% of streams hung up on at a random chunk, ",
		r.Began.Format("2006-01-02 15:04 MST"), c.Duration, c.Clients, c.Chunks, c.ChunkDelay, c.HangupShare*100)
	apis, ws := mixTable(c.Mix)
	var mix []string
	for i, a := range apis {
		mix = append(mix, fmt.Sprintf("%s %d", a, ws[i]))
	}
	p("surfaces weighted %s; ", strings.Join(mix, ", "))
	if c.KillEvery > 0 {
		p("the openai plugin SIGKILLed every %v (at mid-period). ", c.KillEvery)
	} else {
		p("no plugin kills. ")
	}
	p("Host pid %d; bench upstream (internal/bench/upstream) on loopback.\n\n", r.HostPID)

	p("| period | requests | completed | hang-ups | errors: expected | errors: unexpected | silent losses | disorder | chunks got / want (completed) | kill → restart | host RSS | host fds | host goroutines | errors by kind |\n")
	p("|---|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|---:|---|\n")
	for _, bk := range r.Buckets {
		p("| %s | %d | %d | %d | %d | %d | %d | %d | %d / %d | %s | %s | %d | %d | %s |\n",
			span(bk, c.Bucket), bk.Requests, bk.Completed, bk.Hangups, bk.Expected, bk.Unexpected, bk.SilentLosses, bk.Disorders,
			bk.ChunksGot, bk.ChunksWant, killsCell(bk.Kills), mib(bk.RSS), bk.FDs, bk.Goroutines, kinds(bk.ErrorsByKind))
	}
	t := r.Totals
	p("| **total** | %d | %d | %d | %d | %d | %d | %d | %d / %d | %d kills | | | | %s |\n\n",
		t.Requests, t.Completed, t.Hangups, t.Expected, t.Unexpected, t.SilentLosses, t.Disorders,
		t.ChunksGot, t.ChunksWant, len(r.Kills), kinds(t.ErrorsByKind))
	p("Host resources are the medians of the samples taken every %v in each period. ", c.SampleEvery)
	p("Idle host (no load, client connections closed): before %s; after %s.\n\n", fmtRes(r.IdleBefore), fmtRes(r.IdleAfter))
	p("Expected errors: %s (HTTP 503 or an error event in the stream) from a kill until %v after the plugin runs again. ",
		strings.Join(slices.Sorted(maps.Keys(expectedCodes)), ", "), c.KillGrace)
	if c.Margins.Skip {
		p("Resource checks skipped.\n\n")
	} else {
		m := c.Margins
		p("Resource margins: last period vs first RSS +%g%% +%s, fds +%g%% +%d, goroutines +%g%% +%d; idle after vs before fds +%d, goroutines +%d.\n\n",
			m.RSSPct, mib(m.RSSBytes), m.FDPct, m.FDs, m.GorPct, m.Goroutines, m.IdleFDs, m.IdleGoroutines)
	}
	if r.Passed() {
		p("No stream lost a chunk silently; every error was an expected one inside a kill window")
		if !c.Margins.Skip {
			p("; the host stayed within the resource margins")
		}
		p(".\n")
	} else {
		p("## Failures\n\n")
		for _, f := range r.Failures {
			p("- %s\n", f)
		}
		p("\n")
	}
	if len(r.GrownStacks) > 0 {
		p("\n## Host goroutines more numerous idle after the load than before\n\n")
		for _, g := range r.GrownStacks {
			p("```\n%s\n```\n\n", g)
		}
	}
	if len(r.Examples) > 0 {
		p("\n## Examples\n\n")
		for _, k := range slices.Sorted(maps.Keys(r.Examples)) {
			p("%s:\n\n", k)
			for _, e := range r.Examples[k] {
				p("- `%s`\n", strings.ReplaceAll(e, "`", "'"))
			}
			p("\n")
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}
