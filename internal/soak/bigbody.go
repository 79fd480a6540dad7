package soak

// Memory under large bodies: the real host and the real openai plugin
// against the bench upstream (which here drains and discards big request
// bodies), each scenario on a fresh host, the RSS of the host and the
// plugin sampled every 100 ms. Measures what the reliability issue asked
// for ("RSS under the 31 MiB × 10 scenario before and after"); run by
// internal/soak/cmd/bigbody (make bigbody).

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/roundhouse-ai/roundhouse/client"
	"github.com/roundhouse-ai/roundhouse/internal/bench/harness"
	"github.com/roundhouse-ai/roundhouse/internal/bench/upstream"
)

// BigScenario names a big-body scenario.
type BigScenario string

const (
	// BigChat is ten concurrent non-stream chats with a ~31 MiB user
	// message on POST /v1/chat/completions.
	BigChat BigScenario = "chat"
	// BigStall is twenty uploads to a media route that send their headers
	// and a few KB of a 31 MiB body, then stall.
	BigStall BigScenario = "stall"
)

// BigBodyCase is one scenario run on its own fresh host.
type BigBodyCase struct {
	Name     string
	Scenario BigScenario
	// Limits is the host config's limits map (nil: the host's defaults,
	// the only choice for a host that predates the admission keys).
	Limits map[string]any
	// LimitsNote says in words what Limits are, for the report.
	LimitsNote string
	// StallSend, for BigStall, is how much of its body each upload sends
	// before it stalls (0: BigBodyConfig.StallSend; negative: all but
	// that many bytes).
	StallSend int64
}

// BigBodyConfig is a big-body measurement.
type BigBodyConfig struct {
	// Bin is the roundhouse binary; PluginDir a plugin root holding
	// openai/ (other plugins there are disabled).
	Bin, PluginDir string
	// Label names the build in the report ("main", "0722a83").
	Label string
	Cases []BigBodyCase
	// Size of each body (default 31 MiB).
	Size int64
	// Chats run at once in BigChat (default 10); Uploads in BigStall
	// (default 20).
	Chats, Uploads int
	// StallSend is how much of its body a stalled upload sends (default
	// 4 KiB); StallHold how long it is held at most (default 75 s);
	// StallCheck the early count (default 10 s).
	StallSend             int
	StallHold, StallCheck time.Duration
	// ChatTimeout bounds each chat (default 3 min).
	ChatTimeout time.Duration
	// SampleEvery is the RSS sampling period (default 100 ms).
	SampleEvery time.Duration
	// ProfileDir, when set, serves the host's pprof (ROUNDHOUSE_PPROF) and
	// writes heap profiles taken before and after each case there.
	ProfileDir string
	// PluginEnv is added to the openai plugin's environment (its config's
	// env map), e.g. for an instrumented build.
	PluginEnv map[string]string
	// WorkDir holds each case's host dir (default: a temp dir, removed
	// unless Keep).
	WorkDir string
	Keep    bool
	Logf    func(format string, args ...any)
}

func (c *BigBodyConfig) defaults() {
	if c.Size <= 0 {
		c.Size = 31 << 20
	}
	if c.Chats <= 0 {
		c.Chats = 10
	}
	if c.Uploads <= 0 {
		c.Uploads = 20
	}
	if c.StallSend <= 0 {
		c.StallSend = 4 << 10
	}
	if c.StallHold <= 0 {
		c.StallHold = 75 * time.Second
	}
	if c.StallCheck <= 0 {
		c.StallCheck = 10 * time.Second
	}
	if c.ChatTimeout <= 0 {
		c.ChatTimeout = 3 * time.Minute
	}
	if c.SampleEvery <= 0 {
		c.SampleEvery = 100 * time.Millisecond
	}
	if c.Logf == nil {
		c.Logf = func(string, ...any) {}
	}
}

