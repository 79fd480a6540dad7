package main

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/roundhouse-ai/roundhouse/client"
)

// progressBar draws pull progress: a redrawn bar with bytes, rate and ETA
// on a terminal, plain lines (one per status change or 10% step) otherwise.
type progressBar struct {
	w        io.Writer
	tty      bool
	status   string
	start    time.Time
	lastDraw time.Time
	lastPct  int
	drawn    bool
	now      func() time.Time
	// verb names the operation in the "started" line ("pulling" unless
	// set).
	verb string
}

func newProgressBar(w io.Writer, tty bool) *progressBar {
	return &progressBar{w: w, tty: tty, now: time.Now, lastPct: -1}
}

func (b *progressBar) update(ev client.ProgressEvent) {
	now := b.now()
	if ev.Message != "" {
		if b.drawn && b.tty {
			fmt.Fprintln(b.w)
			b.drawn = false
		}
		fmt.Fprintln(b.w, "note:", ev.Message)
	}
	if ev.Status != b.status {
		if b.drawn && b.tty {
			fmt.Fprintln(b.w)
		}
		b.status, b.start, b.lastPct, b.drawn = ev.Status, now, -1, false
		if ev.Total == 0 {
			label := ev.Status
			if ev.Status == "started" {
				label = fmt.Sprintf("pulling %s (pull id %s)", ev.Model, ev.ID)
				if b.verb != "" {
					label = fmt.Sprintf("%s %s (id %s, listed in GET /v1/pulls)", b.verb, ev.Model, ev.ID)
				}
			}
			fmt.Fprintln(b.w, label)
			return
		}
	}
	if ev.Total <= 0 {
		return
	}
	pct := int(ev.Completed * 100 / ev.Total)
	line := b.line(ev, now)
	if b.tty {
		if now.Sub(b.lastDraw) < 100*time.Millisecond && ev.Completed < ev.Total {
			return
		}
		fmt.Fprintf(b.w, "\r%s", line)
		b.lastDraw, b.drawn = now, true
		return
	}
	if pct/10 != b.lastPct/10 || ev.Completed == ev.Total {
		if pct != b.lastPct {
			fmt.Fprintln(b.w, line)
		}
		b.lastPct = pct
	}
}

func (b *progressBar) line(ev client.ProgressEvent, now time.Time) string {
	pct := float64(ev.Completed) / float64(ev.Total)
	const width = 25
	filled := int(pct * width)
	bar := strings.Repeat("█", filled) + strings.Repeat("░", width-filled)
	elapsed := now.Sub(b.start).Seconds()
	rate, eta := 0.0, "--"
	if elapsed > 0 && ev.Completed > 0 {
		rate = float64(ev.Completed) / elapsed
		if rate > 0 {
			eta = (time.Duration(float64(ev.Total-ev.Completed)/rate) * time.Second).Round(time.Second).String()
		}
	}
	return fmt.Sprintf("%s %3.0f%% %s %s/%s %s/s ETA %s", short(ev.Status), pct*100, bar,
		humanBytes(ev.Completed), humanBytes(ev.Total), humanBytes(int64(rate)), eta)
}

func (b *progressBar) finish(err error) {
	if b.drawn && b.tty {
		fmt.Fprintln(b.w)
	}
	if err == nil && b.status != "success" {
		fmt.Fprintln(b.w, "success")
	}
}

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
