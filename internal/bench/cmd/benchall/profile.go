package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/roundhouse-ai/roundhouse/client"
	"github.com/roundhouse-ai/roundhouse/internal/bench/harness"
	"github.com/roundhouse-ai/roundhouse/internal/bench/load"
	"github.com/roundhouse-ai/roundhouse/internal/bench/upstream"
)

// profile is one piece of evidence: a command and the top of its output.
type profile struct {
	Key     string // which targets it explains: "unary", "stream", "decision"
	Title   string
	Command string
	Text    string
}

const profileSeconds = 5

// probePprof says whether the host serves net/http/pprof on addr (the
// ROUNDHOUSE_PPROF hook this harness asks for).
func probePprof(addr string) bool {
	c := &http.Client{Timeout: time.Second}
	resp, err := c.Get("http://" + addr + "/debug/pprof/")
	if err != nil {
		return false
	}
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}

// profPoint is a load to profile the host and one plugin under.
type profPoint struct {
	key, title string
	op         load.Op
	conc       int
	plugin     proc
}

// profile runs the two loaded host points once more, unrecorded, under
// perf (host and openai plugin) and, when the host has the hook, its own
// pprof CPU profile.
func (e *env) profile(ctx context.Context, h *harness.Host, ps []client.PluginStatus, pprofAddr string) {
	if e.openai != "" {
		return
	}
	p, _ := harness.Find(ps, "openai")
	plugin := proc{"plugin openai", p.PID}
	for _, pt := range []profPoint{
		{"unary", fmt.Sprintf("non-stream chat through the host, concurrency %d", unaryConcHigh),
			load.Unary(load.NewClient(unaryConcHigh), load.Request{URL: h.URL + "/v1/services/chat",
				Body: []byte(`{"provider":"openai","model":"` + upstream.Model + `",` + msgs + `}`)}, nil), unaryConcHigh, plugin},
		{"stream", fmt.Sprintf("streamed chat through the host, concurrency %d, %d chunks", streamConcHigh, throughputChunks),
			load.Stream(load.NewClient(streamConcHigh), load.StreamSpec{Request: load.Request{URL: h.URL + "/v1/services/chat",
				Body: []byte(`{"provider":"openai","model":"` + upstream.Model + `","stream":true,"options":{"max_tokens":` +
					strconv.Itoa(throughputChunks) + `},` + msgs + `}`)}}), streamConcHigh, plugin},
	} {
		e.profilePoint(ctx, h, pprofAddr, pt)
	}
}

