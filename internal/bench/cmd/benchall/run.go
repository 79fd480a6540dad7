package main

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/roundhouse-ai/roundhouse/client"
	"github.com/roundhouse-ai/roundhouse/internal/bench/harness"
	"github.com/roundhouse-ai/roundhouse/internal/bench/load"
	"github.com/roundhouse-ai/roundhouse/internal/bench/upstream"
)

// Stream lengths: short streams for time to first chunk, long ones for
// chunk throughput.
const (
	ttfcChunks       = 16
	throughputChunks = 256
	unaryConcHigh    = 32
	streamConcHigh   = 64
)

// path is one way to the same answer (direct, through the host, ...).
type path struct {
	Name string
	Res  *load.Result
	NA   string // why it was not measured
	// CPU each process spent while this path ran (recorded window and
	// its warm-ups), by process name; CPUWindow is the wall time that
	// CPU was measured over.
	CPU       map[string]time.Duration
	CPUWindow time.Duration
}

// scenario is one measurement point: the same load over several paths.
type scenario struct {
	Title       string
	Stream      bool
	Concurrency int
	Chunks      int
	Paths       []path
	Procs       []proc // whose CPU was measured
}

// proc is a process whose CPU time a scenario accounts.
type proc struct {
	Name string
	Pid  int
}

// machineKey holds the whole machine's busy CPU in a snapshot.
const machineKey = "\x00machine"

func cpuSnapshot(ps []proc) map[string]time.Duration {
	m := make(map[string]time.Duration, len(ps)+1)
	for _, p := range ps {
		if d, err := harness.CPUTime(p.Pid); err == nil {
			m[p.Name] = d
		}
	}
	if d, err := harness.MachineBusy(); err == nil {
		m[machineKey] = d
	}
	return m
}

func (s *scenario) path(name string) *path {
	for i := range s.Paths {
		if s.Paths[i].Name == name {
			return &s.Paths[i]
		}
	}
	return nil
}

// Path names.
const (
	pDirect = "direct to upstream"
	pNative = "host /v1/services/chat"
	pCompat = "host /v1/chat/completions"
	pOllama = "direct to Ollama /api/chat"
)

type namedOp struct {
	name string
	op   load.Op
	na   string
}

// measure runs every op at conc, alternating them round by round, and
// accounts the CPU time procs spend on each.
func measure(ctx context.Context, o options, conc int, ops []namedOp, procs []proc) []path {
	ops = slices.DeleteFunc(slices.Clone(ops), func(op namedOp) bool { return op.name == "" }) // paths not configured
	per := make([][]load.Result, len(ops))
	out := make([]path, len(ops))
	for i, op := range ops {
		out[i] = path{Name: op.name, NA: op.na, CPU: map[string]time.Duration{}}
	}
	slice := o.duration / time.Duration(o.rounds)
	for r := range o.rounds {
		for i, op := range ops {
			if op.na != "" || ctx.Err() != nil {
				continue
			}
			warm := 150 * time.Millisecond
			if r == 0 {
				warm = o.warmup
			}
			c0, t0 := cpuSnapshot(procs), time.Now()
			per[i] = append(per[i], load.Run(ctx, load.Config{Concurrency: conc, Warmup: warm, Duration: slice}, op.op))
			c1 := cpuSnapshot(procs)
			out[i].CPUWindow += time.Since(t0)
			for k, v := range c1 {
				out[i].CPU[k] += v - c0[k]
			}
		}
	}
	for i, op := range ops {
		switch {
		case op.na != "":
		case ctx.Err() != nil:
			out[i].NA = "n/a (interrupted)"
		case len(per[i]) > 0:
			res := load.Combine(per[i]...)
			out[i].Res = &res
		}
	}
	return out
}

// env is what a run has started.
type env struct {
	o        options
	work     string
	up       *upstreamProc
	ollama   *testOllama
	hostOpts harness.HostOptions
	openai   string // "" when the openai plugin is usable, else why not
	rep      *report
	floors   *floors
	base     *baseline
	// pprofAddr is where a host with the ROUNDHOUSE_PPROF hook serves
	// pprof.
	pprofAddr string
}

