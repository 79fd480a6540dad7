package main

import (
	_ "embed"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/roundhouse-ai/roundhouse/client"
	"github.com/roundhouse-ai/roundhouse/internal/bench/harness"
	"github.com/roundhouse-ai/roundhouse/internal/bench/load"
)

type machineInfo struct {
	CPU, Kernel, Go, Commit string
	Cores                   int
	MemTotal                string
}

func machine() machineInfo {
	m := machineInfo{Cores: runtime.NumCPU(), Go: runtime.Version(), CPU: "unknown"}
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(l, ":"); ok && strings.TrimSpace(k) == "model name" {
				m.CPU = strings.TrimSpace(v)
				break
			}
		}
	}
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		m.Kernel = "Linux " + strings.TrimSpace(string(b))
	}
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		l, _, _ := strings.Cut(string(b), "\n")
		m.MemTotal = strings.Join(strings.Fields(l)[1:], " ")
	}
	if out, err := exec.Command("git", "describe", "--tags", "--always", "--dirty").Output(); err == nil {
		m.Commit = strings.TrimSpace(string(out))
	}
	return m
}

func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "?"
	}
	return strings.Join(f[:3], " ")
}

type memRow struct {
	Name, Plugin string
	Pid          int
	Idle         harness.Mem
	PeakUnary    int64
	PeakStream   int64
}

type restartRow struct {
	Plugin         string
	OldPid, NewPid int
	Took           time.Duration
	Err            string
}

type target struct {
	Name, Goal, Measured, Status string
	Key                          string // profile key for misses
}

type report struct {
	Opts              options
	Started, Finished time.Time
	Machine           machineInfo
	HostVersion       client.VersionResponse
	LoadStart         string
	LoadEnd           string

	Cold        []time.Duration
	ColdPlugins []string
	Mem         []memRow
	Unary       []scenario
	Stream      []scenario
	Restarts    []restartRow
	Ollama      *scenario
	OllamaNA    string
	OllamaInfo  string

	GoBench    []goBenchResult
	GoBenchCmd string
	GoBenchErr string
	// host/route's BenchmarkDispatchDecision (one row per strategy).
	GoBenchRoute    []goBenchResult
	GoBenchRouteCmd string
	// The decode/resolve benchmarks again with GOEXPERIMENT=jsonv2.
	GoBenchV2    []goBenchResult
	GoBenchV2Cmd string

	PprofHook   bool
	Profiles    []profile
	ProfileNote string

	Targets []target

	BaselineVersion string // -baseline's roundhouse version
}

const (
	pass = "pass"
	miss = "**MISS**"
	na   = "n/a"
)

func status(ok bool) string {
	if ok {
		return pass
	}
	return miss
}

func mb(b int64) string { return fmt.Sprintf("%.1f MB", float64(b)/(1<<20)) }

func fmtDur(d time.Duration) string {
	switch {
	case d < 0:
		return "−" + fmtDur(-d)
	case d < 10*time.Microsecond:
		return fmt.Sprintf("%.1f µs", float64(d)/float64(time.Microsecond))
	case d < time.Millisecond:
		return fmt.Sprintf("%.0f µs", float64(d)/float64(time.Microsecond))
	case d < time.Second:
		return fmt.Sprintf("%.2f ms", float64(d)/float64(time.Millisecond))
	}
	return fmt.Sprintf("%.2f s", d.Seconds())
}

func signed(d time.Duration) string {
	if d >= 0 {
		return "+" + fmtDur(d)
	}
	return fmtDur(d)
}

func (r *report) bench(name string) (goBenchResult, bool) { return benchIn(r.GoBench, name) }

func benchIn(bs []goBenchResult, name string) (goBenchResult, bool) {
	for _, b := range bs {
		if b.Name == name {
			return b, true
		}
	}
	return goBenchResult{}, false
}

func findScenario(ss []scenario, conc int) *scenario {
	for i := range ss {
		if ss[i].Concurrency == conc {
			return &ss[i]
		}
	}
	return nil
}

// pair returns the direct and the via result of a scenario, or why not.
func pair(sc *scenario, via string) (*load.Result, *load.Result, string) {
	if sc == nil {
		return nil, nil, "n/a (not run)"
	}
	d, v := sc.path(pDirect), sc.path(via)
	if sc.path(pOllama) != nil {
		d = sc.path(pOllama)
	}
	switch {
	case v == nil:
		return nil, nil, "n/a (not run)"
	case v.NA != "":
		return nil, nil, v.NA
	case d == nil || d.Res == nil || v.Res == nil:
		return nil, nil, "n/a (not run)"
	case v.Res.Requests == 0:
		return nil, nil, fmt.Sprintf("no successful request (%d errors: %s)", v.Res.Errors, v.Res.FirstError)
	case d.Res.Requests == 0:
		return nil, nil, fmt.Sprintf("no successful direct request (%d errors: %s)", d.Res.Errors, d.Res.FirstError)
	}
	return d.Res, v.Res, ""
}