func (e *env) profilePoint(ctx context.Context, h *harness.Host, pprofAddr string, pt profPoint) {
	perfBin, perfErr := exec.LookPath("perf")
	usePerf := e.o.perf && perfErr == nil
	if !usePerf && !e.rep.PprofHook {
		e.rep.ProfileNote = "no perf on PATH and no pprof hook in the host: no whole-process profiles"
		return
	}
	if ctx.Err() != nil {
		return
	}
	logf("profiling %s (%ds, not recorded)", pt.title, profileSeconds)
	lctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Go(func() {
		load.Run(lctx, load.Config{Concurrency: pt.conc, Warmup: 500 * time.Millisecond, Duration: (profileSeconds + 2) * time.Second}, pt.op)
	})
	time.Sleep(700 * time.Millisecond)
	var pprofFile string
	var pwg sync.WaitGroup
	if e.rep.PprofHook {
		pprofFile = filepath.Join(e.work, "host-"+pt.key+".pprof")
		pwg.Go(func() { fetchPprof(pprofAddr, pprofFile, profileSeconds) })
	}
	var perfFile string
	who := []proc{{"host", h.Pid()}}
	if pt.plugin.Pid != 0 {
		who = append(who, pt.plugin)
	}
	if usePerf {
		perfFile = filepath.Join(e.work, "perf-"+pt.key+".data")
		pids := make([]string, len(who))
		for i, w := range who {
			pids[i] = strconv.Itoa(w.Pid)
		}
		cmd := exec.CommandContext(ctx, perfBin, "record", "-F", "499", "-g", "-o", perfFile, "-p", strings.Join(pids, ","), "--", "sleep", strconv.Itoa(profileSeconds))
		if out, err := cmd.CombinedOutput(); err != nil {
			logf("perf record: %v: %s", err, lastLines(string(out), 3))
			perfFile = ""
		}
	}
	pwg.Wait()
	cancel()
	wg.Wait()
	if perfFile != "" {
		for _, wp := range who {
			comm := procComm(wp.Pid)
			self := []string{"report", "-i", perfFile, "--stdio", "-g", "none", "--comm", comm, "--percentage", "relative", "--sort", "sym",
				"--no-children", "--percent-limit", "1"}
			cum := []string{"report", "-i", perfFile, "--stdio", "-g", "none", "--comm", comm, "--percentage", "relative", "--sort", "sym",
				"--children", "--percent-limit", "1.5"}
			outSelf, err1 := exec.CommandContext(ctx, perfBin, self...).CombinedOutput()
			outCum, err2 := exec.CommandContext(ctx, perfBin, cum...).CombinedOutput()
			if err1 != nil || err2 != nil {
				logf("perf report: %v %v", err1, err2)
				continue
			}
			e.rep.Profiles = append(e.rep.Profiles, profile{Key: pt.key,
				Title: fmt.Sprintf("perf, %s process (comm %s), during %s", wp.Name, comm, pt.title),
				Command: strings.ReplaceAll(fmt.Sprintf("perf record -F 499 -g -o %s -p <host pid>,<%s pid> -- sleep %d\nperf %s\nperf %s",
					perfFile, pt.plugin.Name, profileSeconds, strings.Join(self, " "), strings.Join(cum, " ")), perfFile, filepath.Base(perfFile)),
				Text: "cumulative (children), selected frames:\n" + perfCumulative(string(outCum), 28) +
					"\nself time, top symbols:\n" + perfTop(string(outSelf), 15)})
		}
	}
	if pprofFile != "" {
		if _, err := os.Stat(pprofFile); err == nil {
			e.rep.Profiles = append(e.rep.Profiles, profile{Key: pt.key,
				Title:   fmt.Sprintf("pprof (ROUNDHOUSE_PPROF), host process, during %s", pt.title),
				Command: fmt.Sprintf("curl http://$ROUNDHOUSE_PPROF/debug/pprof/profile?seconds=%d > host.pprof; go tool pprof -top bin/roundhouse host.pprof", profileSeconds),
				Text:    pprofTop(ctx, e.o.bin, pprofFile, "", 25)})
		}
	}
}

func fetchPprof(addr, file string, secs int) {
	c := &http.Client{Timeout: time.Duration(secs+10) * time.Second}
	resp, err := c.Get(fmt.Sprintf("http://%s/debug/pprof/profile?seconds=%d", addr, secs))
	if err != nil {
		return
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return
	}
	f, err := os.Create(file)
	if err != nil {
		return
	}
	defer f.Close()
	_, _ = io.Copy(f, resp.Body)
}

// procComm is a process's command name as perf knows it.
func procComm(pid int) string {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/comm")
	if err != nil {
		return "?"
	}
	return strings.TrimSpace(string(b))
}

// shortSym drops the (long) type arguments of generic Go symbols.
func shortSym(line string) string {
	if i := strings.Index(line, "[go.shape"); i >= 0 {
		return line[:i] + "[…]"
	}
	return line
}

// perfTop keeps the sample count line and the first n symbol lines of a
// perf report.
func perfTop(out string, n int) string {
	var b strings.Builder
	kept := 0
	sc := bufio.NewScanner(strings.NewReader(out))
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		t := strings.TrimSpace(line)
		switch {
		case strings.HasPrefix(t, "# Samples:"):
			b.WriteString(strings.TrimPrefix(t, "# ") + "\n")
		case t == "" || strings.HasPrefix(t, "#"):
		case kept < n:
			b.WriteString(shortSym(line) + "\n")
			kept++
		}
	}
	return b.String()
}

