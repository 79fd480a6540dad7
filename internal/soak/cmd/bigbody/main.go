// Command bigbody measures the RSS of the real host and the real openai
// plugin under large request bodies (the reliability issue's "31 MiB ×
// 10" scenario), each case on a fresh host pointing a provider at the
// bench upstream on loopback, which drains and discards the bodies:
//
//   - chat-*: ten concurrent non-stream chats with a ~31 MiB user message
//     on POST /v1/chat/completions, under the default limits (413 at once)
//     and with limits.max_json_body_bytes raised to 32 MiB (the bodies go
//     host → plugin → upstream; with the default in-flight cap of 256 MiB
//     only eight fit at once, so a third case raises that too);
//   - stall-default: twenty uploads that send the headers of a 31 MiB
//     POST /v1/services/speech-to-text and 4 KiB of it, then stall, held
//     up to 75 s; stall-late: the same, but each sends all of its body
//     but the last KiB before it stalls (what the host then buffers).
//
// VmRSS of both processes is sampled every 100 ms; the report gives
// baseline → peak (peak is the highest sample or VmHWM).
//
//	make build && go run ./internal/soak/cmd/bigbody
//	go run ./internal/soak/cmd/bigbody -legacy -label 0722a83 -bin /tmp/old-bin/roundhouse -plugins /tmp/old-bin/plugins
//
// -legacy is for a host that predates the admission limits (its config
// rejects the keys): only its defaults run.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/roundhouse-ai/roundhouse/internal/bench/harness"
	"github.com/roundhouse-ai/roundhouse/internal/soak"
)

func main() {
	var (
		cfg                    soak.BigBodyConfig
		out, bin, plugins, sel string
		build, legacy          bool
	)
	flag.StringVar(&cfg.Label, "label", "main", "names the build in the report")
	flag.StringVar(&bin, "bin", "", "roundhouse binary (default <root>/bin/roundhouse)")
	flag.StringVar(&plugins, "plugins", "", "plugin root holding openai/ (default <root>/bin/plugins)")
	flag.BoolVar(&build, "build", false, "go build the host and plugin into a temp directory instead of using make build's bin/")
	flag.BoolVar(&legacy, "legacy", false, "the host predates limits.max_json_body_bytes & co.: run its defaults only")
	flag.StringVar(&sel, "cases", "", "comma-separated cases to run (default all: chat-default,chat-json32,chat-json32-inflight512,stall-default,stall-late)")
	flag.Int64Var(&cfg.Size, "size", 31<<20, "bytes of each body")
	flag.IntVar(&cfg.Chats, "chats", 10, "concurrent chats")
	flag.IntVar(&cfg.Uploads, "uploads", 20, "stalled uploads")
	flag.DurationVar(&cfg.StallHold, "hold", 75*time.Second, "how long stalled uploads are held at most")
	flag.DurationVar(&cfg.SampleEvery, "sample-every", 100*time.Millisecond, "RSS sampling period")
	flag.StringVar(&cfg.ProfileDir, "profile", "", "serve the host's pprof and write heap profiles before/after each case into this directory")
	flag.Func("plugin-env", "K=V added to the openai plugin's environment (repeatable)", func(kv string) error {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			return fmt.Errorf("want K=V, got %q", kv)
		}
		if cfg.PluginEnv == nil {
			cfg.PluginEnv = map[string]string{}
		}
		cfg.PluginEnv[k] = v
		return nil
	})
	flag.StringVar(&out, "out", "", "also write the Markdown table here")
	flag.BoolVar(&cfg.Keep, "keep", false, "keep the work directory (host configs, logs)")
	flag.Parse()
	cfg.Logf = func(format string, args ...any) {
		fmt.Fprintf(os.Stderr, "%s  %s\n", time.Now().Format("15:04:05"), fmt.Sprintf(format, args...))
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, cfg, out, bin, plugins, sel, build, legacy)
	stop()
	harness.StopAll()
	os.Exit(code)
}