// pairTo returns the base path's and the via path's results of a
// scenario, or why not.
func pairTo(sc *scenario, base, via string) (*load.Result, *load.Result, string) {
	if sc == nil {
		return nil, nil, "n/a (not run)"
	}
	b, v := sc.path(base), sc.path(via)
	switch {
	case b == nil || v == nil:
		return nil, nil, "n/a (not run)"
	case b.NA != "":
		return nil, nil, b.NA
	case v.NA != "":
		return nil, nil, v.NA
	case b.Res == nil || v.Res == nil:
		return nil, nil, "n/a (not run)"
	case v.Res.Requests == 0:
		return nil, nil, fmt.Sprintf("no successful request (%d errors: %s)", v.Res.Errors, v.Res.FirstError)
	case b.Res.Requests == 0:
		return nil, nil, fmt.Sprintf("no successful %s request (%d errors: %s)", base, b.Res.Errors, b.Res.FirstError)
	}
	return b.Res, v.Res, ""
}

// alsoTLS states the same comparison against the floor with TLS.
func alsoTLS(sc *scenario, v *load.Result, stream bool) string {
	f := sc.path(pFloorTLS)
	if f == nil || f.Res == nil || f.Res.Requests == 0 {
		return ""
	}
	if stream {
		return fmt.Sprintf("; %.0f %% of floor+TLS", 100*v.ChunksPerSec/f.Res.ChunksPerSec)
	}
	return fmt.Sprintf("; %s over floor+TLS", signed(v.Latency.P50-f.Res.Latency.P50))
}

// withErrors fails a target whose run had errors.
func withErrors(st string, rs ...*load.Result) (string, string) {
	for _, r := range rs {
		if r != nil && r.Errors > 0 {
			return miss, fmt.Sprintf(" (%d errors, %d lost/reordered: %s)", r.Errors, r.OrderErrors, r.FirstError)
		}
	}
	return st, ""
}

