// Package soak runs the real host with the real openai plugin against the
// bench's fast upstream under sustained streaming load, SIGKILLs the
// plugin periodically, and checks that no stream ever loses chunks
// silently, that the only errors are the expected ones around a kill, and
// that the host's memory, file descriptors and goroutines do not grow.
//
// It reuses the benchmark harness (internal/bench/harness: process
// groups, host start, /proc readers), its load helpers (numbered-chunk
// checker) and its upstream (internal/bench/upstream).
package soak

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/roundhouse-ai/roundhouse/client"
	"github.com/roundhouse-ai/roundhouse/internal/bench/harness"
	"github.com/roundhouse-ai/roundhouse/internal/bench/load"
)

// pluginName is the plugin the soak streams through and kills.
const pluginName = "openai"

// pluginExe is its executable's name, checked before every kill.
const pluginExe = "roundhouse-plugin-openai"

// Config is one soak run.
type Config struct {
	// Bin is the roundhouse binary; PluginDir a plugin root holding
	// openai/{plugin.yaml,roundhouse-plugin-openai} (bin/plugins after
	// make build). Other plugins found there are disabled.
	Bin, PluginDir string
	// WorkDir holds the host's config, data and log (default: a temp
	// directory, removed afterwards unless Keep).
	WorkDir string
	Keep    bool

	// Duration of the load; the run takes a few seconds more to start,
	// drain and settle.
	Duration time.Duration
	// Clients stream concurrently, each one request at a time.
	Clients int
	// KillEvery is the period of the plugin SIGKILLs (0: never). Kills
	// fall mid-period (at KillEvery/2, 3·KillEvery/2, ...) so that every
	// reporting bucket of the same length holds exactly one.
	KillEvery time.Duration
	// Bucket is the reporting period (default 1m).
	Bucket time.Duration
	// Chunks per stream, each paced ChunkDelay apart by the upstream.
	Chunks     int
	ChunkDelay time.Duration
	// HangupShare of the streams are cancelled by their client at a
	// random chunk.
	HangupShare float64
	// Mix weighs the surfaces clients pick from (default OpenAI only).
	Mix map[API]int
	// MaxRequestsPerClient bounds each client's loop besides Duration.
	MaxRequestsPerClient int
	// SampleEvery is the host resource sampling period (default 5s).
	SampleEvery time.Duration
	// KillGrace is how long after the plugin runs again errors still
	// count as caused by the kill (default 5s): the supervisor waits up
	// to 1 s for a dead process before it says plugin_crashed
	// (host/supervisor.go waitDead), and on a loaded 2-core machine the
	// error of a stream can reach its client later still.
	KillGrace time.Duration
	// Margins for the resource checks.
	Margins Margins
	// Seed for the clients' choices (0: from the clock).
	Seed uint64
	// Logf reports progress (nil: silent).
	Logf func(format string, args ...any)
}

// Margins bound how much the host may grow. See DefaultMargins for why.
type Margins struct {
	// Skip the resource checks (runs too short to have a steady state).
	Skip bool
	// Last bucket's median vs the first's: RSS may grow by RSSPct percent
	// plus RSSBytes; FDs and Goroutines by their percent plus count.
	RSSPct     float64
	RSSBytes   int64
	FDPct      float64
	FDs        int
	GorPct     float64
	Goroutines int
	// Idle after the load (client connections closed, settled) vs idle
	// before it: by at most these counts.
	IdleFDs        int
	IdleGoroutines int
}

// DefaultMargins are the resource limits of a soak.
//
// Loaded medians (first vs last bucket) are noisy by nature: RSS follows
// the Go heap, which swings up to 2x the live heap between collections
// (GOGC=100) and is returned to the OS lazily; fds and goroutines follow
// how many of the 100 connections and streams are open at the sampling
// instant. So these margins are loose (RSS +25% + 16 MiB, fds and
// goroutines +15% + 20) and catch only steady per-request growth: a leak
// of one goroutine or fd per 100 requests adds ~120 a minute at ~200
// streams/s, and 1 KiB per request ~12 MiB a minute.
//
// The idle comparison is the sharp one: with the load stopped and the
// clients' connections closed, the host should be back where it was
// before the load, give or take a few transient goroutines (health
// checks, the pprof handler itself) and fds (a connection in TIME_WAIT
// teardown). Anything that leaks per plugin restart (a gRPC connection,
// log pipes, a supervisor goroutine) shows there: +8 fds or +16
// goroutines after a few kills is a leak, not noise.
func DefaultMargins() Margins {
	return Margins{RSSPct: 25, RSSBytes: 16 << 20, FDPct: 15, FDs: 20, GorPct: 15, Goroutines: 20,
		IdleFDs: 8, IdleGoroutines: 16}
}

