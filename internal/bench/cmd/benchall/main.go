// Command benchall runs Roundhouse's benchmarks side by side and writes
// BENCHMARKS.md: the same load direct to a fast in-project upstream and
// through the host (HTTP → router → gRPC → plugin → upstream), host cold
// start, plugin restart after SIGKILL, RSS idle and under load, Ollama
// time to first token through the host and direct (when the test bed is
// built), and the in-process router/adapter benchmarks with CPU profiles.
//
//	make build ollama
//	ROUNDHOUSE_PLUGIN_BIN=bin/plugins go run ./internal/bench/cmd/benchall -out BENCHMARKS.md
//
// Every process it starts runs in its own process group and is killed at
// the end, on Ctrl-C, and (by the kernel) if benchall itself dies.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/roundhouse-ai/roundhouse/internal/bench/floor"
	"github.com/roundhouse-ai/roundhouse/internal/bench/harness"
)

type options struct {
	out        string
	root       string
	bin        string
	pluginDir  string
	ollamaBin  string
	noOllama   bool
	duration   time.Duration
	warmup     time.Duration
	rounds     int
	coldStarts int
	goBench    bool
	benchTime  string
	benchCount int
	perf       bool
	keep       bool
	only       string
	gomaxprocs int
	gogc       string
	baseline   string
}

// sections are the parts of a run -only can pick.
var sections = []string{"cold", "unary", "stream", "profile", "restart", "ollama", "gobench"}

// want reports whether the run includes section s.
func (o options) want(s string) bool {
	if o.only == "" {
		return true
	}
	for _, x := range strings.Split(o.only, ",") {
		if strings.TrimSpace(x) == s {
			return true
		}
	}
	return false
}

func main() {
	maybeServeUpstream() // re-executed as the upstream: never returns
	floor.Main()         // re-executed as a floor front or plugin: never returns

	var o options
	flag.StringVar(&o.out, "out", "", "write the report here (default: stdout)")
	flag.StringVar(&o.root, "root", "", "repository root (default: found from the working directory)")
	flag.StringVar(&o.bin, "bin", "", "roundhouse binary (default <root>/bin/roundhouse)")
	flag.StringVar(&o.pluginDir, "plugins", os.Getenv("ROUNDHOUSE_PLUGIN_BIN"), "first-party plugin root (default $ROUNDHOUSE_PLUGIN_BIN, else <root>/bin/plugins)")
	flag.StringVar(&o.ollamaBin, "ollama", os.Getenv("ROUNDHOUSE_OLLAMA_BIN"), "test-bed ollama binary (default $ROUNDHOUSE_OLLAMA_BIN, else the cached build)")
	flag.BoolVar(&o.noOllama, "no-ollama", false, "skip the Ollama points")
	flag.DurationVar(&o.duration, "duration", 5*time.Second, "recorded time per point (split over -rounds)")
	flag.DurationVar(&o.warmup, "warmup", time.Second, "warm-up before each point's first round")
	flag.IntVar(&o.rounds, "rounds", 5, "rounds per point: the paths of a point alternate round by round so background load hits them alike")
	flag.IntVar(&o.coldStarts, "cold-starts", 5, "host cold starts to time")
	flag.BoolVar(&o.goBench, "gobench", true, "run the in-process go test benchmarks (router, decode) with CPU profiles")
	flag.StringVar(&o.benchTime, "benchtime", "1s", "go test -benchtime for the in-process benchmarks")
	flag.IntVar(&o.benchCount, "benchcount", 3, "go test -count for the in-process benchmarks (the report takes the fastest)")
	flag.BoolVar(&o.perf, "perf", true, "profile the host and plugin with perf during extra loaded runs, when perf is installed")
	flag.BoolVar(&o.keep, "keep", false, "keep the work directory (configs, logs, profiles)")
	flag.IntVar(&o.gomaxprocs, "gomaxprocs", 0, "GOMAXPROCS for the host and its plugins (0: Go's default), for tuning experiments")
	flag.StringVar(&o.gogc, "gogc", "", "GOGC for the host and its plugins (empty: Go's default), for tuning experiments")
	flag.StringVar(&o.baseline, "baseline", "", "directory with another build (roundhouse and plugins/, as make build lays out bin/) to run as one more path beside the host: same-run before/after")
	flag.StringVar(&o.only, "only", "", "run only these sections, comma-separated: "+strings.Join(sections, ","))
	flag.Parse()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, o)
	stop()
	harness.StopAll()
	if err != nil {
		fmt.Fprintln(os.Stderr, "benchall:", err)
		os.Exit(1)
	}
}

func logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "%s  %s\n", time.Now().Format("15:04:05.000"), fmt.Sprintf(format, args...))
}

// findRoot walks up from the working directory to go.mod.
func findRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if b, err := os.ReadFile(filepath.Join(dir, "go.mod")); err == nil && strings.Contains(string(b), "module github.com/roundhouse-ai/roundhouse\n") {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("not inside the roundhouse repository (no go.mod found); use -root")
		}
		dir = parent
	}
}

func abs(root, p string) string {
	if p == "" || filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(root, p)
}

// preflight resolves paths and fails clearly when the build is missing.
func preflight(o *options) error {
	if o.root == "" {
		r, err := findRoot()
		if err != nil {
			return err
		}
		o.root = r
	}
	o.root, _ = filepath.Abs(o.root)
	if o.bin == "" {
		o.bin = "bin/roundhouse"
	}
	if o.pluginDir == "" {
		o.pluginDir = "bin/plugins"
	}
	o.bin, o.pluginDir = abs(o.root, o.bin), abs(o.root, o.pluginDir)
	if _, err := os.Stat(o.bin); err != nil {
		return fmt.Errorf("%s is missing: run make build first", o.bin)
	}
	if st, err := os.Stat(o.pluginDir); err != nil || !st.IsDir() {
		return fmt.Errorf("plugin directory %s is missing: run make build first", o.pluginDir)
	}
	if o.rounds < 1 {
		o.rounds = 1
	}
	for _, x := range strings.Split(o.only, ",") {
		if x = strings.TrimSpace(x); x != "" && !slices.Contains(sections, x) {
			return fmt.Errorf("-only: unknown section %q (want %s)", x, strings.Join(sections, ","))
		}
	}
	return nil
}

// pluginBuilt reports whether <pluginDir>/<name> holds a manifest and
// its executable.
func pluginBuilt(dir, name string) (bool, string) {
	pd := filepath.Join(dir, name)
	if _, err := os.Stat(filepath.Join(pd, "plugin.yaml")); err != nil {
		return false, "n/a (plugin missing: run make build)"
	}
	if _, err := os.Stat(filepath.Join(pd, "roundhouse-plugin-"+name)); err != nil {
		return false, "n/a (plugin binary missing: run make build)"
	}
	return true, ""
}