// evaluate turns the measurements into the target table.
func (r *report) evaluate() {
	add := func(t target) { r.Targets = append(r.Targets, t) }
	u1 := findScenario(r.Unary, 1)
	uN := findScenario(r.Unary, unaryConcHigh)
	s1 := findScenario(r.Stream, 1)
	sN := findScenario(r.Stream, streamConcHigh)

	for _, via := range []string{pNative, pCompat} {
		label := " (native)"
		if via == pCompat {
			label = " (OpenAI-compatible route)"
		}
		// The floor is the same hops with no logic: what the host adds on
		// top of it is what Roundhouse costs (internal/bench/floor).
		f, v, why := pairTo(u1, pFloor, via)
		if why != "" {
			add(target{Name: "Non-stream, c=1: added latency p50 over the floor" + label, Goal: "≤ 100 µs", Measured: why, Status: na})
			add(target{Name: "Non-stream, c=1: added latency p99 over the floor" + label, Goal: "≤ 1 ms", Measured: why, Status: na})
		} else {
			a50 := v.Latency.P50 - f.Latency.P50
			a99 := v.Latency.P99 - f.Latency.P99
			st, e := withErrors(status(a50 <= 100*time.Microsecond), f, v)
			add(target{Name: "Non-stream, c=1: added latency p50 over the floor" + label, Goal: "≤ 100 µs", Key: "unary",
				Measured: fmt.Sprintf("%s (floor %s → %s%s)%s", signed(a50), fmtDur(f.Latency.P50), fmtDur(v.Latency.P50), alsoTLS(u1, v, false), e), Status: st})
			st, e = withErrors(status(a99 <= time.Millisecond), f, v)
			add(target{Name: "Non-stream, c=1: added latency p99 over the floor" + label, Goal: "≤ 1 ms", Key: "unary",
				Measured: fmt.Sprintf("%s (floor %s → %s)%s", signed(a99), fmtDur(f.Latency.P99), fmtDur(v.Latency.P99), e), Status: st})
		}
		f, v, why = pairTo(uN, pFloorTLS, via)
		name := fmt.Sprintf("Non-stream throughput, c=%d: host vs floor+TLS", unaryConcHigh) + label
		if why != "" {
			add(target{Name: name, Goal: "≥ 90 %", Measured: why, Status: na})
		} else {
			ratio := v.RPS / f.RPS
			extra := ""
			if d, _, w := pair(uN, via); w == "" {
				extra = fmt.Sprintf("; %.0f %% of direct", 100*v.RPS/d.RPS)
			}
			st, e := withErrors(status(ratio >= 0.9), f, v)
			add(target{Name: name, Goal: "≥ 90 %", Key: "unary",
				Measured: fmt.Sprintf("%.0f %% (%.0f vs %.0f req/s%s)%s", 100*ratio, v.RPS, f.RPS, extra, e), Status: st})
		}
		f, v, why = pairTo(s1, pFloor, via)
		name = "Stream, c=1: added time to first chunk p99 over the floor" + label
		if why != "" {
			add(target{Name: name, Goal: "≤ 1 ms", Measured: why, Status: na})
		} else {
			a := v.TTFC.P99 - f.TTFC.P99
			st, e := withErrors(status(a <= time.Millisecond), f, v)
			add(target{Name: name, Goal: "≤ 1 ms", Key: "stream",
				Measured: fmt.Sprintf("%s (floor %s → %s; p50 %s)%s", signed(a), fmtDur(f.TTFC.P99), fmtDur(v.TTFC.P99), signed(v.TTFC.P50-f.TTFC.P50), e), Status: st})
		}
		f, v, why = pairTo(sN, pFloor, via)
		name = fmt.Sprintf("Stream throughput, %d streams: host vs floor (chunks/s)", streamConcHigh) + label
		if why != "" {
			add(target{Name: name, Goal: "≥ 90 %", Measured: why, Status: na})
		} else {
			ratio := v.ChunksPerSec / f.ChunksPerSec
			st, e := withErrors(status(ratio >= 0.9), f, v)
			add(target{Name: name, Goal: "≥ 90 %", Key: "stream",
				Measured: fmt.Sprintf("%.0f %% (%s vs %s chunks/s%s)%s", 100*ratio, thousands(v.ChunksPerSec), thousands(f.ChunksPerSec), alsoTLS(sN, v, true), e), Status: st})
		}
		d, v, why := pair(sN, via)
		name = fmt.Sprintf("Stream throughput through one plugin, %d streams", streamConcHigh) + label
		if why != "" {
			add(target{Name: name, Goal: "≥ 100,000 chunks/s", Measured: why, Status: na})
		} else {
			st, e := withErrors(status(v.ChunksPerSec >= 100_000), d, v)
			add(target{Name: name, Goal: "≥ 100,000 chunks/s", Key: "stream",
				Measured: fmt.Sprintf("%s chunks/s (direct %s)%s", thousands(v.ChunksPerSec), thousands(d.ChunksPerSec), e), Status: st})
		}
	}

	if len(r.Cold) > 0 {
		c := slices.Clone(r.Cold)
		med := load.Percentile(sortDur(c), 50)
		add(target{Name: fmt.Sprintf("Cold start: exec → all first-party plugins running (%s), median of %d", strings.Join(r.ColdPlugins, ", "), len(c)),
			Goal: "≤ 300 ms", Measured: fmt.Sprintf("%s (min %s, max %s)", fmtDur(med), fmtDur(c[0]), fmtDur(c[len(c)-1])), Status: status(med <= 300*time.Millisecond), Key: "cold"})
	}
	for _, m := range r.Mem {
		goal, lim := "≤ 40 MB", int64(40<<20)
		if m.Plugin != "" {
			goal, lim = "≤ 25 MB", 25<<20
		}
		add(target{Name: "Idle RSS, " + m.Name, Goal: goal, Key: "rss",
			Measured: fmt.Sprintf("%s (anon %s, file %s)", mb(m.Idle.RSS), mb(m.Idle.Anon), mb(m.Idle.File)), Status: status(m.Idle.RSS <= lim)})
	}

	dec, ok1 := r.bench("BenchmarkDecodeNativeChat")
	res, ok2 := r.bench("BenchmarkRouterResolve")
	if ok1 && ok2 {
		decision := func(d, rs goBenchResult) (float64, float64) {
			return d.Metrics["ns/op"] + rs.Metrics["resolve-ns/op"], d.Metrics["allocs/op"] + rs.Metrics["resolve-allocs/op"]
		}
		ns, al := decision(dec, res)
		v2ns, v2al := "", ""
		d2, ok3 := benchIn(r.GoBenchV2, "BenchmarkDecodeNativeChat")
		r2, ok4 := benchIn(r.GoBenchV2, "BenchmarkRouterResolve")
		if ok3 && ok4 {
			n2, a2 := decision(d2, r2)
			v2ns = fmt.Sprintf("; with GOEXPERIMENT=jsonv2: %s", fmtDur(time.Duration(n2)))
			v2al = fmt.Sprintf("; with GOEXPERIMENT=jsonv2: %.0f", a2)
		}
		add(target{Name: "Router + adapter decision per request (decode + resolve, in-process)", Goal: "≤ 5 µs", Key: "decision",
			Measured: fmt.Sprintf("%s (decode %s + resolve %s%s)", fmtDur(time.Duration(ns)), fmtDur(time.Duration(dec.Metrics["ns/op"])),
				fmtDur(time.Duration(res.Metrics["resolve-ns/op"])), v2ns), Status: status(ns <= 5000)})
		add(target{Name: "Router + adapter allocations per request", Goal: "≤ 20 allocs", Key: "decision",
			Measured: fmt.Sprintf("%.0f (decode %.0f + resolve %.0f%s)", al, dec.Metrics["allocs/op"], res.Metrics["resolve-allocs/op"], v2al),
			Status:   status(al <= 20)})
	} else {
		why := "n/a (in-process benchmarks not run)"
		if r.GoBenchErr != "" {
			why = "n/a (in-process benchmarks failed)"
		}
		add(target{Name: "Router + adapter decision per request", Goal: "≤ 5 µs", Measured: why, Status: na})
		add(target{Name: "Router + adapter allocations per request", Goal: "≤ 20 allocs", Measured: why, Status: na})
	}

	if len(r.GoBenchRoute) > 0 {
		// The slowest strategy and the most allocations decide.
		var worst, most goBenchResult
		for _, g := range r.GoBenchRoute {
			if g.Metrics["ns/op"] > worst.Metrics["ns/op"] {
				worst = g
			}
			if most.Metrics == nil || g.Metrics["allocs/op"] > most.Metrics["allocs/op"] {
				most = g
			}
		}
		strat := func(g goBenchResult) string { return strings.TrimPrefix(g.Name, "BenchmarkDispatchDecision/") }
		add(target{Name: fmt.Sprintf("Dispatch decision per request, 100 targets (resolve + strategy as Dispatch runs it; slowest of %d strategies)", len(r.GoBenchRoute)),
			Goal: "≤ 5 µs", Key: "dispatch", Status: status(worst.Metrics["ns/op"] <= 5000),
			Measured: fmt.Sprintf("%s (%s)", fmtDur(time.Duration(worst.Metrics["ns/op"])), strat(worst))})
		add(target{Name: "Dispatch decision allocations per request, 100 targets", Goal: "≤ 20 allocs", Key: "dispatch",
			Status:   status(most.Metrics["allocs/op"] <= 20),
			Measured: fmt.Sprintf("%.0f (%s)", most.Metrics["allocs/op"], strat(most))})
	}

	name := "Ollama stream (tiny model), c=1: TTFT added by the host, p50"
	if r.Ollama == nil {
		why := r.OllamaNA
		if why == "" {
			why = "n/a (not run)"
		}
		add(target{Name: name, Goal: "≤ 0.5 ms", Measured: why, Status: na})
	} else if d, v, why := pair(r.Ollama, pNative); why != "" {
		add(target{Name: name, Goal: "≤ 0.5 ms", Measured: why, Status: na})
	} else {
		a := v.TTFC.P50 - d.TTFC.P50
		st, e := withErrors(status(a <= 500*time.Microsecond), d, v)
		fl := ""
		if f, _, why := pairTo(r.Ollama, pFloor, pNative); why == "" {
			fl = fmt.Sprintf("; the floor adds %s, the host %s over it", signed(f.TTFC.P50-d.TTFC.P50), signed(v.TTFC.P50-f.TTFC.P50))
		}
		add(target{Name: name, Goal: "≤ 0.5 ms", Key: "ollama",
			Measured: fmt.Sprintf("%s (%s direct → %s%s)%s", signed(a), fmtDur(d.TTFC.P50), fmtDur(v.TTFC.P50), fl, e), Status: st})
	}
}