func run(ctx context.Context, o options) error {
	if err := preflight(&o); err != nil {
		return err
	}
	rep := &report{Started: time.Now(), Opts: o}
	rep.Machine = machine()
	rep.LoadStart = loadAvg()

	work, err := os.MkdirTemp("", "roundhouse-bench-")
	if err != nil {
		return err
	}
	if o.keep {
		logf("work directory: %s (kept)", work)
	} else {
		defer os.RemoveAll(work)
	}
	e := &env{o: o, work: work, rep: rep}

	logf("starting the upstream")
	if e.up, err = startUpstream(filepath.Join(work, "upstream.log")); err != nil {
		return err
	}
	defer e.up.Stop()
	logf("upstream on %s (pid %d)", e.up.Addr, e.up.Pid())

	if ok, why := pluginBuilt(o.pluginDir, "openai"); !ok {
		e.openai = why
	}
	if o.want("ollama") {
		e.startOllama(ctx)
		defer e.ollama.Close()
	} else {
		rep.OllamaNA = "n/a (skipped: -only)"
	}

	e.hostOpts = harness.HostOptions{
		Bin:        o.bin,
		PluginDirs: []string{o.pluginDir},
		Plugins:    e.pluginConfig(),
		// The 64-stream point must not trip the per-client stream cap
		// (default 64, exactly the point's concurrency).
		Limits: map[string]any{"max_streams_per_client": 1024},
		Env:    e.hostEnv(),
	}

	if o.want("cold") {
		if err := e.coldStarts(ctx); err != nil {
			return err
		}
	}
	if err := e.mainHost(ctx); err != nil {
		return err
	}
	if o.goBench && o.want("gobench") && ctx.Err() == nil {
		e.goBench(ctx)
	}
	if ctx.Err() != nil {
		return fmt.Errorf("interrupted; no report written (%w)", ctx.Err())
	}
	rep.LoadEnd = loadAvg()
	rep.Finished = time.Now()
	rep.evaluate()
	return rep.write(o.out)
}

// pluginConfig is the host's plugins section: the openai plugin forwards
// to the upstream; the ollama plugin attaches to the test-bed Ollama, or
// to a closed port when there is none (it still runs, for cold start and
// RSS).
func (e *env) pluginConfig() map[string]any {
	penv := map[string]any{}
	for k, v := range e.runtimeEnv() {
		penv[k] = v
	}
	engine := ""
	if e.ollama != nil {
		engine = e.ollama.Host()
	} else if p, err := harness.FreePort(); err == nil {
		engine = fmt.Sprintf("127.0.0.1:%d", p)
	}
	return map[string]any{
		"openai": map[string]any{
			"providers": []map[string]any{{
				"name": "fast", "base_url": e.up.URL,
				"api_keys": []map[string]any{{"value": apiKey}},
			}},
			"env": penv,
		},
		"ollama": map[string]any{
			"settings": map[string]any{"engine_host": engine, "manage_engine": false},
			"env":      penv,
		},
	}
}

// runtimeEnv is the Go runtime tuning (-gomaxprocs, -gogc) for the host
// and its plugins.
func (e *env) runtimeEnv() map[string]string {
	m := map[string]string{}
	if e.o.gomaxprocs > 0 {
		m["GOMAXPROCS"] = fmt.Sprint(e.o.gomaxprocs)
	}
	if e.o.gogc != "" {
		m["GOGC"] = e.o.gogc
	}
	return m
}

func (e *env) hostEnv() []string {
	var out []string
	for k, v := range e.runtimeEnv() {
		out = append(out, k+"="+v)
	}
	return out
}

// hostDir is a fresh directory for one host run.
func (e *env) hostDir(name string) (string, error) {
	d := filepath.Join(e.work, name)
	return d, os.MkdirAll(d, 0o755)
}

// coldStarts times exec → every plugin running, several times.
func (e *env) coldStarts(ctx context.Context) error {
	for i := range e.o.coldStarts {
		d, err := e.hostDir(fmt.Sprintf("cold-%d", i))
		if err != nil {
			return err
		}
		opts := e.hostOpts
		opts.Dir = d
		h, err := harness.StartHost(opts)
		if err != nil {
			return err
		}
		wctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		ps, at, err := h.WaitPlugins(wctx, 2*time.Millisecond, harness.AllRunning)
		cancel()
		h.Stop()
		if err != nil {
			return fmt.Errorf("cold start %d: %w", i+1, err)
		}
		dt := at.Sub(h.Started)
		e.rep.Cold = append(e.rep.Cold, dt)
		if i == 0 {
			for _, p := range ps {
				e.rep.ColdPlugins = append(e.rep.ColdPlugins, p.Name)
			}
		}
		logf("cold start %d: %v (%s)", i+1, dt.Round(time.Microsecond), harness.Describe(ps))
	}
	return nil
}

