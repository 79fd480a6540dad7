// Command ttfttrace splits the time to first token of one streamed Ollama
// chat into hops, on the real test bed: direct to Ollama, through the
// floor (internal/bench/floor) and through the host, one request at a time,
// the paths in a fresh random order every round (so each follows every
// other equally often: a process that served the request just before is
// warmer than one that sat idle).
//
// Every path reaches Ollama through the same timestamping TCP relay, so
// each request is cut in three:
//
//	in:     the client starts the request → its /api/chat request line
//	        reaches the relay (host or floor: HTTP in, dispatch, gRPC,
//	        plugin, the plugin's HTTP request to Ollama)
//	ollama: the relay saw the whole request → Ollama's first answer bytes
//	out:    Ollama's first bytes at the relay → the client has the first
//	        NDJSON line / SSE event (plugin reads and decodes it, gRPC,
//	        host relays and flushes it)
//
// and other requests the path makes to Ollama meanwhile (/api/tags,
// /api/show...) are counted. The relay adds the same small cost to every
// path.
//
//	make build ollama
//	go run ./internal/bench/cmd/ttfttrace -n 300
//
// -baseline <dir with roundhouse and plugins/> adds another build as one
// more path: same-run before/after; -compat adds each host's
// Ollama-compatible /api/chat.
//
// The hops inside the host and the plugin (HTTP in → dispatch → gRPC →
// plugin → Ollama → first line → gRPC → host → flush) need marks in their
// code: hops.patch adds them (package internal/hoptrace, a no-op unless
// HOPTRACE_DIR is set). Apply it to a scratch copy of the tree, build
// there, and run this command from that copy with -hops against that
// build: it prints each path's median timeline (see notes-ttft.md in
// ../benchall).
package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptrace"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/roundhouse-ai/roundhouse/client"
	"github.com/roundhouse-ai/roundhouse/internal/bench/floor"
	"github.com/roundhouse-ai/roundhouse/internal/bench/harness"
	"github.com/roundhouse-ai/roundhouse/internal/testbed"
	"github.com/roundhouse-ai/roundhouse/internal/testbed/gguf"
)

func main() {
	floor.Main() // re-executed as a floor front or plugin: never returns
	var (
		n        = flag.Int("n", 200, "requests per path")
		tokens   = flag.Int("tokens", 8, "tokens per answer (num_predict / max_tokens)")
		root     = flag.String("root", ".", "repository root (bin/roundhouse, bin/plugins)")
		baseline = flag.String("baseline", "", "another build (roundhouse and plugins/ as make build lays out bin/) to run as one more path")
		dump     = flag.Bool("dump", false, "print the first /api/chat request each path sent to Ollama")
		compat   = flag.Bool("compat", false, "also time each host's Ollama-compatible /api/chat")
		hops     = flag.Bool("hops", false, "collect the marks of a build instrumented with hops.patch and print each path's hop timeline")
	)
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, *n, *tokens, *root, *baseline, *dump, *compat, *hops)
	stop()
	harness.StopAll()
	if err != nil {
		fmt.Fprintln(os.Stderr, "ttfttrace:", err)
		os.Exit(1)
	}
}

// path is one way to Ollama.
type path struct {
	name   string
	url    string
	body   []byte
	ndjson bool
	recs   []rec
}

// rec is one request's timeline, all offsets from the client's start.
type rec struct {
	start       time.Time
	reqAtRelay  time.Duration // the /api/chat request line reached the relay
	reqDone     time.Duration // the relay forwarded the last request byte
	respAtRelay time.Duration // Ollama's first answer bytes reached the relay
	headers     time.Duration // the client got the first response byte
	first       time.Duration // the client has the first event/line
	others      []string      // other requests to Ollama meanwhile
}