// ProcMem is one process's memory over a case.
type ProcMem struct {
	PID      int
	Baseline int64 // VmRSS when idle before the load
	Peak     int64 // highest VmRSS sampled during the load
	HWM      int64 // VmHWM at the end (peak RSS over the process's life)
	After    int64 // VmRSS a few seconds after the load
	PeakAt   time.Duration
	Err      string // the process could not be read (gone, restarted)
}

// StallConn is one stalled upload's fate.
type StallConn struct {
	Status     int           // HTTP status answered (0: none)
	AnsweredAt time.Duration // since the connection's request was sent
	ClosedAt   time.Duration // the host closed it (0: it did not)
	Err        string
}

// BigBodyResult is one case's measurement.
type BigBodyResult struct {
	Case    BigBodyCase
	Label   string
	Host    ProcMem
	Plugin  ProcMem
	Elapsed time.Duration
	// Statuses counts the chats' outcomes ("200", "413 invalid_argument",
	// "transport: ...") or, for stalls, the answers.
	Statuses map[string]int
	// Slowest is the longest a chat took to be answered.
	Slowest time.Duration
	// UpstreamRequests and UpstreamBytes are what reached the upstream.
	UpstreamRequests int64
	UpstreamBytes    int64
	// Stall counts: answered 429 within a second, still open (neither
	// answered nor closed) at StallCheck and at StallHold.
	Stall                   []StallConn
	Immediate429            int
	OpenAtCheck, OpenAtHold int
	StallCheck, StallHold   time.Duration
	// Profiles are the heap profiles written (before, after).
	Profiles []string
	LogPath  string
	Notes    []string
}

// bigUpstream is the bench upstream behind a handler that drains every
// chat body into io.Discard (counting it) and then lets the bench
// upstream answer its fixed non-stream reply: the upstream holds no copy
// of a big body, so the test process's memory stays small too.
type bigUpstream struct {
	srv      *http.Server
	URL      string
	requests atomic.Int64
	bytes    atomic.Int64
}

func startBigUpstream() (*bigUpstream, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	u := &bigUpstream{URL: "http://" + ln.Addr().String() + "/v1"}
	up := upstream.New(upstream.Options{APIKey: apiKey})
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost && r.URL.Path == "/v1/chat/completions" {
			n, err := io.Copy(io.Discard, r.Body)
			u.requests.Add(1)
			u.bytes.Add(n)
			if err != nil {
				http.Error(w, "unreadable body", http.StatusBadRequest)
				return
			}
			r.Body = io.NopCloser(strings.NewReader(`{"stream":false}`))
			r.ContentLength = -1
		}
		up.ServeHTTP(w, r)
	})
	u.srv = &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = u.srv.Serve(ln) }()
	return u, nil
}

func (u *bigUpstream) Close() {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	_ = u.srv.Shutdown(ctx)
	_ = u.srv.Close()
}

// memSampler follows the host's and the plugin's VmRSS.
type memSampler struct {
	stop, done chan struct{}
	began      time.Time
	mu         sync.Mutex
	procs      []*ProcMem
}

func sampleMem(every time.Duration, procs ...*ProcMem) *memSampler {
	s := &memSampler{stop: make(chan struct{}), done: make(chan struct{}), began: time.Now(), procs: procs}
	go func() {
		defer close(s.done)
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			now := time.Now()
			for _, p := range s.procs {
				if m, err := harness.ReadMem(p.PID); err == nil {
					s.mu.Lock()
					if m.RSS > p.Peak {
						p.Peak, p.PeakAt = m.RSS, now.Sub(s.began)
					}
					s.mu.Unlock()
				}
			}
			select {
			case <-s.stop:
				return
			case <-t.C:
			}
		}
	}()
	return s
}

func (s *memSampler) Stop() {
	close(s.stop)
	<-s.done
	for _, p := range s.procs {
		if m, err := harness.ReadMem(p.PID); err == nil {
			p.HWM = m.HWM
			p.Peak = max(p.Peak, m.RSS)
		} else {
			p.Err = err.Error()
		}
	}
}

