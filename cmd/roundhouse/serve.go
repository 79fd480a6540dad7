package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/roundhouse-ai/roundhouse/host"
	"github.com/roundhouse-ai/roundhouse/host/api"
	"github.com/roundhouse-ai/roundhouse/host/config"
	"github.com/roundhouse-ai/roundhouse/host/meter"
	"github.com/roundhouse-ai/roundhouse/internal/gctune"
	"github.com/roundhouse-ai/roundhouse/sdk/pluginhost"
)

// serveCmd runs the host.
func (c *cli) serveCmd() *cobra.Command {
	var cfgPath, listen string
	var printDefault bool
	cmd := &cobra.Command{
		Use:   "serve [--config FILE] [--listen ADDR]",
		Short: "Run the host",
		Args:  args(0, 0),
		RunE: func(*cobra.Command, []string) error {
			if printDefault {
				_, err := c.out.Write(config.DefaultYAML())
				return err
			}
			return exitCode(serve(cfgPath, listen))
		},
	}
	cmd.Flags().StringVar(&cfgPath, "config", os.Getenv("ROUNDHOUSE_CONFIG"), "config file (YAML); the embedded default applies underneath")
	cmd.Flags().StringVar(&listen, "listen", "", "listen address (overrides the config and $ROUNDHOUSE_HOST)")
	cmd.Flags().BoolVar(&printDefault, "print-default-config", false, "print the embedded default config and exit")
	return cmd
}

// serve runs the host until SIGINT or SIGTERM and returns the exit code.
func serve(cfgPath, listen string) int {
	cfg, err := config.Load(cfgPath)
	if err != nil {
		fmt.Fprintln(os.Stderr, "roundhouse: config:", err)
		return 2
	}
	if listen != "" {
		cfg.Listen = listen
	}
	log := newLogger(cfg.LogLevel)
	slog.SetDefault(log)
	// GOGC=400 and a soft memory limit from the body limits, unless the
	// environment sets GOGC or GOMEMLIMIT (docs/configuration.md).
	gcPercent, memLimit := gctune.Apply(gctune.HostLimit(cfg.Limits.MaxInflightBodyBytes))
	log.Debug("go runtime", "gogc", gcPercent, "memory_limit_bytes", memLimit)
	// Plugins die with the host even if something below panics.
	defer pluginhost.CleanupProcesses()

	h := host.New(cfg, log)
	// Reloads read the same file with the same --listen override.
	h.SetLoader(func() (*config.Config, error) {
		c, err := config.Load(cfgPath)
		if err == nil && listen != "" {
			c.Listen = listen
		}
		return c, err
	})
	// Usage records, pricing, budgets, the response cache and metrics:
	// steps on the dispatch chain.
	m, err := meter.ForHost(context.Background(), h, log)
	if err != nil {
		fmt.Fprintln(os.Stderr, "roundhouse: usage:", err)
		return 1
	}
	defer m.Close()
	srv := api.New(h, log, api.WithMeter(m)).HTTPServer(cfg.Listen)
	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		fmt.Fprintf(os.Stderr, "roundhouse: listen on %s: %v (another host running? set --listen or ROUNDHOUSE_HOST)\n", cfg.Listen, err)
		return 1
	}
	if addr := os.Getenv("ROUNDHOUSE_PPROF"); addr != "" {
		servePprof(addr, log)
	}
	if addr := cfg.Metrics.Listen; addr != "" {
		serveMetrics(addr, m.Metrics.Handler(), log)
	}
	// Listen first, then start plugins: the API answers while they start.
	h.Start()
	names := []string{}
	for _, p := range h.Plugins() {
		names = append(names, p.Name()+"("+p.Status().State+")")
	}
	log.Info("roundhouse listening", "url", "http://"+ln.Addr().String(), "version", host.Version,
		"plugins", strings.Join(names, " "), "plugin_dirs", strings.Join(cfg.PluginDirs, ":"))

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	// Hot reload: config file and plugin roots are watched; SIGHUP forces it.
	if err := h.Watch(ctx); err != nil {
		log.Warn("config and plugin roots not watched; reload with SIGHUP or POST /v1/reload", "error", err)
	}
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	go func() {
		for range hup {
			h.Reload(ctx)
		}
	}()
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case <-ctx.Done():
		log.Info("shutting down")
	case err := <-errc:
		if !errors.Is(err, http.ErrServerClosed) {
			log.Error("http server", "error", err)
		}
	}
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	// Stop plugins first: in-flight calls get cancelled and streams end,
	// then the HTTP server drains what is left.
	h.Close(sctx)
	_ = srv.Shutdown(sctx)
	return 0
}

// servePprof serves net/http/pprof on its own loopback listener, for
// profiling under load (make bench sets ROUNDHOUSE_PPROF). It never shares
// the API's listener, and refuses non-loopback addresses.
func servePprof(addr string, log *slog.Logger) {
	host, _, err := net.SplitHostPort(addr)
	if ip := net.ParseIP(host); err != nil || ip == nil || !ip.IsLoopback() {
		log.Error("ROUNDHOUSE_PPROF must be a loopback host:port; pprof not served", "addr", addr)
		return
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	srv := &http.Server{Addr: addr, Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		if err := srv.ListenAndServe(); err != nil {
			log.Warn("pprof listener", "addr", addr, "error", err)
		}
	}()
	log.Info("pprof served", "url", "http://"+addr+"/debug/pprof/")
}

// serveMetrics serves /metrics on its own loopback listener (config
// metrics.listen, validated loopback) for a scraper without credentials.
func serveMetrics(addr string, h http.Handler, log *slog.Logger) {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", h)
	srv := &http.Server{Addr: addr, Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		if err := srv.ListenAndServe(); err != nil {
			log.Warn("metrics listener", "addr", addr, "error", err)
		}
	}()
	log.Info("metrics served", "url", "http://"+addr+"/metrics")
}

func newLogger(level string) *slog.Logger {
	var l slog.Level
	_ = l.UnmarshalText([]byte(level))
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: l}))
}