func (c *Config) defaults() {
	if c.Duration <= 0 {
		c.Duration = 10 * time.Minute
	}
	if c.Clients <= 0 {
		c.Clients = 100
	}
	if c.Bucket <= 0 {
		c.Bucket = time.Minute
	}
	if c.Chunks < 2 {
		c.Chunks = 50
	}
	if c.ChunkDelay < 0 {
		c.ChunkDelay = 0
	}
	if len(c.Mix) == 0 {
		c.Mix = map[API]int{APIOpenAI: 1}
	}
	if c.MaxRequestsPerClient <= 0 {
		c.MaxRequestsPerClient = 1_000_000
	}
	if c.SampleEvery <= 0 {
		c.SampleEvery = 5 * time.Second
	}
	if c.KillGrace <= 0 {
		c.KillGrace = 5 * time.Second
	}
	if c.Seed == 0 {
		c.Seed = uint64(time.Now().UnixNano())
	}
	if c.Logf == nil {
		c.Logf = func(string, ...any) {}
	}
}

// Kill is one plugin SIGKILL.
type Kill struct {
	At        time.Time
	OldPID    int
	NewPID    int           // 0: never came back
	Restarted time.Duration // kill → running again under a new pid
	Err       string        // why the kill or the restart failed
}

// event is a stream outcome worth keeping individually (anything but a
// completion or a hang-up), classified once the kill windows are known.
type event struct {
	At time.Time
	Outcome
}

// Bucket is one reporting period. Outcomes count in the bucket in which
// they ended.
type Bucket struct {
	Start        time.Duration // since the load began
	Requests     int
	Completed    int
	Hangups      int
	Expected     int // errors caused by a kill, with an expected code
	Unexpected   int // any other error (transport failures included)
	SilentLosses int
	Disorders    int
	Transport    int
	// ErrorsByKind counts Failed and Transport outcomes by "HTTP 503
	// plugin_crashed", "stream plugin_crashed" (an error event after
	// chunks) or "transport".
	ErrorsByKind map[string]int
	// Chunks of completed streams: received and expected.
	ChunksGot, ChunksWant int64
	HangupChunks          int64 // received by streams hung up on
	Kills                 []Kill
	Samples               []Resources
	// Medians of Samples (0 without samples).
	RSS             int64
	FDs, Goroutines int
	APIRequests     map[API]int
}

// Result is a finished soak.
type Result struct {
	Config     Config
	Began      time.Time
	Ended      time.Time
	HostPID    int
	Buckets    []*Bucket
	Kills      []Kill
	IdleBefore Resources
	IdleAfter  Resources
	// Examples of each bad outcome, for the report.
	Examples map[string][]string
	// Failures are the reasons the soak fails; empty: it passed.
	Failures []string
	Totals   Bucket
	LogPath  string
	// GrownStacks are the host's goroutine stacks more numerous when idle
	// after the load than before it, most grown first.
	GrownStacks []string
}

// recorder collects outcomes from the clients.
type recorder struct {
	mu      sync.Mutex
	began   time.Time
	bucket  time.Duration
	buckets []*Bucket
	events  []event
}

func (r *recorder) at(t time.Time) *Bucket {
	i := int(t.Sub(r.began) / r.bucket)
	return r.buckets[max(0, min(i, len(r.buckets)-1))]
}