// Frames worth showing in a cumulative view: the project's code, the
// layers a request crosses, and the runtime's big costs.
var (
	perfKeep = regexp.MustCompile(`roundhouse-ai/roundhouse|ollama/ollama/api|net/http\.|grpc|crypto/tls|encoding/json|protobuf|gcBgMarkWorker|runtime\.mallocgc(Large)?$|runtime\.memclrNoHeapPointers|runtime\.findRunnable|Syscall6|\[k\] (tcp_sendmsg|unix_stream_sendmsg|unix_stream_recvmsg|tcp_recvmsg|do_epoll_wait|__x64_sys_futex)`)
	perfDrop = regexp.MustCompile(`-fm$|\.gowrap|HandlerFunc\.ServeHTTP|serverHandler\.ServeHTTP|\.func\d+$`)
)

// perfCumulative keeps the first n interesting lines of a --children
// perf report.
func perfCumulative(out string, n int) string {
	var b strings.Builder
	b.WriteString("  children     self  symbol\n")
	kept := 0
	sc := bufio.NewScanner(strings.NewReader(out))
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for sc.Scan() && kept < n {
		line := shortSym(sc.Text())
		t := strings.TrimSpace(line)
		if t == "" || strings.HasPrefix(t, "#") || !perfKeep.MatchString(t) || perfDrop.MatchString(t) {
			continue
		}
		b.WriteString(line + "\n")
		kept++
	}
	return b.String()
}

// pprofTop runs go tool pprof -top on a profile.
func pprofTop(ctx context.Context, bin, prof, sampleIndex string, n int) string {
	args := []string{"tool", "pprof", "-top", "-nodecount", strconv.Itoa(n)}
	if sampleIndex != "" {
		args = append(args, "-sample_index", sampleIndex)
	}
	args = append(args, bin, prof)
	out, err := exec.CommandContext(ctx, goTool(), args...).CombinedOutput()
	if err != nil {
		return "go tool pprof failed: " + err.Error() + "\n" + string(out)
	}
	// Drop the File/Build ID/Type/Time preamble, keep the rest.
	var b strings.Builder
	for _, line := range strings.Split(string(out), "\n") {
		if strings.HasPrefix(line, "File:") || strings.HasPrefix(line, "Build ID:") || strings.HasPrefix(line, "Time:") {
			continue
		}
		b.WriteString(line + "\n")
	}
	return strings.TrimRight(b.String(), "\n")
}

func goTool() string {
	if p, err := exec.LookPath("go"); err == nil {
		return p
	}
	return filepath.Join(runtime.GOROOT(), "bin", "go")
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, " | ")
}

// goBenchResult is one benchmark over its -count runs.
type goBenchResult struct {
	Name string
	N    int
	// Metrics by unit (ns/op, B/op, allocs/op, cpu-ns/op, ns/chunk,
	// resolve-ns/op...): the smallest value of the runs (the run least
	// disturbed by the rest of the machine), but the median for
	// differences (resolve-*), which noise can push either way.
	Metrics map[string]float64
	all     map[string][]float64
}

var benchLine = regexp.MustCompile(`^(Benchmark\S+?)(?:-\d+)?\s+(\d+)\s+(.*)$`)

