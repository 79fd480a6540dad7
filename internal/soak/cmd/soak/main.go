// Command soak streams chat through the real host and openai plugin from
// many clients for a long time, SIGKILLs the plugin periodically, and
// fails when a stream loses chunks silently, an unexpected error occurs,
// or the host's RSS, fds or goroutines grow. See internal/soak.
//
//	make build && go run ./internal/soak/cmd/soak -duration 3m -out docs/soak-last.md
//
// Everything runs on 127.0.0.1; the host and its plugin run in their own
// process group, stopped at the end, on Ctrl-C, and (by the kernel) if
// soak itself dies.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/roundhouse-ai/roundhouse/internal/bench/harness"
	"github.com/roundhouse-ai/roundhouse/internal/soak"
)

func main() {
	cfg := soak.Config{Margins: soak.DefaultMargins()}
	var (
		out, mix, bin, plugins string
		build, noResources     bool
	)
	flag.DurationVar(&cfg.Duration, "duration", 10*time.Minute, "how long the load runs")
	flag.IntVar(&cfg.Clients, "clients", 100, "concurrent streaming clients")
	flag.DurationVar(&cfg.KillEvery, "kill-every", time.Minute, "SIGKILL the openai plugin this often, mid-period (0: never)")
	flag.DurationVar(&cfg.Bucket, "period", time.Minute, "reporting period (one table row each)")
	flag.IntVar(&cfg.Chunks, "chunks", 50, "chunks per stream")
	flag.DurationVar(&cfg.ChunkDelay, "chunk-delay", 20*time.Millisecond, "upstream pause before each chunk (streams last about chunks × this)")
	flag.Float64Var(&cfg.HangupShare, "hangups", 0.1, "share of streams the client cancels at a random chunk")
	flag.StringVar(&mix, "mix", "openai=8,native=1,ollama=1", "surface weights: openai (/v1/chat/completions), native (/v1/services/chat), ollama (/api/chat)")
	flag.DurationVar(&cfg.SampleEvery, "sample-every", 5*time.Second, "host RSS/fd/goroutine sampling period")
	flag.BoolVar(&noResources, "no-resource-check", false, "do not fail on host growth (short runs)")
	flag.StringVar(&out, "out", "", "write the Markdown report here (default: stdout)")
	flag.StringVar(&bin, "bin", "", "roundhouse binary (default <root>/bin/roundhouse)")
	flag.StringVar(&plugins, "plugins", "", "plugin root holding openai/ (default <root>/bin/plugins)")
	flag.BoolVar(&build, "build", false, "go build the host and plugin into a temp directory instead of using make build's bin/")
	flag.BoolVar(&cfg.Keep, "keep", false, "keep the work directory (host config, log)")
	flag.Parse()
	cfg.Margins.Skip = noResources
	cfg.Logf = func(format string, args ...any) {
		fmt.Fprintf(os.Stderr, "%s  %s\n", time.Now().Format("15:04:05"), fmt.Sprintf(format, args...))
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, cfg, out, mix, bin, plugins, build)
	stop()
	harness.StopAll()
	os.Exit(code)
}

func run(ctx context.Context, cfg soak.Config, out, mix, bin, plugins string, build bool) int {
	fail := func(err error) int {
		fmt.Fprintln(os.Stderr, "soak:", err)
		return 2
	}
	var err error
	if cfg.Mix, err = parseMix(mix); err != nil {
		return fail(err)
	}
	root, err := soak.FindRoot()
	if err != nil {
		return fail(err)
	}
	var bins soak.Binaries
	switch {
	case build:
		dir, err := os.MkdirTemp("", "roundhouse-soak-bin-")
		if err != nil {
			return fail(err)
		}
		defer os.RemoveAll(dir)
		cfg.Logf("building the host and the openai plugin into %s", dir)
		if bins, err = soak.Build(ctx, root, dir); err != nil {
			return fail(err)
		}
	default:
		if bins, err = soak.Built(root); err != nil && bin == "" && plugins == "" {
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

	res, err := soak.Run(ctx, cfg)
	if err != nil {
		return fail(err)
	}
	w := os.Stdout
	if out != "" {
		f, err := os.Create(out)
		if err != nil {
			return fail(err)
		}
		defer f.Close()
		w = f
	}
	if err := res.WriteMarkdown(w); err != nil {
		return fail(err)
	}
	if out != "" {
		_ = res.WriteMarkdown(os.Stderr)
		cfg.Logf("report written to %s", out)
	}
	if !res.Passed() {
		return 1
	}
	return 0
}

// parseMix reads "openai=8,native=1,ollama=1".
func parseMix(s string) (map[soak.API]int, error) {
	m := map[soak.API]int{}
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		k, v, ok := strings.Cut(part, "=")
		n, err := strconv.Atoi(v)
		api := soak.API(strings.TrimSpace(k))
		if !ok || err != nil || n < 0 {
			return nil, fmt.Errorf("-mix: %q is not surface=weight", part)
		}
		switch api {
		case soak.APIOpenAI, soak.APINative, soak.APIOllama:
		default:
			return nil, fmt.Errorf("-mix: unknown surface %q (want openai, native, ollama)", api)
		}
		if n > 0 {
			m[api] = n
		}
	}
	if len(m) == 0 {
		return nil, fmt.Errorf("-mix: no surface has a weight")
	}
	return m, nil
}