func run(ctx context.Context, n, tokens int, root, baseline string, dump, compat, hops bool) error {
	root, err := filepath.Abs(root)
	if err != nil {
		return err
	}
	if baseline != "" {
		if baseline, err = filepath.Abs(baseline); err != nil {
			return err
		}
	}
	work, err := os.MkdirTemp("", "roundhouse-ttfttrace-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)
	var hopsDir string
	if hops {
		hopsDir = filepath.Join(work, "hops")
		if err := os.MkdirAll(hopsDir, 0o755); err != nil {
			return err
		}
		os.Setenv("HOPTRACE_DIR", hopsDir) // the floor processes inherit it
	}
	o, err := testbed.StartOllamaWith(ctx, testbed.OllamaOptions{ModelsDir: filepath.Join(work, "models")})
	if err != nil {
		return fmt.Errorf("start the test-bed Ollama (make ollama): %w", err)
	}
	defer o.Close()
	w, err := gguf.WriteModel(filepath.Join(work, "tiny"), gguf.Tiny())
	if err != nil {
		return err
	}
	if err := o.Create(ctx, "tiny", w.Dir); err != nil {
		return err
	}
	rl, err := startRelay(o.Host())
	if err != nil {
		return err
	}
	defer rl.Close()
	logf("ollama %s on %s, relay on %s", testbed.OllamaVersion(), o.Host(), rl.addr)

	prompt := `"messages":[{"role":"user","content":"Once upon a time"}]`
	ollamaBody := []byte(fmt.Sprintf(`{"model":"tiny","stream":true,%s,"options":{"num_predict":%d,"temperature":0,"seed":1}}`, prompt, tokens))
	nativeBody := []byte(fmt.Sprintf(`{"provider":"ollama","model":"tiny","stream":true,%s,"options":{"max_tokens":%d,"temperature":0,"seed":1}}`, prompt, tokens))
	paths := []*path{{name: "direct", url: "http://" + rl.addr + "/api/chat", body: ollamaBody, ndjson: true}}

	for _, tls := range []bool{false, true} {
		name := "floor"
		if tls {
			name += "+TLS"
		}
		fp, err := floor.Start(floor.Options{Upstream: "http://" + rl.addr, Path: "/api/chat", NDJSON: true, TLS: tls, Log: filepath.Join(work, name+".log")})
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		defer fp.Stop()
		paths = append(paths, &path{name: name, url: fp.URL + "/api/chat", body: ollamaBody, ndjson: true})
	}

	builds := []struct{ name, bin, plugins string }{{"host", filepath.Join(root, "bin/roundhouse"), filepath.Join(root, "bin/plugins")}}
	if baseline != "" {
		builds = append(builds, struct{ name, bin, plugins string }{"baseline", filepath.Join(baseline, "roundhouse"), filepath.Join(baseline, "plugins")})
	}
	for _, b := range builds {
		dir := filepath.Join(work, b.name)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return err
		}
		var henv []string
		penv := map[string]any{}
		if hopsDir != "" {
			henv, penv["HOPTRACE_DIR"] = []string{"HOPTRACE_DIR=" + hopsDir}, hopsDir
		}
		h, err := harness.StartHost(harness.HostOptions{Bin: b.bin, PluginDirs: []string{b.plugins}, Dir: dir, Env: henv,
			Plugins: map[string]any{
				"ollama":   map[string]any{"settings": map[string]any{"engine_host": rl.addr, "manage_engine": false}, "env": penv},
				"openai":   map[string]any{"disabled": true},
				"openvino": map[string]any{"disabled": true},
			},
			Limits: map[string]any{"max_streams_per_client": 1024}})
		if err != nil {
			return err
		}
		defer h.Stop()
		wctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		_, _, err = h.WaitPlugins(wctx, 10*time.Millisecond, func(ps []client.PluginStatus) bool {
			p, ok := harness.Find(ps, "ollama")
			return ok && p.State == "running"
		})
		cancel()
		if err != nil {
			return fmt.Errorf("%s: %w\n%s", b.name, err, h.LogTail(20))
		}
		paths = append(paths, &path{name: b.name, url: h.URL + "/v1/services/chat", body: nativeBody})
		if compat {
			paths = append(paths, &path{name: b.name + " /api/chat", url: h.URL + "/api/chat", body: ollamaBody, ndjson: true})
		}
	}

	hc := &http.Client{Transport: &http.Transport{Proxy: nil, MaxIdleConnsPerHost: 8, DisableCompression: true}}
	// Load the model and warm every path (connections, caches).
	for _, p := range paths {
		for range 20 {
			if _, err := p.once(ctx, hc, rl); err != nil {
				return fmt.Errorf("warming %s: %w", p.name, err)
			}
		}
		if dump {
			fmt.Printf("%s sent: %s\n", p.name, rl.lastBody())
			if err := p.head(ctx, hc, 3); err != nil {
				return err
			}
		}
	}
	if hopsDir != "" { // drop the warm-up's marks
		ms, _ := filepath.Glob(filepath.Join(hopsDir, "*.hops"))
		for _, m := range ms {
			os.Remove(m)
		}
	}
	logf("%d requests per path, alternating, %d tokens each", n, tokens)
	// A fresh random order every round: each path follows every other
	// equally often (a process that just served the previous request is
	// warmer than one that sat idle).
	rnd := rand.New(rand.NewPCG(1, 2))
	order := make([]*path, len(paths))
	copy(order, paths)
	for range n {
		rnd.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
		for _, p := range order {
			r, err := p.once(ctx, hc, rl)
			if err != nil {
				return fmt.Errorf("%s: %w", p.name, err)
			}
			p.recs = append(p.recs, r)
		}
	}
	report(paths)
	if hopsDir != "" {
		return hopReport(paths, hopsDir)
	}
	return nil
}