func sortDur(d []time.Duration) []time.Duration { slices.Sort(d); return d }

func thousands(v float64) string {
	s := fmt.Sprintf("%.0f", v)
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}

func (r *report) write(out string) error {
	var b strings.Builder
	w := func(format string, a ...any) { fmt.Fprintf(&b, format, a...) }
	o := r.Opts
	w("# Roundhouse benchmarks\n\n")
	w("Written by `make bench` (`internal/bench/cmd/benchall`); do not edit by hand. Numbers are from one run on the machine below;\n")
	w("compare runs on the same machine only.\n\n")
	w("## Machine\n\n")
	w("| | |\n|---|---|\n")
	w("| Date | %s (run took %s) |\n", r.Started.UTC().Format("2006-01-02 15:04 MST"), r.Finished.Sub(r.Started).Round(time.Second))
	w("| CPU | %s |\n", r.Machine.CPU)
	w("| Cores | %d |\n", r.Machine.Cores)
	w("| Memory | %s |\n", r.Machine.MemTotal)
	w("| OS | %s |\n", r.Machine.Kernel)
	w("| Go | %s |\n", r.Machine.Go)
	if r.HostVersion.Version != "" {
		w("| Host | roundhouse %s (%s, protocol %d) |\n", r.HostVersion.Version, r.HostVersion.GoVersion, r.HostVersion.ProtocolVersion)
	}
	if r.Machine.Commit != "" {
		w("| Commit | %s |\n", r.Machine.Commit)
	}
	w("| Load average (1/5/15 min) | %s at start, %s at end |\n", r.LoadStart, r.LoadEnd)
	w("\n")
	if busy(r.LoadStart, r.Machine.Cores) || busy(r.LoadEnd, r.Machine.Cores) {
		w("> **Note:** the machine was busy with other work during this run (load average above). Every process here\n")
		w("> shares the same %d cores, so latency tails and throughput are pessimistic; paths of one point alternate\n", r.Machine.Cores)
		w("> round by round so that they suffer alike, and in-process benchmarks report the fastest of %d runs.\n\n", o.benchCount)
	}

	w("## How to run\n\n")
	w("```sh\nmake build ollama   # the host, the first-party plugins, the test-bed Ollama\nmake bench          # = ROUNDHOUSE_PLUGIN_BIN=bin/plugins go run ./internal/bench/cmd/benchall -out BENCHMARKS.md\n```\n\n")
	extra := ""
	if o.gomaxprocs > 0 {
		extra += fmt.Sprintf(" -gomaxprocs %d", o.gomaxprocs)
	}
	if o.gogc != "" {
		extra += " -gogc " + o.gogc
	}
	if o.only != "" {
		extra += " -only " + o.only
	}
	w("This run: `benchall -duration %s -warmup %s -rounds %d -cold-starts %d -benchtime %s -benchcount %d%s` ", o.duration, o.warmup, o.rounds, o.coldStarts, o.benchTime, o.benchCount, extra)
	w("(`go run ./internal/bench/cmd/benchall -h` lists the flags). In-process benchmarks alone:\n\n")
	w("```sh\ngo test -run '^$' -bench . -benchmem ./internal/bench/\n```\n\n")
	w("What runs, all on 127.0.0.1, each process in its own process group (killed at the end, on Ctrl-C, and by the kernel if benchall dies):\n\n")
	w("- **upstream**: `internal/bench/upstream`, a fast OpenAI-compatible server (fixed completion; SSE of N numbered chunks `c0 c1 …`, each flushed; `GET /v1/models`; no sleeps), in its own process.\n")
	w("- **host**: `bin/roundhouse serve` with `bin/plugins` (all first-party plugins); plugin `openai` has one provider `fast` → the upstream (key `sk-bench-0001`); plugin `ollama` is attached (`manage_engine: false`) to the test-bed Ollama, or to a closed port when there is none; `limits.max_streams_per_client: 1024`.\n")
	w("- **load**: `internal/bench/load`, closed loop: N workers each with one request in flight, %s recorded per path after a %s warm-up, split in %d rounds that alternate the paths of a point. ", o.duration, o.warmup, o.rounds)
	w("Latency is request sent → last byte; TTFC is request sent → first content chunk. Every stream is checked chunk by chunk: a lost, repeated or reordered chunk counts as an error.\n")
	w("- **floor** and **floor+TLS**: `internal/bench/floor`, the same process hops as the host with no logic — an HTTP server that forwards the raw body as one gRPC message (raw bytes, no protobuf, no JSON) over a unix socket to its own plugin process, which POSTs it to the upstream and returns the raw answer; a stream is relayed SSE event by SSE event, each flushed. floor+TLS adds mutual TLS on the gRPC leg with throw-away P-521 certificates, as go-plugin's AutoMTLS does for the host. The host's targets are stated against these: what the host costs above them is Roundhouse's own cost, not the hops'.\n")
	w("- **prototype: lease**: the floor's front asks its plugin over gRPC (mutual TLS) for a short-lived route to the upstream (URL and key, renewed every 30 s) and calls the upstream itself — one process hop fewer for plain pass-through calls (see the design note above).\n")
	if o.baseline != "" {
		w("- **baseline host**: `-baseline %s` (roundhouse %s), another build of the host and its plugins with the same configuration, measured in the same alternating rounds: the before/after of this build's changes.\n", o.baseline, orNA(r.BaselineVersion))
	}
	w("- Percentiles are nearest-rank over all recorded requests; *added* = through the host minus direct (or minus the floor where the column says so).\n")
	w("- CPU tables: each process's user+system CPU while a path ran, per request (per chunk for streams), and in parentheses the cores it kept busy; *other processes* is the machine's busy CPU (/proc/stat) minus those processes — work that is not this benchmark's (other jobs on the machine), or kernel time charged to no process.\n\n")

	w("## Targets\n\n")
	w("| Target | Goal | Measured | Result |\n|---|---|---|---|\n")
	misses := 0
	for _, t := range r.Targets {
		if t.Status == miss {
			misses++
		}
		w("| %s | %s | %s | %s |\n", t.Name, t.Goal, mdCell(t.Measured), t.Status)
	}
	w("\n")

	w("%s\n", analysisMD) // the hand-written notes: misses, changes and their effect, design notes

	w("## Hop: direct, the floor, and through the host\n\n")
	for _, sc := range r.Unary {
		r.writeScenario(&b, sc)
	}
	for _, sc := range r.Stream {
		r.writeScenario(&b, sc)
	}

	w("## Ollama through the host\n\n")
	if r.Ollama == nil {
		w("%s\n\n", orNA(r.OllamaNA))
	} else {
		w("%s. Both paths stream the same prompt with `temperature 0, seed 1`; the model is loaded before timing. The per-stream rate is the median of each stream's own tokens/s after its first token. Ollama's own CPU (server and runner) is under *other processes*.\n\n", r.OllamaInfo)
		r.writeScenario(&b, *r.Ollama)
	}

	w("## Cold start\n\n")
	if len(r.Cold) == 0 {
		w("n/a\n\n")
	} else {
		parts := make([]string, len(r.Cold))
		for i, d := range r.Cold {
			parts[i] = fmtDur(d)
		}
		w("`exec bin/roundhouse serve` → `GET /v1/plugins` shows every plugin (%s) `running` with a pid (polled every 2 ms), fresh data dir each time: %s.\n\n",
			strings.Join(r.ColdPlugins, ", "), strings.Join(parts, ", "))
	}

	w("## Plugin restart after SIGKILL\n\n")
	w("SIGKILL the pid `GET /v1/plugins` reports → the plugin is `running` again with a new pid. The host polls for exits every 100 ms and waits a 200 ms backoff before the first restart (host/supervisor.go), so ~300 ms of this is by design.\n\n")
	w("| Plugin | Time | Old pid → new pid |\n|---|---|---|\n")
	for _, x := range r.Restarts {
		if x.Err != "" {
			w("| %s | failed: %s | %d → ? |\n", x.Plugin, mdCell(firstLine(x.Err)), x.OldPid)
			continue
		}
		w("| %s | %s | %d → %d |\n", x.Plugin, fmtDur(x.Took), x.OldPid, x.NewPid)
	}
	w("\n")

	w("## Memory (RSS from /proc/<pid>/status)\n\n")
	w("Idle: 2 s after every plugin runs, before any traffic. Under load: highest VmRSS sampled every 50 ms during the non-stream (c=%d) and stream (c=%d) points. Anon is the heap and stacks; file is mapped pages of the binary.\n\n", unaryConcHigh, streamConcHigh)
	w("| Process | Idle RSS | Idle anon / file | Peak, non-stream c=%d | Peak, stream c=%d |\n|---|---|---|---|---|\n", unaryConcHigh, streamConcHigh)
	for _, m := range r.Mem {
		w("| %s | %s | %s / %s | %s | %s |\n", m.Name, mb(m.Idle.RSS), mb(m.Idle.Anon), mb(m.Idle.File), mbOr(m.PeakUnary), mbOr(m.PeakStream))
	}
	w("\n")

	w("## In-process benchmarks\n\n")
	switch {
	case r.GoBenchErr != "":
		w("```\n%s\n```\n\n", r.GoBenchErr)
	case len(r.GoBench) == 0:
		w("n/a (not run)\n\n")
	default:
		w("`%s` (fastest of the runs; median for `resolve-*`). The host here is `internal/hosttest` with the `internal/testplugin` echo plugin as a real subprocess over gRPC. ", r.GoBenchCmd)
		w("`*Cancelled` benchmarks call with a context already done, so gRPC fails the call before any I/O; `BenchmarkRouterResolve` interleaves the two and reports their difference, the router's resolve alone. `cpu-ns/op` is this process's CPU per call (the plugin's is not included).\n\n")
		w("| Benchmark | ns/op | cpu-ns/op | B/op | allocs/op | other |\n|---|---|---|---|---|---|\n")
		for _, g := range r.GoBench {
			var others []string
			for _, u := range []string{"ns/chunk", "resolve-ns/op", "resolve-allocs/op"} {
				if v, ok := g.Metrics[u]; ok {
					others = append(others, fmt.Sprintf("%.1f %s", v, u))
				}
			}
			other := strings.Join(others, ", ")
			w("| %s | %.0f | %s | %.0f | %.0f | %s |\n", g.Name, g.Metrics["ns/op"], optMetric(g.Metrics, "cpu-ns/op"), g.Metrics["B/op"], g.Metrics["allocs/op"], other)
		}
		w("\n")
		w("`BenchmarkDecodeNativeChatUnmarshal` is not the host's code: it reads the body into a buffer and calls `json.Unmarshal`, to show what the `json.Decoder` path costs on top.\n\n")
	}
	if len(r.GoBenchRoute) > 0 {
		w("The dispatch decision as `Dispatch` runs it per request (100 targets, every one seen; `weighted` places only the first candidate, the next only after a failure): `%s`\n\n", r.GoBenchRouteCmd)
		w("| Benchmark | ns/op | B/op | allocs/op |\n|---|---|---|---|\n")
		for _, g := range r.GoBenchRoute {
			w("| %s | %.0f | %.0f | %.0f |\n", g.Name, g.Metrics["ns/op"], g.Metrics["B/op"], g.Metrics["allocs/op"])
		}
		w("\n")
	}
	if len(r.GoBenchV2) > 0 {
		w("What-if, the same with encoding/json's v2 implementation: `%s`\n\n", r.GoBenchV2Cmd)
		w("| Benchmark | ns/op | B/op | allocs/op | other |\n|---|---|---|---|---|\n")
		for _, g := range r.GoBenchV2 {
			other := ""
			if v, ok := g.Metrics["resolve-ns/op"]; ok {
				other = fmt.Sprintf("%.1f resolve-ns/op, %.1f resolve-allocs/op", v, g.Metrics["resolve-allocs/op"])
			}
			w("| %s | %.0f | %.0f | %.0f | %s |\n", g.Name, g.Metrics["ns/op"], g.Metrics["B/op"], g.Metrics["allocs/op"], other)
		}
		w("\n")
	}

	w("## Profiles for the misses\n\n")
	if misses == 0 {
		w("No target missed.\n\n")
	}
	keys := map[string]bool{}
	for _, t := range r.Targets {
		if t.Status == miss {
			keys[t.Key] = true
		}
	}
	if keys["cold"] || keys["rss"] {
		w("Cold start and RSS have no CPU profile; the anon/file split above is the evidence for RSS (file pages are the binary's text and shrink only with a smaller binary).\n\n")
	}
	shown := 0
	for _, p := range r.Profiles {
		if !keys[p.Key] {
			continue
		}
		shown++
		w("### %s\n\n```sh\n%s\n```\n\n```\n%s\n```\n\n", p.Title, p.Command, strings.TrimRight(p.Text, "\n"))
	}
	if misses > 0 && shown == 0 && r.ProfileNote != "" {
		w("%s\n\n", r.ProfileNote)
	}
	if !r.PprofHook {
		w("The host did not answer on `ROUNDHOUSE_PPROF` (its opt-in `net/http/pprof` listener), so its own Go CPU profile is missing from this run.\n")
	}

	if out == "" {
		_, err := os.Stdout.WriteString(b.String())
		return err
	}
	if err := os.WriteFile(out, []byte(b.String()), 0o644); err != nil {
		return err
	}
	logf("wrote %s (%d targets, %d missed)", out, len(r.Targets), misses)
	return nil
}