func (e *env) mainHost(ctx context.Context) error {
	d, err := e.hostDir("main")
	if err != nil {
		return err
	}
	opts := e.hostOpts
	opts.Dir = d
	pprofPort, _ := harness.FreePort()
	pprofAddr := fmt.Sprintf("127.0.0.1:%d", pprofPort)
	e.pprofAddr = pprofAddr
	// Forward-compatible: a host with the hook serves pprof there.
	opts.Env = append(slices.Clone(opts.Env), "ROUNDHOUSE_PPROF="+pprofAddr)
	h, err := harness.StartHost(opts)
	if err != nil {
		return err
	}
	defer h.Stop()
	wctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	ps, _, err := h.WaitPlugins(wctx, 5*time.Millisecond, harness.AllRunning)
	cancel()
	if err != nil {
		return fmt.Errorf("main host: %w", err)
	}
	if v, err := h.Version(ctx); err == nil {
		e.rep.HostVersion = v
	}
	logf("main host on %s: %s", h.Addr, harness.Describe(ps))
	if _, ok := harness.Find(ps, "openai"); !ok && e.openai == "" {
		e.openai = "n/a (openai plugin not discovered)"
	}

	// Idle RSS: plugins running, no traffic yet.
	time.Sleep(2 * time.Second)
	e.rep.Mem = e.readMem(ctx, h, ps)

	e.rep.PprofHook = probePprof(pprofAddr)

	procs := []proc{{"load generator", os.Getpid()}, {"upstream", e.up.Pid()}, {"host", h.Pid()}}
	if p, ok := harness.Find(ps, "openai"); ok && p.PID != 0 {
		procs = append(procs, proc{"plugin openai", p.PID})
	}
	var rssPids []int
	for _, p := range append(procs[2:], pluginProcs(ps, "openai")...) {
		rssPids = append(rssPids, p.Pid)
	}
	e.floors = e.startFloors()
	defer e.floors.stop()
	procs = append(procs, e.floors.procs()...)
	e.base = e.startBaseline(ctx)
	defer e.base.stop()
	procs = append(procs, e.base.procs(ctx)...)

	compatNA := e.probeCompat(ctx, h)
	if e.o.want("unary") {
		e.unary(ctx, h, compatNA, procs, rssPids)
	}
	if e.o.want("stream") {
		e.streams(ctx, h, compatNA, procs, rssPids)
	}
	if e.o.want("profile") {
		e.profile(ctx, h, ps, pprofAddr)
	}
	if ctx.Err() != nil {
		return nil
	}
	if e.o.want("restart") {
		e.restarts(ctx, h, ps)
		// The restarts changed the plugins' pids.
		if ps2, err := h.Plugins(ctx); err == nil {
			ps = ps2
		}
	}
	e.ollamaPoints(ctx, h, ps)
	return nil
}

// readMem reads the idle RSS of the host and each plugin.
func (e *env) readMem(ctx context.Context, h *harness.Host, ps []client.PluginStatus) []memRow {
	var rows []memRow
	if m, err := harness.ReadMem(h.Pid()); err == nil {
		rows = append(rows, memRow{Name: "host (roundhouse serve)", Pid: h.Pid(), Idle: m})
	}
	for _, p := range ps {
		if p.PID == 0 {
			continue
		}
		if m, err := harness.ReadMem(p.PID); err == nil {
			rows = append(rows, memRow{Name: "plugin " + p.Name, Plugin: p.Name, Pid: p.PID, Idle: m})
		}
	}
	return rows
}

func (e *env) notePeaks(peaks map[int]int64, stream bool) {
	for i := range e.rep.Mem {
		r := &e.rep.Mem[i]
		if v, ok := peaks[r.Pid]; ok {
			if stream {
				r.PeakStream = max(r.PeakStream, v)
			} else {
				r.PeakUnary = max(r.PeakUnary, v)
			}
		}
	}
}

// probeCompat says whether the host serves POST /v1/chat/completions
// ("" if it does, else why not).
func (e *env) probeCompat(ctx context.Context, h *harness.Host) string {
	if e.openai != "" {
		return e.openai
	}
	c := load.NewClient(1)
	s := load.Unary(c, load.Request{URL: h.URL + "/v1/chat/completions", Header: compatHeader,
		Body: []byte(`{"model":"` + upstream.Model + `","messages":[{"role":"user","content":"ping"}]}`)}, []byte(upstream.Reply))(ctx, 0)
	if s.Err != nil {
		if strings.Contains(s.Err.Error(), "HTTP 404") || strings.Contains(s.Err.Error(), "HTTP 405") {
			return "n/a (route not served by this host yet)"
		}
		return "n/a (probe failed: " + s.Err.Error() + ")"
	}
	return ""
}

