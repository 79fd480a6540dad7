package gctune

import (
	"math"
	"runtime/debug"
	"testing"
)

// restore puts the runtime's settings back after a test.
func restore(t *testing.T) {
	pct := debug.SetGCPercent(-1)
	debug.SetGCPercent(pct)
	lim := debug.SetMemoryLimit(-1)
	t.Cleanup(func() { debug.SetGCPercent(pct); debug.SetMemoryLimit(lim) })
}

func TestApplySetsDefaultsWhenUnset(t *testing.T) {
	restore(t)
	unset(t, "GOGC")
	unset(t, "GOMEMLIMIT")
	pct, lim := Apply(512 << 20)
	if pct != Percent || lim != 512<<20 {
		t.Errorf("Apply = %d, %d; want %d, %d", pct, lim, Percent, 512<<20)
	}
}

func TestApplyHonoursTheEnvironment(t *testing.T) {
	restore(t)
	debug.SetGCPercent(150)
	debug.SetMemoryLimit(math.MaxInt64)
	t.Setenv("GOGC", "150")
	t.Setenv("GOMEMLIMIT", "off")
	pct, lim := Apply(512 << 20)
	if pct != 150 || lim != math.MaxInt64 {
		t.Errorf("Apply = %d, %d; the user's GOGC and GOMEMLIMIT must stay", pct, lim)
	}
}

func TestHostLimit(t *testing.T) {
	if got := HostLimit(0); got != 1<<30 {
		t.Errorf("HostLimit(default) = %d, want 1 GiB", got)
	}
	if got := HostLimit(512 << 20); got != 256<<20+3*(512<<20) {
		t.Errorf("HostLimit(512 MiB) = %d", got)
	}
}