// cases are the measurements; legacy hosts get only their defaults.
func cases(legacy bool) []soak.BigBodyCase {
	if legacy {
		return []soak.BigBodyCase{
			{Name: "chat-default", Scenario: soak.BigChat, LimitsNote: "defaults (max_body_bytes 32 MiB on every route)"},
			{Name: "stall-default", Scenario: soak.BigStall, LimitsNote: "defaults (no body deadline, no admission)"},
			{Name: "stall-late", Scenario: soak.BigStall, StallSend: -1024, LimitsNote: "defaults (no body deadline, no admission)"},
		}
	}
	return []soak.BigBodyCase{
		{Name: "chat-default", Scenario: soak.BigChat, LimitsNote: "defaults (max_json_body_bytes 8 MiB)"},
		{Name: "chat-json32", Scenario: soak.BigChat, LimitsNote: "max_json_body_bytes 32 MiB",
			Limits: map[string]any{"max_json_body_bytes": 32 << 20}},
		{Name: "chat-json32-inflight512", Scenario: soak.BigChat, LimitsNote: "max_json_body_bytes 32 MiB, max_inflight_body_bytes 512 MiB",
			Limits: map[string]any{"max_json_body_bytes": 32 << 20, "max_inflight_body_bytes": 512 << 20}},
		{Name: "stall-default", Scenario: soak.BigStall, LimitsNote: "defaults (max_body_bytes 32 MiB, max_inflight_body_bytes 256 MiB, body_read_timeout 60s)"},
		{Name: "stall-late", Scenario: soak.BigStall, StallSend: -1024, LimitsNote: "defaults (max_body_bytes 32 MiB, max_inflight_body_bytes 256 MiB, body_read_timeout 60s)"},
	}
}

func run(ctx context.Context, cfg soak.BigBodyConfig, out, bin, plugins, sel string, build, legacy bool) int {
	fail := func(err error) int {
		fmt.Fprintln(os.Stderr, "bigbody:", err)
		return 2
	}
	root, err := soak.FindRoot()
	if err != nil && bin == "" {
		return fail(err)
	}
	var bins soak.Binaries
	switch {
	case build:
		dir, err := os.MkdirTemp("", "roundhouse-bigbody-bin-")
		if err != nil {
			return fail(err)
		}
		defer os.RemoveAll(dir)
		cfg.Logf("building the host and the openai plugin into %s", dir)
		if bins, err = soak.Build(ctx, root, dir); err != nil {
			return fail(err)
		}
	default:
		if bins, err = soak.Built(root); err != nil && (bin == "" || plugins == "") {
			return fail(fmt.Errorf("%w, or pass -build", err))
		}
	}
	if bin != "" {
		bins.Bin, _ = filepath.Abs(bin)
	}
	if plugins != "" {
		bins.PluginDir, _ = filepath.Abs(plugins)
	}
	cfg.Bin, cfg.PluginDir = bins.Bin, bins.PluginDir
	all := cases(legacy)
	if sel != "" {
		want := map[string]bool{}
		for _, s := range strings.Split(sel, ",") {
			want[strings.TrimSpace(s)] = true
		}
		for _, c := range all {
			if want[c.Name] {
				cfg.Cases = append(cfg.Cases, c)
				delete(want, c.Name)
			}
		}
		if len(want) > 0 {
			return fail(fmt.Errorf("-cases: unknown %v", want))
		}
	} else {
		cfg.Cases = all
	}
	res, err := soak.RunBigBody(ctx, cfg)
	writeTable(os.Stdout, res)
	if out != "" {
		f, ferr := os.Create(out)
		if ferr != nil {
			return fail(ferr)
		}
		writeTable(f, res)
		if ferr := f.Close(); ferr != nil {
			return fail(ferr)
		}
	}
	if err != nil {
		return fail(err)
	}
	return 0
}

func writeTable(w io.Writer, res []*soak.BigBodyResult) {
	fmt.Fprintln(w, "| build | case | limits | host RSS baseline → peak | plugin RSS baseline → peak | outcome |")
	fmt.Fprintln(w, "| --- | --- | --- | --- | --- | --- |")
	for _, r := range res {
		fmt.Fprintf(w, "| %s | %s | %s | %s | %s | %s |\n", r.Label, r.Case.Name, r.Case.LimitsNote, r.Host.Arrow(), r.Plugin.Arrow(), r.Outcome())
	}
	for _, r := range res {
		for _, n := range r.Notes {
			fmt.Fprintf(w, "\n%s %s: %s\n", r.Label, r.Case.Name, n)
		}
		for _, p := range r.Profiles {
			fmt.Fprintf(w, "\n%s %s: heap profile %s\n", r.Label, r.Case.Name, p)
		}
	}
}
