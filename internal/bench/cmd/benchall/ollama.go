package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/roundhouse-ai/roundhouse/client"
	"github.com/roundhouse-ai/roundhouse/internal/bench/floor"
	"github.com/roundhouse-ai/roundhouse/internal/bench/harness"
	"github.com/roundhouse-ai/roundhouse/internal/bench/load"
	"github.com/roundhouse-ai/roundhouse/internal/testbed"
	"github.com/roundhouse-ai/roundhouse/internal/testbed/gguf"
)

// ollamaTokens is how many tokens each Ollama stream generates.
const ollamaTokens = 32

// pOllamaBaseline is the -baseline build's host in the Ollama point.
const pOllamaBaseline = "baseline host /v1/services/chat"

// testOllama is the test-bed Ollama with the tiny model created.
type testOllama struct {
	*testbed.Ollama
	model   string
	setup   time.Duration
	version string
}

func (t *testOllama) Close() {
	if t != nil && t.Ollama != nil {
		t.Ollama.Close()
	}
}

// startOllama starts the test-bed Ollama and creates the tiny model, or
// records why the Ollama points are n/a.
func (e *env) startOllama(ctx context.Context) {
	na := func(why string) {
		e.rep.OllamaNA = why
		logf("ollama points: %s", why)
	}
	if e.o.noOllama {
		na("n/a (skipped: -no-ollama)")
		return
	}
	if ok, why := pluginBuilt(e.o.pluginDir, "ollama"); !ok {
		na(why)
		return
	}
	bin := e.o.ollamaBin
	if bin == "" {
		b, err := testbed.OllamaBinary()
		if err != nil {
			na("n/a (test bed not built: run make ollama)")
			return
		}
		bin = b
	}
	if _, err := os.Stat(bin); err != nil {
		na(fmt.Sprintf("n/a (no ollama binary at %s: run make ollama)", bin))
		return
	}
	logf("starting the test-bed Ollama (%s) and creating the tiny model", bin)
	t0 := time.Now()
	o, err := testbed.StartOllamaWith(ctx, testbed.OllamaOptions{Bin: bin, ModelsDir: filepath.Join(e.work, "ollama-models")})
	if err != nil {
		na("n/a (test-bed Ollama failed to start: " + firstLine(err.Error()) + ")")
		return
	}
	w, err := gguf.WriteModel(filepath.Join(e.work, "tiny"), gguf.Tiny())
	if err == nil {
		cctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
		err = o.Create(cctx, "tiny", w.Dir)
		cancel()
	}
	if err != nil {
		o.Close()
		na("n/a (creating the tiny model failed: " + firstLine(err.Error()) + ")")
		return
	}
	e.ollama = &testOllama{Ollama: o, model: "tiny", setup: time.Since(t0)}
	e.ollama.version = testbed.OllamaVersion()
	logf("test-bed Ollama on %s, model tiny ready in %v", o.Host(), e.ollama.setup.Round(time.Millisecond))
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	return s
}

// ollamaPoints streams chat from the tiny model direct (Ollama's own
// /api/chat, NDJSON) and through the host (native SSE), alternating.
func (e *env) ollamaPoints(ctx context.Context, h *harness.Host, ps []client.PluginStatus) {
	if e.ollama == nil {
		return
	}
	prompt := `"messages":[{"role":"user","content":"Once upon a time"}]`
	direct := load.Stream(load.NewClient(1), load.StreamSpec{NDJSON: true, Request: load.Request{
		URL:  e.ollama.URL() + "/api/chat",
		Body: []byte(fmt.Sprintf(`{"model":"tiny","stream":true,%s,"options":{"num_predict":%d,"temperature":0,"seed":1}}`, prompt, ollamaTokens))}})
	nativeBody := []byte(fmt.Sprintf(`{"provider":"ollama","model":"tiny","stream":true,%s,"options":{"max_tokens":%d,"temperature":0,"seed":1}}`, prompt, ollamaTokens))
	native := load.Stream(load.NewClient(1), load.StreamSpec{Request: load.Request{URL: h.URL + "/v1/services/chat", Body: nativeBody}})
	// Load the model before anything is timed, on both paths.
	for _, op := range []load.Op{direct, native} {
		pctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
		s := op(pctx, 0)
		cancel()
		if s.Err != nil {
			e.rep.OllamaNA = "n/a (priming failed: " + firstLine(s.Err.Error()) + ")"
			logf("ollama: %s", e.rep.OllamaNA)
			return
		}
	}
	logf("ollama stream, concurrency 1, %d tokens", ollamaTokens)
	procs := []proc{{"load generator", os.Getpid()}, {"host", h.Pid()}}
	if p, ok := harness.Find(ps, "ollama"); ok && p.PID != 0 {
		procs = append(procs, proc{"plugin ollama", p.PID})
	}
	// The floor in front of Ollama: the same hops, relaying /api/chat's
	// NDJSON line by line.
	ops := []namedOp{{name: pOllama, op: direct}}
	for _, f := range []struct {
		name string
		tls  bool
	}{{pFloor, false}, {pFloorTLS, true}} {
		fp, err := floor.Start(floor.Options{Upstream: e.ollama.URL(), Path: "/api/chat", NDJSON: true, TLS: f.tls,
			Log: filepath.Join(e.work, "ollama-"+f.name+".log")})
		if err != nil {
			ops = append(ops, namedOp{name: f.name, na: "n/a (floor did not start: " + firstLine(err.Error()) + ")"})
			continue
		}
		defer fp.Stop()
		procs = append(procs, proc{f.name, fp.Pid()}, proc{f.name + " plugin", fp.PluginPid})
		op := load.Stream(load.NewClient(1), load.StreamSpec{NDJSON: true, Request: load.Request{
			URL:  fp.URL + "/api/chat",
			Body: []byte(fmt.Sprintf(`{"model":"tiny","stream":true,%s,"options":{"num_predict":%d,"temperature":0,"seed":1}}`, prompt, ollamaTokens))}})
		ops = append(ops, namedOp{name: f.name, op: op})
	}
	ops = append(ops, namedOp{name: pNative, op: native})
	if e.base != nil && e.base.h != nil {
		// The -baseline build's host, attached to the same Ollama: same-run
		// before/after of the TTFT the host adds.
		ops = append(ops, namedOp{name: pOllamaBaseline, op: load.Stream(load.NewClient(1), load.StreamSpec{Request: load.Request{
			URL: e.base.url() + "/v1/services/chat", Body: nativeBody}})})
	}
	paths := measure(ctx, e.o, 1, ops, procs)
	sc := scenario{Title: fmt.Sprintf("Ollama chat stream (tiny model, up to %d tokens), concurrency 1", ollamaTokens),
		Stream: true, Concurrency: 1, Chunks: ollamaTokens, Paths: paths, Procs: procs}
	logScenario(sc)
	e.rep.Ollama = &sc
	var plugin proc
	if len(procs) > 2 && procs[2].Name == "plugin ollama" {
		plugin = procs[2]
	}
	e.profilePoint(ctx, h, e.pprofAddr, profPoint{key: "ollama", title: "Ollama chat streams through the host, concurrency 1",
		op: native, conc: 1, plugin: plugin})
	e.rep.OllamaInfo = fmt.Sprintf("test-bed Ollama %s on %s, model tiny (generated by internal/testbed/gguf, created in %v)",
		e.ollama.version, e.ollama.Host(), e.ollama.setup.Round(time.Millisecond))
}