// RunBigBody runs every case of cfg, each on a fresh host, one after the
// other. A case that could not run at all ends the run with an error.
func RunBigBody(ctx context.Context, cfg BigBodyConfig) ([]*BigBodyResult, error) {
	cfg.defaults()
	if _, err := os.Stat(filepath.Join(cfg.PluginDir, pluginName, pluginExe)); err != nil {
		return nil, fmt.Errorf("the openai plugin is not built under %s: %w (run make build)", cfg.PluginDir, err)
	}
	work := cfg.WorkDir
	if work == "" {
		d, err := os.MkdirTemp("", "roundhouse-bigbody-")
		if err != nil {
			return nil, err
		}
		work = d
		if !cfg.Keep {
			defer os.RemoveAll(work)
		}
	}
	body := chatBody(cfg.Size)
	var out []*BigBodyResult
	for i, c := range cfg.Cases {
		if ctx.Err() != nil {
			return out, ctx.Err()
		}
		cfg.Logf("[%s] case %s: %s (%s)", cfg.Label, c.Name, c.Scenario, c.LimitsNote)
		r, err := runBigCase(ctx, cfg, c, filepath.Join(work, fmt.Sprintf("%02d-%s", i, c.Name)), body)
		if err != nil {
			return out, fmt.Errorf("case %s: %w", c.Name, err)
		}
		cfg.Logf("[%s] %s: host %s, plugin %s, %s", cfg.Label, c.Name, r.Host.Arrow(), r.Plugin.Arrow(), r.Outcome())
		out = append(out, r)
	}
	return out, nil
}

// chatBody is an OpenAI chat request whose one user message makes the
// body size bytes long (plain text, nothing to escape).
func chatBody(size int64) []byte {
	head := `{"model":"` + upstream.Model + `","stream":false,"messages":[{"role":"user","content":"`
	tail := `"}]}`
	n := max(0, int(size)-len(head)-len(tail))
	b := make([]byte, 0, len(head)+n+len(tail))
	b = append(b, head...)
	const text = "the quick brown fox jumps over the lazy dog "
	for len(b) < len(head)+n {
		b = append(b, text[:min(len(text), len(head)+n-len(b))]...)
	}
	return append(b, tail...)
}