// head prints the first n lines of one answer.
func (p *path) head(ctx context.Context, hc *http.Client, n int) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, p.url, bytes.NewReader(p.body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	br := bufio.NewReader(resp.Body)
	for i := 0; i < n; {
		line, err := br.ReadString('\n')
		if strings.TrimSpace(line) != "" {
			fmt.Printf("  %s answered: %s", p.name, line)
			i++
		}
		if err != nil {
			break
		}
	}
	_, err = io.Copy(io.Discard, br)
	return err
}

// once runs one streamed chat and reads the answer to its end.
func (p *path) once(ctx context.Context, hc *http.Client, rl *relay) (rec, error) {
	var r rec
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, p.url, bytes.NewReader(p.body))
	if err != nil {
		return r, err
	}
	req.Header.Set("Content-Type", "application/json")
	var t0 time.Time
	req = req.WithContext(httptrace.WithClientTrace(ctx, &httptrace.ClientTrace{
		GotFirstResponseByte: func() { r.headers = time.Since(t0) },
	}))
	rl.arm()
	t0 = time.Now()
	r.start = t0
	resp, err := hc.Do(req)
	if err != nil {
		return r, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(resp.Body)
		return r, fmt.Errorf("status %d: %s", resp.StatusCode, b)
	}
	br := bufio.NewReader(resp.Body)
	for {
		line, err := br.ReadBytes('\n')
		if t := bytes.TrimSpace(line); len(t) > 0 && (p.ndjson || bytes.HasPrefix(t, []byte("data:"))) {
			r.first = time.Since(t0)
			break
		}
		if err != nil {
			return r, fmt.Errorf("no event before %v", err)
		}
	}
	if _, err := io.Copy(io.Discard, br); err != nil {
		return r, err
	}
	ev := rl.take()
	if ev.reqAt.IsZero() || ev.respAt.IsZero() {
		return r, errors.New("the relay saw no /api/chat exchange")
	}
	r.reqAtRelay, r.reqDone, r.respAtRelay = ev.reqAt.Sub(t0), ev.reqDone.Sub(t0), ev.respAt.Sub(t0)
	r.others = ev.others
	return r, nil
}

func report(paths []*path) {
	med := func(p *path, f func(rec) time.Duration) time.Duration {
		v := make([]time.Duration, len(p.recs))
		for i, r := range p.recs {
			v[i] = f(r)
		}
		slices.Sort(v)
		return v[len(v)/2]
	}
	cols := []struct {
		name string
		f    func(rec) time.Duration
	}{
		{"in (→ relay)", func(r rec) time.Duration { return r.reqAtRelay }},
		{"req at relay", func(r rec) time.Duration { return r.reqDone - r.reqAtRelay }},
		{"ollama", func(r rec) time.Duration { return r.respAtRelay - r.reqDone }},
		{"out (relay → 1st event)", func(r rec) time.Duration { return r.first - r.respAtRelay }},
		{"in+out", func(r rec) time.Duration { return r.first - (r.respAtRelay - r.reqDone) - (r.reqDone - r.reqAtRelay) }},
		{"TTFT", func(r rec) time.Duration { return r.first }},
	}
	fmt.Printf("\n| path | n |")
	for _, c := range cols {
		fmt.Printf(" %s p50 |", c.name)
	}
	fmt.Printf(" other requests to Ollama |\n|---|---|")
	for range cols {
		fmt.Printf("---|")
	}
	fmt.Printf("---|\n")
	for _, p := range paths {
		others := map[string]int{}
		for _, r := range p.recs {
			for _, o := range r.others {
				others[o]++
			}
		}
		fmt.Printf("| %s | %d |", p.name, len(p.recs))
		for _, c := range cols {
			fmt.Printf(" %s |", fmtDur(med(p, c.f)))
		}
		fmt.Printf(" %v |\n", others)
	}
}

