package main

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/vbauerster/mpb/v8"
	"github.com/vbauerster/mpb/v8/decor"

	"github.com/roundhouse-ai/roundhouse/client"
)

// progress shows the events of a pull, push, create, upload or engine
// install: on a terminal one bar per layer, redrawn in place by mpb (each
// redraw clears the lines it rewrites, so a shorter line leaves nothing
// behind); elsewhere plain lines.
type progress interface {
	update(ev client.ProgressEvent)
	// finish ends the display and says "success" unless the stream did.
	finish(err error)
	// close ends the display and says nothing more.
	close()
}

// newProgress picks bars on a terminal, lines otherwise. verb names the
// operation in the "started" line ("pulling" when empty).
func newProgress(w io.Writer, tty bool, verb string) progress {
	if tty {
		return newBarProgress(w, verb)
	}
	return newPlainProgress(w, verb)
}

// startedLabel is the line for a stream's first event.
func startedLabel(verb string, ev client.ProgressEvent) string {
	if verb == "" {
		return fmt.Sprintf("pulling %s (pull id %s)", ev.Model, ev.ID)
	}
	return fmt.Sprintf("%s %s (id %s, listed in GET /v1/pulls)", verb, ev.Model, ev.ID)
}

// rateETA is "<rate>/s ETA <eta>" for done of total bytes since start.
func rateETA(done, total int64, elapsed time.Duration) string {
	rate, eta := 0.0, "--"
	if s := elapsed.Seconds(); s > 0 && done > 0 {
		rate = float64(done) / s
		eta = (time.Duration(float64(total-done)/rate) * time.Second).Round(time.Second).String()
	}
	return fmt.Sprintf("%s/s ETA %s", humanBytes(int64(rate)), eta)
}

// plainProgress prints a line when a phase starts and, per layer, at each
// 10% step: readable in logs and CI, no carriage returns.
type plainProgress struct {
	w      io.Writer
	verb   string
	now    func() time.Time
	status string
	layers map[string]*plainLayer
}

type plainLayer struct {
	start   time.Time
	lastPct int
	// base is what was done before this run (a resumed upload): the
	// rate counts only what moved since.
	base int64
}

func newPlainProgress(w io.Writer, verb string) *plainProgress {
	return &plainProgress{w: w, verb: verb, now: time.Now, layers: map[string]*plainLayer{}}
}

func (p *plainProgress) update(ev client.ProgressEvent) {
	if ev.Message != "" {
		fmt.Fprintln(p.w, "note:", ev.Message)
	}
	if ev.Total <= 0 {
		if ev.Status != p.status && ev.Status != "" {
			p.status = ev.Status
			label := ev.Status
			if ev.Status == "started" {
				label = startedLabel(p.verb, ev)
			}
			fmt.Fprintln(p.w, label)
		}
		return
	}
	p.status = ev.Status
	l := p.layers[ev.Status]
	if l == nil {
		l = &plainLayer{start: p.now(), lastPct: -10, base: ev.Completed} // -10: the first event always prints
		p.layers[ev.Status] = l
	}
	pct := int(ev.Completed * 100 / ev.Total)
	if pct/10 == l.lastPct/10 && (ev.Completed != ev.Total || pct == l.lastPct) {
		return
	}
	l.lastPct = pct
	const width = 25
	filled := min(width, int(ev.Completed*width/ev.Total))
	bar := strings.Repeat("█", filled) + strings.Repeat("░", width-filled)
	fmt.Fprintf(p.w, "%s %3d%% %s %s/%s %s\n", short(ev.Status), pct, bar, humanBytes(ev.Completed), humanBytes(ev.Total),
		rateETA(ev.Completed-l.base, ev.Total-l.base, p.now().Sub(l.start)))
}

func (p *plainProgress) finish(err error) {
	if err == nil && p.status != "success" {
		fmt.Fprintln(p.w, "success")
	}
}

func (p *plainProgress) close() {}