func runBigCase(ctx context.Context, cfg BigBodyConfig, c BigBodyCase, dir string, body []byte) (*BigBodyResult, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	up, err := startBigUpstream()
	if err != nil {
		return nil, err
	}
	defer up.Close()
	openai := map[string]any{
		"providers": []map[string]any{{
			"name": "fast", "base_url": up.URL,
			"api_keys": []map[string]any{{"value": apiKey}},
		}},
	}
	if len(cfg.PluginEnv) > 0 {
		openai["env"] = cfg.PluginEnv
	}
	plugins := map[string]any{pluginName: openai}
	if ents, err := os.ReadDir(cfg.PluginDir); err == nil {
		for _, e := range ents {
			if e.IsDir() && e.Name() != pluginName {
				plugins[e.Name()] = map[string]any{"disabled": true}
			}
		}
	}
	var env []string
	pprofAddr := ""
	if cfg.ProfileDir != "" {
		port, err := harness.FreePort()
		if err != nil {
			return nil, err
		}
		pprofAddr = "127.0.0.1:" + strconv.Itoa(port)
		env = append(env, "ROUNDHOUSE_PPROF="+pprofAddr)
	}
	h, err := harness.StartHost(harness.HostOptions{
		Bin: cfg.Bin, PluginDirs: []string{cfg.PluginDir}, Dir: dir, Plugins: plugins, Limits: c.Limits, Env: env,
	})
	if err != nil {
		return nil, err
	}
	defer h.Stop()
	res := &BigBodyResult{Case: c, Label: cfg.Label, Statuses: map[string]int{}, LogPath: h.LogPath}
	wctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	ps, _, err := h.WaitPlugins(wctx, 20*time.Millisecond, func(ps []client.PluginStatus) bool {
		p, ok := harness.Find(ps, pluginName)
		return ok && p.State == "running" && p.PID != 0
	})
	cancel()
	if err != nil {
		return nil, err
	}
	p, _ := harness.Find(ps, pluginName)
	res.Host.PID, res.Plugin.PID = h.Pid(), p.PID

	// Prime: one small chat through the whole path, so the setup is known
	// good and the baseline includes warmed-up connections.
	hc := &http.Client{Transport: &http.Transport{Proxy: nil, MaxIdleConnsPerHost: cfg.Chats, DisableCompression: true}}
	defer hc.CloseIdleConnections()
	pctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	st, detail := postChat(pctx, hc, h.URL, chatBody(512))
	cancel()
	if st != http.StatusOK {
		return nil, fmt.Errorf("priming chat: %s %s\n%s", strconv.Itoa(st), detail, h.LogTail(2000))
	}
	up.requests.Store(0)
	up.bytes.Store(0)
	hc.CloseIdleConnections()
	time.Sleep(time.Second)
	for _, pm := range []*ProcMem{&res.Host, &res.Plugin} {
		m, err := harness.ReadMem(pm.PID)
		if err != nil {
			return nil, err
		}
		pm.Baseline = m.RSS
	}
	if pprofAddr != "" {
		if f, err := saveHeap(ctx, pprofAddr, cfg.ProfileDir, cfg.Label+"-"+c.Name+"-before.pb.gz"); err != nil {
			res.Notes = append(res.Notes, "heap profile before: "+err.Error())
		} else {
			res.Profiles = append(res.Profiles, f)
		}
	}

	smp := sampleMem(cfg.SampleEvery, &res.Host, &res.Plugin)
	t0 := time.Now()
	switch c.Scenario {
	case BigChat:
		runChats(ctx, cfg, h.URL, hc, body, res)
	case BigStall:
		if err := runStalls(ctx, cfg, h.Addr, res); err != nil {
			smp.Stop()
			return nil, err
		}
	default:
		smp.Stop()
		return nil, fmt.Errorf("unknown scenario %q", c.Scenario)
	}
	res.Elapsed = time.Since(t0)
	hc.CloseIdleConnections()
	// Let the runtimes settle (a GC cycle, the scavenger) before "after".
	time.Sleep(3 * time.Second)
	smp.Stop()
	for _, pm := range []*ProcMem{&res.Host, &res.Plugin} {
		if m, err := harness.ReadMem(pm.PID); err == nil {
			pm.After = m.RSS
		}
	}
	res.UpstreamRequests, res.UpstreamBytes = up.requests.Load(), up.bytes.Load()
	if pprofAddr != "" {
		if f, err := saveHeap(ctx, pprofAddr, cfg.ProfileDir, cfg.Label+"-"+c.Name+"-after.pb.gz"); err != nil {
			res.Notes = append(res.Notes, "heap profile after: "+err.Error())
		} else {
			res.Profiles = append(res.Profiles, f)
		}
	}
	if ps, err := h.Plugins(ctx); err == nil {
		if q, ok := harness.Find(ps, pluginName); !ok || q.PID != res.Plugin.PID {
			res.Notes = append(res.Notes, fmt.Sprintf("the openai plugin did not survive (pid %d → %d, %s)", res.Plugin.PID, q.PID, harness.Describe(ps)))
		}
	}
	if h.Exited() {
		res.Notes = append(res.Notes, "the host exited:\n"+h.LogTail(2000))
	}
	return res, nil
}

// postChat sends one chat and returns its status and, for an error, the
// error body's code.
func postChat(ctx context.Context, hc *http.Client, base string, body []byte) (int, string) {
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, base+"/v1/chat/completions", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	resp, err := hc.Do(req)
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode == http.StatusOK {
		return resp.StatusCode, ""
	}
	var e struct {
		Error struct {
			Code    any    `json:"code"`
			Type    string `json:"type"`
			Message string `json:"message"`
		} `json:"error"`
	}
	if json.Unmarshal(b, &e) == nil && (e.Error.Code != nil || e.Error.Type != "") {
		if s, ok := e.Error.Code.(string); ok && s != "" {
			return resp.StatusCode, s
		}
		return resp.StatusCode, e.Error.Type
	}
	return resp.StatusCode, strings.TrimSpace(string(b[:min(len(b), 120)]))
}