func busy(loadavg string, cores int) bool {
	f := strings.Fields(loadavg)
	if len(f) == 0 {
		return false
	}
	var v float64
	if _, err := fmt.Sscanf(f[0], "%g", &v); err != nil {
		return false
	}
	return v > 0.5*float64(cores)
}

func orNA(s string) string {
	if s == "" {
		return "n/a"
	}
	return s
}

func mbOr(v int64) string {
	if v == 0 {
		return "—"
	}
	return mb(v)
}

func optMetric(m map[string]float64, k string) string {
	if v, ok := m[k]; ok {
		return fmt.Sprintf("%.0f", v)
	}
	return ""
}

func mdCell(s string) string {
	s = strings.ReplaceAll(s, "|", "\\|")
	return strings.ReplaceAll(s, "\n", " ")
}

func (r *report) writeScenario(b *strings.Builder, sc scenario) {
	w := func(format string, a ...any) { fmt.Fprintf(b, format, a...) }
	w("### %s\n\n", sc.Title)
	var base *load.Result
	if d := sc.path(pDirect); d != nil && d.Res != nil && d.Res.Requests > 0 {
		base = d.Res
	}
	if d := sc.path(pOllama); d != nil && d.Res != nil && d.Res.Requests > 0 {
		base = d.Res
	}
	if !sc.Stream {
		w("| Path | req/s | p50 | p90 | p99 | max | errors | vs direct | vs floor (no TLS / TLS) |\n|---|---|---|---|---|---|---|---|---|\n")
		for _, p := range sc.Paths {
			if p.Res == nil {
				w("| %s | %s ||||||||\n", p.Name, p.NA)
				continue
			}
			x := p.Res
			cmp := ""
			if base != nil && x != base && x.Requests > 0 {
				cmp = fmt.Sprintf("%.0f %% req/s, p50 %s, p99 %s", 100*x.RPS/base.RPS, signed(x.Latency.P50-base.Latency.P50), signed(x.Latency.P99-base.Latency.P99))
			}
			w("| %s | %.0f | %s | %s | %s | %s | %s | %s | %s |\n", p.Name, x.RPS, fmtDur(x.Latency.P50), fmtDur(x.Latency.P90),
				fmtDur(x.Latency.P99), fmtDur(x.Latency.Max), errCell(x), cmp, vsFloor(sc, p))
		}
	} else {
		w("| Path | streams/s | TTFC p50 | TTFC p90 | TTFC p99 | TTFC max | stream p50 | chunks/s | per-stream rate | errors | vs direct | vs floor (no TLS / TLS) |\n|---|---|---|---|---|---|---|---|---|---|---|---|\n")
		for _, p := range sc.Paths {
			if p.Res == nil {
				w("| %s | %s |||||||||||\n", p.Name, p.NA)
				continue
			}
			x := p.Res
			cmp := ""
			if base != nil && x != base && x.Requests > 0 {
				cmp = fmt.Sprintf("TTFC p50 %s, p99 %s; %.0f %% chunks/s", signed(x.TTFC.P50-base.TTFC.P50), signed(x.TTFC.P99-base.TTFC.P99), 100*x.ChunksPerSec/base.ChunksPerSec)
			}
			w("| %s | %.0f | %s | %s | %s | %s | %s | %s | %s/s | %s | %s | %s |\n", p.Name, x.RPS, fmtDur(x.TTFC.P50), fmtDur(x.TTFC.P90),
				fmtDur(x.TTFC.P99), fmtDur(x.TTFC.Max), fmtDur(x.Latency.P50), thousands(x.ChunksPerSec), thousands(x.StreamRate), errCell(x), cmp, vsFloor(sc, p))
		}
	}
	w("\n")
	if c, bl := sc.path(pCompat), sc.path(pBaseline); c != nil && bl != nil && c.Res != nil && bl.Res != nil && c.Res.Requests > 0 && bl.Res.Requests > 0 {
		if sc.Stream {
			w("This build against the baseline build, same rounds: %.0f %% of its chunks/s, TTFC p50 %s.\n\n",
				100*c.Res.ChunksPerSec/bl.Res.ChunksPerSec, signed(c.Res.TTFC.P50-bl.Res.TTFC.P50))
		} else {
			w("This build against the baseline build, same rounds: %.0f %% of its req/s, p50 %s.\n\n",
				100*c.Res.RPS/bl.Res.RPS, signed(c.Res.Latency.P50-bl.Res.Latency.P50))
		}
	}
	r.writeCPU(b, sc)
	r.writeCeiling(b, sc)
	for _, p := range sc.Paths {
		if p.Res != nil && p.Res.FirstError != "" {
			w("First error on %s: `%s`\n\n", p.Name, strings.ReplaceAll(firstLine(p.Res.FirstError), "`", "'"))
		}
	}
}

