// Package gctune sets the Go garbage collector's defaults for the host and
// for plugins built with the sdk (sdk.Serve calls it).
//
// Both processes keep small live heaps (a few MB) and allocate per request,
// so with Go's default GOGC=100 the collector runs very often: in-process,
// a unary chat through the OpenAI-compatible route cost 14 µs of GC CPU per
// request at GOGC=100, 5.9 µs at 200 and 2.0 µs at 400 (GODEBUG=gctrace=1,
// internal/bench notes-host.md), for a heap goal of 6, 9 and 16 MB. So the
// default is GOGC=400, with a soft memory limit (debug.SetMemoryLimit) so
// that large request bodies cannot grow the heap 5× their size: near the
// limit the collector runs as often as it must, whatever GOGC says.
//
// A user's own GOGC or GOMEMLIMIT (environment) always wins: each default
// applies only when its variable is unset.
package gctune

import (
	"os"
	"runtime/debug"
)

// Percent is GOGC unless the environment sets it.
const Percent = 400

// PluginLimit is a plugin's soft memory limit unless GOMEMLIMIT is set.
const PluginLimit = 1 << 30

// HostLimit is the host's soft memory limit for a given
// limits.max_inflight_body_bytes: what the admitted bodies may hold (each
// read into a buffer, then decoded into strings: about 3× their size) plus
// 256 MiB for the rest. With the default 256 MiB in flight it is 1 GiB.
func HostLimit(maxInflightBody int64) int64 {
	if maxInflightBody <= 0 {
		maxInflightBody = 256 << 20
	}
	return 256<<20 + 3*maxInflightBody
}

// Apply sets GOGC to Percent and the soft memory limit to limit (≤ 0: no
// limit), each only when its environment variable (GOGC, GOMEMLIMIT) is
// unset; the runtime has applied a set one already. It returns the values
// in force, for the log.
func Apply(limit int64) (gcPercent int, memoryLimit int64) {
	if _, set := os.LookupEnv("GOGC"); !set {
		debug.SetGCPercent(Percent)
	}
	if _, set := os.LookupEnv("GOMEMLIMIT"); !set && limit > 0 {
		debug.SetMemoryLimit(limit)
	}
	gcPercent = debug.SetGCPercent(-1)
	debug.SetGCPercent(gcPercent)
	return gcPercent, debug.SetMemoryLimit(-1)
}