func (r *recorder) add(t time.Time, o Outcome) {
	r.mu.Lock()
	defer r.mu.Unlock()
	b := r.at(t)
	b.Requests++
	b.APIRequests[o.API]++
	switch o.Kind {
	case Completed:
		b.Completed++
		b.ChunksGot += int64(o.Chunks)
		b.ChunksWant += int64(o.Want)
	case Hangup:
		b.Hangups++
		b.HangupChunks += int64(o.Chunks)
	default:
		r.events = append(r.events, event{At: t, Outcome: o})
	}
}

func (r *recorder) addSample(s Resources) {
	r.mu.Lock()
	defer r.mu.Unlock()
	b := r.at(s.At)
	b.Samples = append(b.Samples, s)
}

// expectedCodes are the errors a plugin kill may cause: the in-flight
// calls' plugin_crashed, and service_unavailable/unavailable for a call
// whose connection broke while the supervisor had not yet seen the
// process die (host/supervisor.go crashedDuring).
//
// plugin_unavailable (with Retry-After) answers requests that arrive
// while the plugin waits out its restart backoff.
var expectedCodes = map[string]bool{"plugin_crashed": true, "plugin_unavailable": true, "service_unavailable": true, "unavailable": true}

// Run runs the soak. It returns an error when the soak could not run at
// all; a soak that ran and found problems returns a Result with Failures.
func Run(ctx context.Context, cfg Config) (*Result, error) {
	cfg.defaults()
	logf := cfg.Logf
	if _, err := os.Stat(filepath.Join(cfg.PluginDir, pluginName, pluginExe)); err != nil {
		return nil, fmt.Errorf("the openai plugin is not built under %s: %w (run make build)", cfg.PluginDir, err)
	}
	work := cfg.WorkDir
	if work == "" {
		d, err := os.MkdirTemp("", "roundhouse-soak-")
		if err != nil {
			return nil, err
		}
		work = d
		if !cfg.Keep {
			defer os.RemoveAll(work)
		}
	}
	hostDir := filepath.Join(work, "host")
	if err := os.MkdirAll(hostDir, 0o755); err != nil {
		return nil, err
	}

	up, err := startUpstream(cfg.ChunkDelay)
	if err != nil {
		return nil, err
	}
	defer up.Close()
	logf("upstream on %s (%d chunks per stream, %v apart)", up.URL, cfg.Chunks, cfg.ChunkDelay)

	plugins := map[string]any{
		pluginName: map[string]any{
			"providers": []map[string]any{{
				"name": "fast", "base_url": up.URL,
				"api_keys": []map[string]any{{"value": apiKey}},
			}},
		},
	}
	// Only the openai plugin runs: the first-party ollama plugin would
	// look for an engine, and its restarts are not what this measures.
	if ents, err := os.ReadDir(cfg.PluginDir); err == nil {
		for _, e := range ents {
			if e.IsDir() && e.Name() != pluginName {
				plugins[e.Name()] = map[string]any{"disabled": true}
			}
		}
	}
	h, err := harness.StartHost(harness.HostOptions{
		Bin: cfg.Bin, PluginDirs: []string{cfg.PluginDir}, Dir: hostDir, Plugins: plugins,
		// 100 clients on one loopback address must not trip the native
		// API's per-client stream cap (default 64).
		Limits: map[string]any{"max_streams_per_client": 4 * cfg.Clients},
	})
	if err != nil {
		return nil, err
	}
	defer h.Stop()
	res := &Result{Config: cfg, HostPID: h.Pid(), Examples: map[string][]string{}, LogPath: h.LogPath}
	if cfg.Keep {
		logf("work directory %s (host log %s)", work, h.LogPath)
	}
	wctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	_, _, err = h.WaitPlugins(wctx, 20*time.Millisecond, func(ps []client.PluginStatus) bool {
		p, ok := harness.Find(ps, pluginName)
		return ok && p.State == "running" && p.PID != 0
	})
	cancel()
	if err != nil {
		return nil, err
	}

	admin := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{Proxy: nil, MaxIdleConnsPerHost: 2}}
	defer admin.CloseIdleConnections()
	hc := load.NewClient(cfg.Clients)
	defer hc.CloseIdleConnections()

	// Prime: every surface must stream one whole answer before the load,
	// or the setup is wrong and nothing after would mean anything.
	for api := range cfg.Mix {
		pctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		o := newRequest(h.URL, api, cfg.Chunks).do(pctx, hc, 0)
		cancel()
		if o.Kind != Completed {
			return nil, fmt.Errorf("priming %s: %s %s\n%s", api, o.Kind, o.Detail, h.LogTail(2000))
		}
	}
	hc.CloseIdleConnections()
	time.Sleep(time.Second)
	if res.IdleBefore, err = sample(ctx, admin, h.URL, h.Pid()); err != nil {
		return nil, fmt.Errorf("sampling the host: %w", err)
	}
	logf("host pid %d idle: %s", h.Pid(), fmtRes(res.IdleBefore))
	stacksBefore, err := goroutineStacks(ctx, admin, h.URL)
	if err != nil {
		return nil, fmt.Errorf("reading the host's goroutine profile: %w", err)
	}

	nb := int((cfg.Duration + cfg.Bucket - 1) / cfg.Bucket)
	rec := &recorder{bucket: cfg.Bucket}
	for i := range nb {
		rec.buckets = append(rec.buckets, &Bucket{Start: time.Duration(i) * cfg.Bucket, ErrorsByKind: map[string]int{}, APIRequests: map[API]int{}})
	}
	rec.began = time.Now()
	res.Began = rec.began
	end := rec.began.Add(cfg.Duration)
	logf("load: %d clients for %v, kill every %v", cfg.Clients, cfg.Duration, cfg.KillEvery)

	var wg sync.WaitGroup
	// Clients.
	// A request arriving while the plugin restarts waits for it (host
	// Plugin.Conn), up to the supervisor's 30 s maximum backoff: the
	// timeout allows that plus a slow stream, so only a real stall trips it.
	reqTimeout := 60*time.Second + time.Duration(cfg.Chunks+1)*cfg.ChunkDelay*4
	apis, weights := mixTable(cfg.Mix)
	for w := range cfg.Clients {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(cfg.Seed, uint64(w)))
			for range cfg.MaxRequestsPerClient {
				if ctx.Err() != nil || !time.Now().Before(end) {
					return
				}
				api := pick(rng, apis, weights)
				hang := 0
				if rng.Float64() < cfg.HangupShare {
					hang = 1 + rng.IntN(cfg.Chunks-1)
				}
				rctx, cancel := context.WithTimeout(ctx, reqTimeout)
				o := newRequest(h.URL, api, cfg.Chunks).do(rctx, hc, hang)
				cancel()
				if ctx.Err() != nil {
					return // interrupted: not the host's doing
				}
				rec.add(time.Now(), o)
				if o.RetryAfter > 0 { // honour Retry-After, as a real client would
					select {
					case <-time.After(o.RetryAfter):
					case <-ctx.Done():
						return
					}
				}
			}
		})
	}
	// Sampler.
	wg.Go(func() {
		t := time.NewTicker(cfg.SampleEvery)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case now := <-t.C:
				if !now.Before(end) {
					return
				}
				s, err := sample(ctx, admin, h.URL, h.Pid())
				if err != nil {
					logf("sample: %v", err)
					continue
				}
				rec.addSample(s)
			}
		}
	})
	// Killer.
	var kills []Kill
	if cfg.KillEvery > 0 {
		wg.Go(func() {
			for k := 0; ; k++ {
				at := rec.began.Add(cfg.KillEvery/2 + time.Duration(k)*cfg.KillEvery)
				if !at.Before(end) {
					return
				}
				select {
				case <-ctx.Done():
					return
				case <-time.After(time.Until(at)):
				}
				kl := killOnce(ctx, h)
				if kl.Err != "" {
					logf("kill %d: %s", k+1, kl.Err)
				} else {
					logf("kill %d: pid %d → %d in %v", k+1, kl.OldPID, kl.NewPID, kl.Restarted.Round(time.Millisecond))
				}
				rec.mu.Lock()
				kills = append(kills, kl)
				rec.at(kl.At).Kills = append(rec.at(kl.At).Kills, kl)
				rec.mu.Unlock()
			}
		})
	}
	// Progress.
	wg.Go(func() {
		for i := 1; i <= nb; i++ {
			select {
			case <-ctx.Done():
				return
			case <-time.After(time.Until(rec.began.Add(time.Duration(i) * cfg.Bucket))):
			}
			rec.mu.Lock()
			b := rec.buckets[i-1]
			logf("%v: %d requests, %d completed, %d hang-ups, %d other outcomes so far", b.Start+cfg.Bucket, b.Requests, b.Completed, b.Hangups, len(rec.events))
			rec.mu.Unlock()
		}
	})
	wg.Wait()
	res.Ended = time.Now()
	if ctx.Err() != nil {
		return nil, fmt.Errorf("interrupted: %w", ctx.Err())
	}
	res.Kills = kills

	// Idle after: close the clients' connections so the host's side of
	// them goes, let restarts, health checks and TIME_WAITs settle.
	hc.CloseIdleConnections()
	time.Sleep(3 * time.Second)
	if res.IdleAfter, err = sample(ctx, admin, h.URL, h.Pid()); err != nil {
		res.Failures = append(res.Failures, "sampling the idle host after the load: "+err.Error())
	}
	logf("host idle after: %s", fmtRes(res.IdleAfter))
	if stacksAfter, err := goroutineStacks(ctx, admin, h.URL); err == nil {
		res.GrownStacks = grownStacks(stacksBefore, stacksAfter, 8)
	}
	if h.Exited() {
		res.Failures = append(res.Failures, "the host process exited during the soak:\n"+h.LogTail(2000))
	}
	res.Buckets = rec.buckets
	res.evaluate(rec.events)
	return res, nil
}