func fmtDur(d time.Duration) string {
	if d < time.Millisecond {
		return fmt.Sprintf("%d µs", d.Microseconds())
	}
	return fmt.Sprintf("%.2f ms", float64(d)/float64(time.Millisecond))
}

func logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "%s  %s\n", time.Now().Format("15:04:05.000"), fmt.Sprintf(format, args...))
}

// relay is a TCP relay in front of Ollama that timestamps the /api/chat
// exchange of the armed request.
type relay struct {
	ln       net.Listener
	addr     string
	upstream string

	mu       sync.Mutex
	cur      exchange
	body     []byte // the last /api/chat request as sent
	respHead []byte // the first bytes of its answer
}

type exchange struct {
	reqAt, reqDone, respAt time.Time
	others                 []string
}

func startRelay(upstream string) (*relay, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	rl := &relay{ln: ln, addr: ln.Addr().String(), upstream: upstream}
	go rl.serve()
	return rl, nil
}

func (rl *relay) Close() { rl.ln.Close() }

func (rl *relay) arm() {
	rl.mu.Lock()
	rl.cur = exchange{}
	rl.mu.Unlock()
}

func (rl *relay) take() exchange {
	rl.mu.Lock()
	defer rl.mu.Unlock()
	return rl.cur
}

func (rl *relay) lastBody() string {
	rl.mu.Lock()
	defer rl.mu.Unlock()
	return string(rl.body) + "\n--- answer head:\n" + string(rl.respHead)
}

func (rl *relay) serve() {
	for {
		c, err := rl.ln.Accept()
		if err != nil {
			return
		}
		go rl.conn(c)
	}
}

// conn relays one connection. Requests on it are sequential (HTTP/1.1
// without pipelining), so "the first answer bytes after a request" are
// that request's.
func (rl *relay) conn(c net.Conn) {
	defer c.Close()
	u, err := net.Dial("tcp", rl.upstream)
	if err != nil {
		return
	}
	defer u.Close()
	var (
		mu      sync.Mutex
		chat    bool // the request in flight is /api/chat
		waiting bool // no answer byte seen since the request
	)
	go func() {
		buf := make([]byte, 64<<10)
		for {
			n, err := u.Read(buf)
			if n > 0 {
				now := time.Now()
				mu.Lock()
				if waiting && chat {
					rl.mu.Lock()
					if rl.cur.respAt.IsZero() {
						rl.cur.respAt = now
						rl.respHead = append(rl.respHead[:0], buf[:min(n, 400)]...)
					}
					rl.mu.Unlock()
				}
				waiting = false
				mu.Unlock()
				if _, werr := c.Write(buf[:n]); werr != nil {
					return
				}
			}
			if err != nil {
				c.Close()
				return
			}
		}
	}()
	buf := make([]byte, 64<<10)
	for {
		n, err := c.Read(buf)
		if n > 0 {
			now := time.Now()
			b := buf[:n]
			mu.Lock()
			if i := bytes.IndexByte(b, ' '); i > 0 && isMethod(b[:i]) {
				line, _, _ := bytes.Cut(b, []byte("\r\n"))
				chat = bytes.Contains(line, []byte(" /api/chat "))
				waiting = true
				rl.mu.Lock()
				if chat {
					if rl.cur.reqAt.IsZero() {
						rl.cur.reqAt = now
					}
					rl.body = append(rl.body[:0], b...)
				} else {
					rl.cur.others = append(rl.cur.others, string(line))
				}
				rl.mu.Unlock()
			} else if chat {
				rl.mu.Lock()
				rl.body = append(rl.body, b...)
				rl.mu.Unlock()
			}
			mu.Unlock()
			if _, werr := u.Write(b); werr != nil {
				return
			}
			if chat {
				done := time.Now()
				rl.mu.Lock()
				if rl.cur.respAt.IsZero() {
					rl.cur.reqDone = done
				}
				rl.mu.Unlock()
			}
		}
		if err != nil {
			return
		}
	}
}

func isMethod(b []byte) bool {
	switch string(b) {
	case "GET", "POST", "PUT", "DELETE", "HEAD":
		return true
	}
	return false
}