func runChats(ctx context.Context, cfg BigBodyConfig, base string, hc *http.Client, body []byte, res *BigBodyResult) {
	var (
		mu      sync.Mutex
		wg      sync.WaitGroup
		startAt = make(chan struct{})
	)
	t0 := time.Now()
	for range cfg.Chats {
		wg.Go(func() {
			<-startAt
			rctx, cancel := context.WithTimeout(ctx, cfg.ChatTimeout)
			defer cancel()
			st, detail := postChat(rctx, hc, base, body)
			d := time.Since(t0)
			key := strconv.Itoa(st)
			switch {
			case st == 0:
				// Transport errors carry addresses and ports: keep the gist.
				key = "transport error"
				if i := strings.LastIndex(detail, ": "); i >= 0 {
					key += ": " + detail[i+2:]
				}
			case detail != "":
				key += " " + detail
			}
			mu.Lock()
			res.Statuses[key]++
			res.Slowest = max(res.Slowest, d)
			mu.Unlock()
		})
	}
	close(startAt)
	wg.Wait()
}

// runStalls opens cfg.Uploads connections, each sending the headers of a
// cfg.Size POST to /v1/services/speech-to-text and the first StallSend
// bytes of its body, and holds them until the host answers or closes
// them, or StallHold passes.
func runStalls(ctx context.Context, cfg BigBodyConfig, addr string, res *BigBodyResult) error {
	res.Stall = make([]StallConn, cfg.Uploads)
	res.StallCheck, res.StallHold = cfg.StallCheck, cfg.StallHold
	send := int64(cfg.StallSend)
	switch {
	case res.Case.StallSend > 0:
		send = res.Case.StallSend
	case res.Case.StallSend < 0:
		send = cfg.Size + res.Case.StallSend
	}
	send = max(0, min(send, cfg.Size-1))
	prefix := []byte(`{"model":"whisper-1","audio":"`)
	part := append(prefix, bytes.Repeat([]byte("A"), max(0, int(send)-len(prefix)))...)
	head := "POST /v1/services/speech-to-text HTTP/1.1\r\nHost: " + addr + "\r\nContent-Type: application/json\r\nContent-Length: " +
		strconv.FormatInt(cfg.Size, 10) + "\r\nUser-Agent: roundhouse-bigbody\r\n\r\n"
	var (
		mu    sync.Mutex
		wg    sync.WaitGroup
		conns []net.Conn
	)
	defer func() {
		for _, c := range conns {
			_ = c.Close()
		}
		wg.Wait()
	}()
	t0 := time.Now()
	for i := range cfg.Uploads {
		d := net.Dialer{Timeout: 5 * time.Second}
		c, err := d.DialContext(ctx, "tcp", addr)
		if err != nil {
			res.Stall[i].Err = err.Error()
			continue
		}
		conns = append(conns, c)
		sent := time.Now()
		// The body is written by its own goroutine: the host reads the
		// admitted ones and answers (and closes) the others, which may
		// reset the writer. A write error is not an outcome.
		wg.Go(func() {
			_ = c.SetWriteDeadline(time.Now().Add(cfg.StallHold))
			if _, err := c.Write([]byte(head)); err == nil {
				_, _ = c.Write(part)
			}
		})
		wg.Go(func() {
			br := bufio.NewReader(c)
			line, err := br.ReadString('\n')
			mu.Lock()
			if f := strings.Fields(line); len(f) >= 2 && strings.HasPrefix(f[0], "HTTP/") {
				res.Stall[i].Status, _ = strconv.Atoi(f[1])
				res.Stall[i].AnsweredAt = time.Since(sent)
			}
			mu.Unlock()
			if err == nil {
				_, err = io.Copy(io.Discard, br) // the rest, until the host closes
			}
			mu.Lock()
			defer mu.Unlock()
			if err == nil || errors.Is(err, io.EOF) || !errors.Is(err, net.ErrClosed) {
				res.Stall[i].ClosedAt = time.Since(sent)
				if err != nil && !errors.Is(err, io.EOF) {
					res.Stall[i].Err = err.Error()
				}
			}
		})
	}
	open := func() int {
		mu.Lock()
		defer mu.Unlock()
		n := 0
		for _, s := range res.Stall {
			if s.Err == "" && s.Status == 0 && s.ClosedAt == 0 {
				n++
			}
		}
		return n
	}
	wait := func(until time.Time) {
		for time.Now().Before(until) && ctx.Err() == nil && open() > 0 {
			time.Sleep(50 * time.Millisecond)
		}
	}
	wait(t0.Add(cfg.StallCheck))
	res.OpenAtCheck = open()
	cfg.Logf("[%s] %s: %d of %d uploads open at %v", cfg.Label, res.Case.Name, res.OpenAtCheck, cfg.Uploads, cfg.StallCheck)
	wait(t0.Add(cfg.StallHold))
	res.OpenAtHold = open()
	mu.Lock()
	defer mu.Unlock()
	for _, s := range res.Stall {
		key := "no answer"
		switch {
		case s.Status != 0:
			key = strconv.Itoa(s.Status)
			if s.Status == http.StatusTooManyRequests && s.AnsweredAt < time.Second {
				res.Immediate429++
			}
		case s.ClosedAt != 0:
			key = "closed without an answer"
		case s.Err != "":
			key = "error"
		}
		res.Statuses[key]++
	}
	return ctx.Err()
}