// barProgress draws one mpb bar per layer (keyed by digest, else status).
// Phases without a size print as lines: above the bars while some still
// move; once all are finished, the bars are drawn a last time and the line
// goes below them (mpb would not redraw again to show it).
type barProgress struct {
	w      io.Writer
	verb   string
	status string
	// p draws the current set of bars; nil when none is shown.
	p     *mpb.Progress
	bars  map[string]*layerBar
	order []*layerBar
}

type layerBar struct {
	bar   *mpb.Bar
	total int64
	start time.Time
	base  int64 // done before this run (a resumed upload)
}

func newBarProgress(w io.Writer, verb string) *barProgress {
	return &barProgress{w: w, verb: verb, bars: map[string]*layerBar{}}
}

func (b *barProgress) line(s string) {
	if b.p != nil && b.moving() {
		_, _ = fmt.Fprintln(b.p, s)
		return
	}
	b.end(nil)
	fmt.Fprintln(b.w, s)
}

// moving says whether a bar is neither finished nor stopped.
func (b *barProgress) moving() bool {
	for _, lb := range b.order {
		if !lb.bar.Completed() && !lb.bar.Aborted() {
			return true
		}
	}
	return false
}

func (b *barProgress) update(ev client.ProgressEvent) {
	if ev.Message != "" {
		b.line("note: " + ev.Message)
	}
	if ev.Total <= 0 {
		if ev.Status != b.status && ev.Status != "" {
			b.status = ev.Status
			label := ev.Status
			if ev.Status == "started" {
				label = startedLabel(b.verb, ev)
			}
			b.line(label)
		}
		return
	}
	b.status = ev.Status
	key := ev.Digest
	if key == "" {
		key = ev.Status
	}
	if b.p == nil {
		b.p = mpb.New(mpb.WithOutput(b.w), mpb.WithWidth(30), mpb.WithRefreshRate(100*time.Millisecond))
	}
	lb := b.bars[key]
	if lb == nil {
		lb = &layerBar{total: ev.Total, start: time.Now(), base: ev.Completed}
		lb.bar = b.p.AddBar(ev.Total,
			mpb.PrependDecorators(
				decor.Name(short(ev.Status), decor.WCSyncSpaceR),
				decor.Percentage(decor.WCSyncSpace),
			),
			mpb.AppendDecorators(decor.Any(lb.decor, decor.WCSyncSpaceR)),
		)
		b.bars[key] = lb
		b.order = append(b.order, lb)
	}
	if ev.Total != lb.total {
		lb.total = ev.Total
		lb.bar.SetTotal(ev.Total, false)
	}
	lb.bar.SetCurrent(min(ev.Completed, ev.Total))
}

// decor is the text after a bar: bytes, rate and ETA, or how long it took.
func (lb *layerBar) decor(s decor.Statistics) string {
	done := fmt.Sprintf("%s/%s", humanBytes(s.Current), humanBytes(s.Total))
	el := time.Since(lb.start)
	switch {
	case s.Completed:
		return done + " done in " + el.Round(time.Second).String()
	case s.Aborted:
		return done + " stopped"
	}
	return done + " " + rateETA(s.Current-lb.base, s.Total-lb.base, el)
}

// end completes the bars (err == nil) or stops them where they are, and
// waits for their last redraw.
func (b *barProgress) end(err error) {
	if b.p == nil {
		return
	}
	for _, lb := range b.order {
		if lb.bar.Completed() || lb.bar.Aborted() {
			continue
		}
		if err == nil {
			lb.bar.SetTotal(-1, true)
		} else {
			lb.bar.Abort(false)
		}
	}
	b.p.Wait()
	b.p, b.bars, b.order = nil, map[string]*layerBar{}, nil
}

func (b *barProgress) finish(err error) {
	b.end(err)
	if err == nil && b.status != "success" {
		fmt.Fprintln(b.w, "success")
	}
}

func (b *barProgress) close() { b.end(nil) }

func short(s string) string {
	if len(s) > 30 {
		return s[:30]
	}
	return s
}

func humanBytes(n int64) string {
	const unit = 1000
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %cB", float64(n)/float64(div), "kMGTPE"[exp])
}