// writeCPU shows, per path, the CPU each process spent per request (or
// per chunk for streams) and how many cores it kept busy.
func (r *report) writeCPU(b *strings.Builder, sc scenario) {
	if len(sc.Procs) == 0 {
		return
	}
	w := func(format string, a ...any) { fmt.Fprintf(b, format, a...) }
	unit, per := "µs per request", func(x *load.Result) float64 { return float64(x.Requests) }
	if sc.Stream && sc.Chunks > 1 {
		unit, per = "µs per chunk", func(x *load.Result) float64 { return float64(x.Chunks) }
	}
	w("CPU (%s; cores busy in parentheses; from /proc/<pid>/stat, 10 ms ticks):\n\n| Path |", unit)
	for _, p := range sc.Procs {
		w(" %s |", p.Name)
	}
	w(" total | other processes |\n|---|")
	for range sc.Procs {
		w("---|")
	}
	w("---|---|\n")
	for _, p := range sc.Paths {
		if p.Res == nil || p.Res.Requests == 0 || p.CPUWindow <= 0 {
			continue
		}
		w("| %s |", p.Name)
		var total time.Duration
		for _, pr := range sc.Procs {
			c := p.CPU[pr.Name]
			total += c
			w(" %s |", cpuCell(c, p, per(p.Res)))
		}
		w(" %s |", cpuCell(total, p, per(p.Res)))
		if m, ok := p.CPU[machineKey]; ok {
			w(" (%.2f) |\n", max(0, (m-total).Seconds()/p.CPUWindow.Seconds()))
		} else {
			w(" |\n")
		}
	}
	w("\n")
}

