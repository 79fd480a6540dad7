package main

import (
	"strings"
	"testing"
	"time"

	"github.com/roundhouse-ai/roundhouse/internal/bench/load"
)

func TestParseGoBench(t *testing.T) {
	out := `goos: linux
BenchmarkDecodeNativeChat-2   	  182221	      6125 ns/op	    1913 B/op	      24 allocs/op
BenchmarkDecodeNativeChat-2   	  184210	      5562 ns/op	    1913 B/op	      24 allocs/op
BenchmarkNativeHandlerChatStream-2   	    5150	    260309 ns/op	     14462 ns/chunk	  120000 cpu-ns/op	   18258 B/op	     307 allocs/op
BenchmarkRouterResolve-2         	  151879	      8316 ns/op	         8.000 resolve-allocs/op	      1501 resolve-ns/op	    4448 B/op	      70 allocs/op
BenchmarkRouterResolve-2         	  146209	      8447 ns/op	         8.000 resolve-allocs/op	      -200 resolve-ns/op	    4448 B/op	      70 allocs/op
BenchmarkRouterResolve-2         	  154506	      7701 ns/op	         8.000 resolve-allocs/op	      1337 resolve-ns/op	    4448 B/op	      70 allocs/op
PASS`
	got := parseGoBench(out)
	if len(got) != 3 || got[0].Name != "BenchmarkDecodeNativeChat" || got[1].Name != "BenchmarkNativeHandlerChatStream" {
		t.Fatalf("parsed %+v", got)
	}
	if got[0].Metrics["ns/op"] != 5562 || got[0].Metrics["allocs/op"] != 24 {
		t.Fatalf("fastest run not kept: %+v", got[0].Metrics)
	}
	if got[1].Metrics["ns/chunk"] != 14462 || got[1].Metrics["cpu-ns/op"] != 120000 {
		t.Fatalf("custom metrics: %+v", got[1].Metrics)
	}
	// Differences take the median, not the (possibly negative) minimum.
	if got[2].Metrics["resolve-ns/op"] != 1337 || got[2].Metrics["ns/op"] != 7701 || got[2].Metrics["resolve-allocs/op"] != 8 {
		t.Fatalf("resolve metrics: %+v", got[2].Metrics)
	}
}

func TestFormatting(t *testing.T) {
	for in, want := range map[float64]string{0: "0", 999: "999", 1000: "1,000", 108544: "108,544", 2052496: "2,052,496"} {
		if got := thousands(in); got != want {
			t.Errorf("thousands(%v) = %q, want %q", in, got, want)
		}
	}
	for in, want := range map[time.Duration]string{
		1500 * time.Nanosecond: "1.5 µs", 845 * time.Microsecond: "845 µs", 3030 * time.Microsecond: "3.03 ms",
		-70 * time.Microsecond: "−70 µs", 2 * time.Second: "2.00 s",
	} {
		if got := fmtDur(in); got != want {
			t.Errorf("fmtDur(%v) = %q, want %q", in, got, want)
		}
	}
	if !busy("3.5 2.0 1.0", 2) || busy("0.2 0.1 0.1", 2) {
		t.Error("busy")
	}
	if got := shortSym("  1.00%  [.] a/b.call[go.shape.struct { X int }]"); got != "  1.00%  [.] a/b.call[…]" {
		t.Errorf("shortSym = %q", got)
	}
}

// A path that is n/a shows as n/a in the targets, never as pass.
func TestEvaluateNA(t *testing.T) {
	res := load.Result{}
	r := &report{
		Unary: []scenario{{Concurrency: 1, Paths: []path{{Name: pDirect, Res: &res}, {Name: pNative, NA: "n/a (plugin missing)"}, {Name: pCompat, NA: "n/a (route not served by this host yet)"}}}},
	}
	r.evaluate()
	found := 0
	for _, tg := range r.Targets {
		if strings.Contains(tg.Name, "added latency p50") {
			found++
			if tg.Status != na || !strings.HasPrefix(tg.Measured, "n/a") {
				t.Errorf("%s: %s %s", tg.Name, tg.Status, tg.Measured)
			}
		}
		if tg.Status == pass {
			t.Errorf("%s passed with nothing measured", tg.Name)
		}
	}
	if found != 2 {
		t.Fatalf("targets: %+v", r.Targets)
	}
}

// The hop targets are stated against the floor: the host passes at 90 %
// of floor+TLS throughput and misses below it.
func TestEvaluateAgainstFloor(t *testing.T) {
	res := func(rps float64, p50 time.Duration) *load.Result {
		return &load.Result{Requests: 100, RPS: rps, Latency: load.Dist{P50: p50, P99: 2 * p50}}
	}
	r := &report{Unary: []scenario{
		{Concurrency: 1, Paths: []path{{Name: pDirect, Res: res(8000, 100*time.Microsecond)}, {Name: pFloor, Res: res(1500, 600*time.Microsecond)},
			{Name: pFloorTLS, Res: res(1400, 620*time.Microsecond)}, {Name: pNative, Res: res(1400, 650*time.Microsecond)},
			{Name: pCompat, Res: res(1200, 800*time.Microsecond)}}},
		{Concurrency: unaryConcHigh, Paths: []path{{Name: pDirect, Res: res(30000, time.Millisecond)}, {Name: pFloor, Res: res(7500, time.Millisecond)},
			{Name: pFloorTLS, Res: res(7000, time.Millisecond)}, {Name: pNative, Res: res(6400, time.Millisecond)},
			{Name: pCompat, Res: res(6000, time.Millisecond)}}},
	}}
	r.evaluate()
	want := map[string]string{
		"Non-stream, c=1: added latency p50 over the floor (native)":                  pass,
		"Non-stream, c=1: added latency p50 over the floor (OpenAI-compatible route)": miss,
		"Non-stream throughput, c=32: host vs floor+TLS (native)":                     pass,
		"Non-stream throughput, c=32: host vs floor+TLS (OpenAI-compatible route)":    miss,
		"Stream throughput, 64 streams: host vs floor (chunks/s) (native)":            na,
	}
	for _, tg := range r.Targets {
		if st, ok := want[tg.Name]; ok {
			if tg.Status != st {
				t.Errorf("%s: %s (%s), want %s", tg.Name, tg.Status, tg.Measured, st)
			}
			delete(want, tg.Name)
		}
	}
	if len(want) > 0 {
		t.Errorf("targets missing: %v", want)
	}
}
