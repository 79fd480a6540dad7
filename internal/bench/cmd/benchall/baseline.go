package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/roundhouse-ai/roundhouse/internal/bench/harness"
	"github.com/roundhouse-ai/roundhouse/internal/bench/load"
)

// pBaseline is the OpenAI-compatible route through a second host built
// from another commit (-baseline), measured in the same rounds as the
// others: before/after figures for a change that no background load can
// skew, since both suffer it alike.
const pBaseline = "baseline host /v1/chat/completions"

// baseline is the second host, when -baseline names a build of it.
type baseline struct {
	h       *harness.Host
	na      string
	version string // its roundhouse version (commit)
}

// startBaseline starts <dir>/roundhouse with <dir>/plugins, configured as
// the main host is.
func (e *env) startBaseline(ctx context.Context) *baseline {
	b := &baseline{na: "n/a (no -baseline)"}
	if e.o.baseline == "" {
		return b
	}
	d, err := e.hostDir("baseline")
	if err != nil {
		b.na = "n/a (" + err.Error() + ")"
		return b
	}
	opts := e.hostOpts
	opts.Dir = d
	opts.Bin = filepath.Join(e.o.baseline, "roundhouse")
	opts.PluginDirs = []string{filepath.Join(e.o.baseline, "plugins")}
	if _, err := os.Stat(opts.Bin); err != nil {
		b.na = fmt.Sprintf("n/a (baseline %s missing)", opts.Bin)
		return b
	}
	h, err := harness.StartHost(opts)
	if err != nil {
		b.na = "n/a (baseline host: " + err.Error() + ")"
		return b
	}
	wctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	ps, _, err := h.WaitPlugins(wctx, 5*time.Millisecond, harness.AllRunning)
	cancel()
	if err != nil {
		h.Stop()
		b.na = "n/a (baseline host: " + err.Error() + ")"
		return b
	}
	b.h, b.na = h, ""
	if v, err := h.Version(ctx); err == nil {
		b.version = v.Version
		e.rep.BaselineVersion = v.Version
	}
	logf("baseline host on %s: %s", h.Addr, harness.Describe(ps))
	return b
}

func (b *baseline) stop() {
	if b.h != nil {
		b.h.Stop()
	}
}

// procs are the baseline host and its openai plugin.
func (b *baseline) procs(ctx context.Context) []proc {
	if b.h == nil {
		return nil
	}
	out := []proc{{"baseline host", b.h.Pid()}}
	if ps, err := b.h.Plugins(ctx); err == nil {
		if p, ok := harness.Find(ps, "openai"); ok && p.PID != 0 {
			out = append(out, proc{"baseline plugin", p.PID})
		}
	}
	return out
}

// op is the baseline path, or an unnamed op that measure leaves out when
// there is no baseline.
func (b *baseline) op(o load.Op) namedOp {
	if b.h == nil {
		return namedOp{}
	}
	return namedOp{name: pBaseline, op: o}
}

func (b *baseline) url() string {
	if b.h == nil {
		return ""
	}
	return b.h.URL
}