// killOnce SIGKILLs the plugin and waits for the supervisor to run it
// again under a new pid.
func killOnce(ctx context.Context, h *harness.Host) Kill {
	kl := Kill{At: time.Now()}
	ps, err := h.Plugins(ctx)
	if err != nil {
		kl.Err = "GET /v1/plugins: " + err.Error()
		return kl
	}
	p, ok := harness.Find(ps, pluginName)
	if !ok || p.State != "running" || p.PID == 0 {
		kl.Err = fmt.Sprintf("%v before the kill: %s", errNotRunning, harness.Describe(ps))
		return kl
	}
	kl.OldPID = p.PID
	kl.At = time.Now()
	if err := killPID(p.PID, pluginExe); err != nil {
		kl.Err = err.Error()
		return kl
	}
	// The supervisor's backoff doubles for a plugin that ran less than a
	// minute, up to 30 s (host/supervisor.go): wait past that plus a start.
	wctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	ps, at, err := h.WaitPlugins(wctx, 20*time.Millisecond, func(ps []client.PluginStatus) bool {
		q, ok := harness.Find(ps, pluginName)
		return ok && q.State == "running" && q.PID != 0 && q.PID != kl.OldPID
	})
	if err != nil {
		why, _, _ := strings.Cut(err.Error(), "\n") // not the log tail
		kl.Err = "no restart within 60s: " + why
		return kl
	}
	q, _ := harness.Find(ps, pluginName)
	kl.NewPID, kl.Restarted = q.PID, at.Sub(kl.At)
	return kl
}

func mixTable(m map[API]int) ([]API, []int) {
	var apis []API
	for a, w := range m {
		if w > 0 {
			apis = append(apis, a)
		}
	}
	slices.Sort(apis)
	ws := make([]int, len(apis))
	for i, a := range apis {
		ws[i] = m[a]
	}
	return apis, ws
}

func pick(rng *rand.Rand, apis []API, weights []int) API {
	total := 0
	for _, w := range weights {
		total += w
	}
	n := rng.IntN(total)
	for i, w := range weights {
		if n < w {
			return apis[i]
		}
		n -= w
	}
	return apis[len(apis)-1]
}

// inKillWindow reports whether t falls between a kill and KillGrace after
// the plugin ran again (or the end, when it never did).
func (r *Result) inKillWindow(t time.Time) bool {
	for _, k := range r.Kills {
		if k.OldPID == 0 {
			continue // no kill happened
		}
		until := r.Ended.Add(time.Hour)
		if k.NewPID != 0 {
			until = k.At.Add(k.Restarted + r.Config.KillGrace)
		}
		if !t.Before(k.At) && !t.After(until) {
			return true
		}
	}
	return false
}