var (
	upstreamAuth = http.Header{"Authorization": {"Bearer " + apiKey}}
	compatHeader = http.Header{"X-Roundhouse-Plugin": {"openai"}}
)

const msgs = `"messages":[{"role":"user","content":"ping"}]`

// pluginProcs are the running plugins but the one named skip.
func pluginProcs(ps []client.PluginStatus, skip string) []proc {
	var out []proc
	for _, p := range ps {
		if p.PID != 0 && p.Name != skip {
			out = append(out, proc{"plugin " + p.Name, p.PID})
		}
	}
	return out
}

func (e *env) unary(ctx context.Context, h *harness.Host, compatNA string, procs []proc, pids []int) {
	for _, conc := range []int{1, unaryConcHigh} {
		direct := load.Unary(newLoadClient(conc).c, load.Request{URL: e.up.URL + "/chat/completions", Header: upstreamAuth,
			Body: []byte(`{"model":"` + upstream.Model + `",` + msgs + `}`)}, []byte(upstream.Reply))
		native := load.Unary(newLoadClient(conc).c, load.Request{URL: h.URL + "/v1/services/chat",
			Body: []byte(`{"provider":"openai","model":"` + upstream.Model + `",` + msgs + `}`)}, []byte(upstream.Reply))
		compat := load.Unary(newLoadClient(conc).c, load.Request{URL: h.URL + "/v1/chat/completions", Header: compatHeader,
			Body: []byte(`{"model":"` + upstream.Model + `",` + msgs + `}`)}, []byte(upstream.Reply))
		floorOp := func(name string) namedOp {
			return namedOp{name: name, na: e.floors.na, op: load.Unary(newLoadClient(conc).c, load.Request{URL: e.floors.url(name) + "/v1/chat/completions",
				Body: []byte(`{"model":"` + upstream.Model + `",` + msgs + `}`)}, []byte(upstream.Reply))}
		}
		logf("non-stream, concurrency %d", conc)
		var smp *harness.Sampler
		if conc > 1 {
			smp = harness.SampleRSS(50*time.Millisecond, pids...)
		}
		paths := measure(ctx, e.o, conc, []namedOp{
			{name: pDirect, op: direct},
			floorOp(pFloor),
			floorOp(pFloorTLS),
			{name: pNative, op: native, na: e.openai},
			{name: pCompat, op: compat, na: compatNA},
			floorOp(pLease),
			e.base.op(load.Unary(newLoadClient(conc).c, load.Request{URL: e.base.url() + "/v1/chat/completions", Header: compatHeader,
				Body: []byte(`{"model":"` + upstream.Model + `",` + msgs + `}`)}, []byte(upstream.Reply))),
		}, procs)
		if smp != nil {
			e.notePeaks(smp.Stop(), false)
		}
		sc := scenario{Title: fmt.Sprintf("Non-stream chat, concurrency %d", conc), Concurrency: conc, Paths: paths, Procs: procs}
		logScenario(sc)
		e.rep.Unary = append(e.rep.Unary, sc)
	}
}