// perUnit is the CPU per request (or per chunk) of the named processes on
// a path; all processes when names is empty.
func perUnit(sc scenario, p path, names ...string) float64 {
	if p.Res == nil || p.CPUWindow <= 0 {
		return 0
	}
	units := float64(p.Res.Requests)
	if sc.Stream && sc.Chunks > 1 {
		units = float64(p.Res.Chunks)
	}
	if units == 0 {
		return 0
	}
	var c time.Duration
	for _, pr := range sc.Procs {
		if len(names) == 0 || slices.Contains(names, pr.Name) {
			c += p.CPU[pr.Name]
		}
	}
	return c.Seconds() / p.CPUWindow.Seconds() * p.Res.Duration.Seconds() / units * 1e6
}

// writeCeiling states, for a loaded point, the throughput ratio the CPU
// cost alone allows: when the machine is saturated, requests per second
// are inversely proportional to the CPU one request costs.
func (r *report) writeCeiling(b *strings.Builder, sc scenario) {
	d := sc.path(pDirect)
	if sc.Concurrency <= 1 || d == nil || d.Res == nil {
		return
	}
	unit := "request"
	if sc.Stream && sc.Chunks > 1 {
		unit = "chunk"
	}
	for _, p := range sc.Paths {
		if p.Name != pNative && p.Name != pCompat || p.Res == nil || p.Res.Requests == 0 {
			continue
		}
		td, th := perUnit(sc, *d), perUnit(sc, p)
		hp := perUnit(sc, p, "host", "plugin openai")
		if td <= 0 || th <= 0 {
			continue
		}
		fmt.Fprintf(b, "CPU ceiling via %s: a %s costs %.1f µs of CPU in all processes against %.1f µs direct (host + plugin alone: %.1f µs), "+
			"so with the CPU saturated this path can reach at most %.0f %% of direct throughput, whatever the scheduling.\n\n",
			p.Name, unit, th, td, hp, 100*td/th)
		for _, fn := range []string{pFloor, pFloorTLS} {
			if f := sc.path(fn); f != nil && f.Res != nil && f.Res.Requests > 0 {
				tf := perUnit(sc, *f)
				fp := perUnit(sc, *f, fn, fn+" plugin")
				fmt.Fprintf(b, "Against %s: %.1f µs of CPU per %s in all processes (front + plugin alone: %.1f µs), so the host's CPU ceiling is %.0f %% of the %s's.\n\n",
					fn, tf, unit, fp, 100*tf/th, fn)
			}
		}
	}
}