// parseGoBench reads `go test -bench` output, summarising repeated runs
// of one benchmark per metric (see goBenchResult).
func parseGoBench(out string) []goBenchResult {
	var order []string
	by := map[string]*goBenchResult{}
	for _, line := range strings.Split(out, "\n") {
		m := benchLine.FindStringSubmatch(strings.TrimSpace(line))
		if m == nil {
			continue
		}
		name := m[1]
		n, _ := strconv.Atoi(m[2])
		f := strings.Fields(m[3])
		r := by[name]
		if r == nil {
			r = &goBenchResult{Name: name, N: n, Metrics: map[string]float64{}, all: map[string][]float64{}}
			by[name] = r
			order = append(order, name)
		}
		for i := 0; i+1 < len(f); i += 2 {
			v, err := strconv.ParseFloat(f[i], 64)
			if err != nil {
				continue
			}
			r.all[f[i+1]] = append(r.all[f[i+1]], v)
		}
	}
	out2 := make([]goBenchResult, 0, len(order))
	for _, n := range order {
		r := by[n]
		for unit, vs := range r.all {
			slices.Sort(vs)
			if strings.HasPrefix(unit, "resolve-") {
				r.Metrics[unit] = vs[(len(vs)-1)/2]
			} else {
				r.Metrics[unit] = vs[0]
			}
		}
		out2 = append(out2, *r)
	}
	return out2
}