func (e *env) streams(ctx context.Context, h *harness.Host, compatNA string, procs []proc, pids []int) {
	for _, pt := range []struct{ conc, chunks int }{{1, ttfcChunks}, {streamConcHigh, throughputChunks}} {
		n := fmt.Sprint(pt.chunks)
		direct := load.Stream(newLoadClient(pt.conc).c, load.StreamSpec{Numbered: true, WantChunks: pt.chunks,
			Request: load.Request{URL: e.up.URL + "/chat/completions", Header: upstreamAuth,
				Body: []byte(`{"model":"` + upstream.Model + `","stream":true,"stream_options":{"include_usage":true},"max_tokens":` + n + `,` + msgs + `}`)}})
		native := load.Stream(newLoadClient(pt.conc).c, load.StreamSpec{Numbered: true, WantChunks: pt.chunks,
			Request: load.Request{URL: h.URL + "/v1/services/chat",
				Body: []byte(`{"provider":"openai","model":"` + upstream.Model + `","stream":true,"options":{"max_tokens":` + n + `},` + msgs + `}`)}})
		compat := load.Stream(newLoadClient(pt.conc).c, load.StreamSpec{Numbered: true, WantChunks: pt.chunks,
			Request: load.Request{URL: h.URL + "/v1/chat/completions", Header: compatHeader,
				Body: []byte(`{"model":"` + upstream.Model + `","stream":true,"max_tokens":` + n + `,` + msgs + `}`)}})
		floorOp := func(name string) namedOp {
			return namedOp{name: name, na: e.floors.na, op: load.Stream(newLoadClient(pt.conc).c, load.StreamSpec{Numbered: true, WantChunks: pt.chunks,
				Request: load.Request{URL: e.floors.url(name) + "/v1/chat/completions",
					Body: []byte(`{"model":"` + upstream.Model + `","stream":true,"stream_options":{"include_usage":true},"max_tokens":` + n + `,` + msgs + `}`)}})}
		}
		logf("stream, concurrency %d, %d chunks per stream", pt.conc, pt.chunks)
		var smp *harness.Sampler
		if pt.conc > 1 {
			smp = harness.SampleRSS(50*time.Millisecond, pids...)
		}
		paths := measure(ctx, e.o, pt.conc, []namedOp{
			{name: pDirect, op: direct},
			floorOp(pFloor),
			floorOp(pFloorTLS),
			{name: pNative, op: native, na: e.openai},
			{name: pCompat, op: compat, na: compatNA},
			floorOp(pLease),
			e.base.op(load.Stream(newLoadClient(pt.conc).c, load.StreamSpec{Numbered: true, WantChunks: pt.chunks,
				Request: load.Request{URL: e.base.url() + "/v1/chat/completions", Header: compatHeader,
					Body: []byte(`{"model":"` + upstream.Model + `","stream":true,"max_tokens":` + n + `,` + msgs + `}`)}})),
		}, procs)
		if smp != nil {
			e.notePeaks(smp.Stop(), true)
		}
		sc := scenario{Title: fmt.Sprintf("Streamed chat, concurrency %d, %d chunks per stream", pt.conc, pt.chunks),
			Stream: true, Concurrency: pt.conc, Chunks: pt.chunks, Paths: paths, Procs: procs}
		logScenario(sc)
		e.rep.Stream = append(e.rep.Stream, sc)
	}
}

type loadClient struct{ c *http.Client }

func newLoadClient(conc int) *loadClient { return &loadClient{c: load.NewClient(conc)} }

func logScenario(sc scenario) {
	for _, p := range sc.Paths {
		switch {
		case p.Res == nil:
			logf("  %-28s %s", p.Name, orNA(p.NA))
		case p.NA != "":
			logf("  %-28s %s", p.Name, p.NA)
		case sc.Stream:
			logf("  %-28s %8.0f streams/s  TTFC p50 %v p99 %v  %9.0f chunks/s  errors %d", p.Name, p.Res.RPS,
				us(p.Res.TTFC.P50), us(p.Res.TTFC.P99), p.Res.ChunksPerSec, p.Res.Errors)
		default:
			logf("  %-28s %8.0f req/s  p50 %v p99 %v  errors %d", p.Name, p.Res.RPS, us(p.Res.Latency.P50), us(p.Res.Latency.P99), p.Res.Errors)
		}
		if p.Res != nil && p.Res.FirstError != "" {
			logf("    first error: %s", p.Res.FirstError)
		}
	}
}

func us(d time.Duration) time.Duration { return d.Round(time.Microsecond) }

// restarts SIGKILLs each plugin once and times its return.
func (e *env) restarts(ctx context.Context, h *harness.Host, ps []client.PluginStatus) {
	names := make([]string, 0, len(ps))
	for _, p := range ps {
		if p.State == "running" {
			names = append(names, p.Name)
		}
	}
	slices.Sort(names)
	for _, n := range names {
		wctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		dt, old, nu, err := h.KillPlugin(wctx, n)
		cancel()
		r := restartRow{Plugin: n, OldPid: old, NewPid: nu, Took: dt}
		if err != nil {
			r.Err = err.Error()
			logf("restart %s: %v", n, err)
		} else {
			logf("restart %s after SIGKILL: %v (pid %d → %d)", n, dt.Round(time.Millisecond), old, nu)
		}
		e.rep.Restarts = append(e.rep.Restarts, r)
	}
}