// saveHeap writes the host's heap profile (pprof on ROUNDHOUSE_PPROF).
func saveHeap(ctx context.Context, addr, dir, name string) (string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	ctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+addr+"/debug/pprof/heap?gc=1", nil)
	resp, err := (&http.Client{Transport: &http.Transport{Proxy: nil}}).Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("GET /debug/pprof/heap: HTTP %d", resp.StatusCode)
	}
	path := filepath.Join(dir, name)
	f, err := os.Create(path)
	if err != nil {
		return "", err
	}
	if _, err := io.Copy(f, resp.Body); err != nil {
		f.Close()
		return "", err
	}
	return path, f.Close()
}

// MiB formats bytes as whole MiB.
func MiB(b int64) string { return strconv.FormatInt((b+(1<<19))>>20, 10) + " MiB" }

// Arrow is "baseline → peak", with the settled value after the load.
func (p ProcMem) Arrow() string {
	if p.Err != "" {
		return MiB(p.Baseline) + " → ? (" + p.Err + ")"
	}
	peak := max(p.Peak, p.HWM)
	return fmt.Sprintf("%s → %s (%s after)", MiB(p.Baseline), MiB(peak), MiB(p.After))
}

// Outcome describes the statuses (and, for stalls, the open counts).
func (r *BigBodyResult) Outcome() string {
	keys := make([]string, 0, len(r.Statuses))
	for k := range r.Statuses {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var parts []string
	for _, k := range keys {
		parts = append(parts, fmt.Sprintf("%d× %s", r.Statuses[k], k))
	}
	s := strings.Join(parts, ", ")
	switch r.Case.Scenario {
	case BigChat:
		s += fmt.Sprintf("; all answered in %.1f s; upstream got %d bodies (%s)", r.Slowest.Seconds(), r.UpstreamRequests, MiB(r.UpstreamBytes))
	case BigStall:
		s += fmt.Sprintf("; %d× 429 at once; open at %v: %d, at %v: %d", r.Immediate429, r.StallCheck, r.OpenAtCheck, r.StallHold, r.OpenAtHold)
		var closed []time.Duration
		for _, c := range r.Stall {
			if c.Status != http.StatusTooManyRequests && (c.ClosedAt != 0 || c.Status != 0) {
				closed = append(closed, max(c.ClosedAt, c.AnsweredAt))
			}
		}
		if len(closed) > 0 {
			slices.Sort(closed)
			s += fmt.Sprintf("; the others ended after %.0f–%.0f s", closed[0].Seconds(), closed[len(closed)-1].Seconds())
		}
	}
	return s
}