// cpuCell is CPU per unit of work, scaled from the whole measured wall
// time (warm-ups included) to the recorded window, and the cores busy.
func cpuCell(c time.Duration, p path, units float64) string {
	cores := c.Seconds() / p.CPUWindow.Seconds()
	if units <= 0 {
		return fmt.Sprintf("(%.2f)", cores)
	}
	perUnit := cores * p.Res.Duration.Seconds() / units * 1e6
	return fmt.Sprintf("%.1f (%.2f)", perUnit, cores)
}

// vsFloor compares a host (or prototype) path with the two floors:
// throughput ratio and added p50 (TTFC p50 for streams).
func vsFloor(sc scenario, p path) string {
	if p.Name == pDirect || p.Name == pOllama || p.Name == pFloor || p.Name == pFloorTLS || p.Res == nil || p.Res.Requests == 0 {
		return ""
	}
	var parts []string
	for _, fn := range []string{pFloor, pFloorTLS} {
		f := sc.path(fn)
		if f == nil || f.Res == nil || f.Res.Requests == 0 {
			parts = append(parts, "—")
			continue
		}
		if sc.Stream {
			parts = append(parts, fmt.Sprintf("%.0f %% chunks/s, TTFC p50 %s", 100*p.Res.ChunksPerSec/f.Res.ChunksPerSec, signed(p.Res.TTFC.P50-f.Res.TTFC.P50)))
		} else {
			parts = append(parts, fmt.Sprintf("%.0f %% req/s, p50 %s", 100*p.Res.RPS/f.Res.RPS, signed(p.Res.Latency.P50-f.Res.Latency.P50)))
		}
	}
	return strings.Join(parts, " / ")
}

func errCell(x *load.Result) string {
	if x.Errors == 0 {
		return "0"
	}
	if x.OrderErrors > 0 {
		return fmt.Sprintf("%d (%d lost/reordered)", x.Errors, x.OrderErrors)
	}
	return fmt.Sprint(x.Errors)
}

// analysisMD holds the hand-written notes (misses, changes and their
// measured effect, design notes); it is hand-written, so it
// survives regeneration of the measured parts.
//
//go:embed analysis.md
var analysisMD string