// goBench builds the in-process benchmarks once, runs them, then profiles
// the ones the targets rest on.
func (e *env) goBench(ctx context.Context) {
	dir := filepath.Join(e.work, "gobench")
	_ = os.MkdirAll(dir, 0o755)
	testBin := filepath.Join(dir, "bench.test")
	logf("building the in-process benchmarks")
	build := exec.CommandContext(ctx, goTool(), "test", "-c", "-o", testBin, "./internal/bench/")
	build.Dir = e.o.root
	if out, err := build.CombinedOutput(); err != nil {
		e.rep.GoBenchErr = fmt.Sprintf("go test -c failed: %v\n%s", err, out)
		logf("%s", e.rep.GoBenchErr)
		return
	}
	runBench := func(extra ...string) (string, error) {
		args := append([]string{"-test.run", "^$", "-test.benchmem"}, extra...)
		cmd := exec.CommandContext(ctx, testBin, args...)
		cmd.Dir = dir
		cmd.Env = benchEnv()
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	e.rep.GoBenchCmd = fmt.Sprintf("go test -run '^$' -bench . -benchmem -benchtime %s -count %d ./internal/bench/", e.o.benchTime, e.o.benchCount)
	logf("running: %s", e.rep.GoBenchCmd)
	out, err := runBench("-test.bench", ".", "-test.benchtime", e.o.benchTime, "-test.count", strconv.Itoa(e.o.benchCount))
	if err != nil {
		e.rep.GoBenchErr = fmt.Sprintf("benchmarks failed: %v\n%s", err, lastLines(out, 20))
		logf("%s", e.rep.GoBenchErr)
		return
	}
	e.rep.GoBench = parseGoBench(out)
	for _, r := range e.rep.GoBench {
		logf("  %-36s %10.0f ns/op %6.0f allocs/op", r.Name, r.Metrics["ns/op"], r.Metrics["allocs/op"])
	}

	// The dispatch decision as Dispatch runs it per request (host/route's
	// own benchmark: resolve + strategy over 100 targets, weighted placing
	// only the first candidate), the "router/dispatch decision".
	routeCmd := exec.CommandContext(ctx, goTool(), "test", "-run", "^$", "-bench", "^BenchmarkDispatchDecision$", "-benchmem",
		"-benchtime", e.o.benchTime, "-count", strconv.Itoa(e.o.benchCount), "./host/route/")
	routeCmd.Dir = e.o.root
	routeCmd.Env = benchEnv()
	if out, err := routeCmd.CombinedOutput(); err != nil {
		logf("host/route dispatch benchmark failed (row skipped): %v %s", err, lastLines(string(out), 5))
	} else {
		e.rep.GoBenchRoute = parseGoBench(string(out))
		e.rep.GoBenchRouteCmd = fmt.Sprintf("go test -run '^$' -bench '^BenchmarkDispatchDecision$' -benchmem -benchtime %s -count %d ./host/route/", e.o.benchTime, e.o.benchCount)
		for _, r := range e.rep.GoBenchRoute {
			logf("  %-36s %10.0f ns/op %6.0f allocs/op", r.Name, r.Metrics["ns/op"], r.Metrics["allocs/op"])
		}
	}

	// What-if: the same decode and resolve with encoding/json's v2
	// implementation (GOEXPERIMENT=jsonv2), the cheapest fix for the
	// decode cost.
	v2Bin := filepath.Join(dir, "bench-jsonv2.test")
	v2 := exec.CommandContext(ctx, goTool(), "test", "-c", "-o", v2Bin, "./internal/bench/")
	v2.Dir = e.o.root
	v2.Env = append(os.Environ(), "GOEXPERIMENT=jsonv2")
	if out, err := v2.CombinedOutput(); err != nil {
		logf("GOEXPERIMENT=jsonv2 build failed (what-if skipped): %v %s", err, lastLines(string(out), 3))
	} else {
		cmd := exec.CommandContext(ctx, v2Bin, "-test.run", "^$", "-test.benchmem", "-test.bench", "^Benchmark(DecodeNativeChat|DecodeNativeChatUnmarshal|RouterResolve)$",
			"-test.benchtime", e.o.benchTime, "-test.count", strconv.Itoa(e.o.benchCount))
		cmd.Dir = dir
		cmd.Env = benchEnv()
		if out, err := cmd.CombinedOutput(); err == nil {
			e.rep.GoBenchV2 = parseGoBench(string(out))
			e.rep.GoBenchV2Cmd = fmt.Sprintf("GOEXPERIMENT=jsonv2 go test -run '^$' -bench '^Benchmark(DecodeNativeChat|DecodeNativeChatUnmarshal|RouterResolve)$' -benchmem -benchtime %s -count %d ./internal/bench/", e.o.benchTime, e.o.benchCount)
		}
	}

	profiles := []struct {
		key, bench, title, index string
		mem                      bool
	}{
		{"decision", "^Benchmark(DecodeNativeChat|RouterChatCancelled)$", "CPU: native body decode + Router.Chat with a cancelled context (resolve, no I/O), in-process", "", false},
		{"decision", "^Benchmark(DecodeNativeChat|RouterChatCancelled)$", "allocations: native body decode + Router.Chat with a cancelled context, in-process", "alloc_objects", true},
		{"unary", "^BenchmarkNativeHandlerChat$", "CPU: whole native chat route in-process (handler → router → gRPC → echo plugin)", "", false},
		{"stream", "^BenchmarkNativeHandlerChatStream$", "CPU: whole native streamed chat route in-process (18 SSE events per call)", "", false},
	}
	for i, p := range profiles {
		if ctx.Err() != nil {
			return
		}
		file := filepath.Join(dir, fmt.Sprintf("prof-%d.out", i))
		args := []string{"-test.bench", p.bench, "-test.benchtime", "2s"}
		flagName := "-test.cpuprofile"
		if p.mem {
			flagName = "-test.memprofile"
			args = append(args, "-test.memprofilerate", "1")
		}
		args = append(args, flagName, file)
		if _, err := runBench(args...); err != nil {
			logf("profiling %s: %v", p.bench, err)
			continue
		}
		kind := "-cpuprofile"
		if p.mem {
			kind = "-memprofile -memprofilerate 1"
		}
		idx := ""
		if p.index != "" {
			idx = " -sample_index " + p.index
		}
		e.rep.Profiles = append(e.rep.Profiles, profile{Key: p.key, Title: p.title,
			Command: fmt.Sprintf("go test -run '^$' -bench '%s' -benchtime 2s %s prof.out ./internal/bench/ && go tool pprof -top%s bench.test prof.out", p.bench, kind, idx),
			Text:    pprofTop(ctx, testBin, file, p.index, 25)})
	}
}

// benchEnv is the environment of the benchmark binary: no proxies, no
// ROUNDHOUSE_* overrides that would change the test host's config.
func benchEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(k, "ROUNDHOUSE_") || strings.EqualFold(k, "http_proxy") || strings.EqualFold(k, "https_proxy") {
			continue
		}
		env = append(env, kv)
	}
	return env
}
