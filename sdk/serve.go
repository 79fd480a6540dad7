package sdk

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/go-plugin"
	"github.com/roundhouse-ai/roundhouse/internal/gctune"
	"github.com/roundhouse-ai/roundhouse/internal/rpc"
	"google.golang.org/grpc"
)

// DefaultMaxMessageSize caps one gRPC message between host and plugin.
// gRPC's own default (4 MB) is too small for images and audio.
const DefaultMaxMessageSize = rpc.DefaultMaxMessageSize

// DebugEnv set to "1" runs Serve in debug mode, as WithDebug does.
const DebugEnv = "ROUNDHOUSE_PLUGIN_DEBUG"

// ReattachEnv is the host's environment variable naming plugins to attach
// to instead of launching: a JSON object from plugin name to the reattach
// config a plugin in debug mode prints.
const ReattachEnv = "ROUNDHOUSE_PLUGIN_REATTACH"

// ServeOption tunes Serve.
type ServeOption func(*serveConfig)

type serveConfig struct {
	maxMessageSize  int
	logLevel        slog.Level
	shutdownTimeout time.Duration
	parentPoll      time.Duration
	debug           bool
	debugOut        io.Writer
	debugCtx        context.Context
}

// WithMaxMessageSize sets the largest gRPC message the plugin accepts and
// sends, in bytes.
func WithMaxMessageSize(n int) ServeOption { return func(c *serveConfig) { c.maxMessageSize = n } }

// WithLogLevel sets the level of the default logger Serve installs.
func WithLogLevel(l slog.Level) ServeOption { return func(c *serveConfig) { c.logLevel = l } }

// WithShutdownTimeout bounds the plugin's Shutdown method (default 1.5 s;
// the host kills a plugin that takes longer than 2 s to exit).
func WithShutdownTimeout(d time.Duration) ServeOption {
	return func(c *serveConfig) { c.shutdownTimeout = d }
}

// WithDebug runs the plugin standalone, for a debugger: Serve listens
// without a host, prints to stdout the reattach config the host needs
// (ROUNDHOUSE_PLUGIN_REATTACH='{"<name>":{...}}'), serves until
// interrupted (Ctrl-C or SIGTERM), then returns. Start the host with that
// variable set and it attaches to this process instead of launching the
// plugin. Setting ROUNDHOUSE_PLUGIN_DEBUG=1 has the same effect, so a
// debugger's launch configuration needs no code change.
func WithDebug() ServeOption { return func(c *serveConfig) { c.debug = true } }

// Serve runs impl as a plugin process and returns when the host asks it to
// stop. It must be called from main, before anything writes to stdout:
// stdout carries the handshake with the host. Serve
//   - installs a slog default logger that writes JSON to stderr, which the
//     host re-logs under the plugin's name;
//   - serves gRPC with explicit message-size limits;
//   - cancels the context of every in-flight call when the host stops the
//     plugin, when it receives SIGTERM, or when its parent process dies
//     (it polls its parent pid; the host also sets a parent-death signal on
//     Linux), then calls impl's Shutdown method if it has one. On SIGTERM
//     or the parent's death the process exits with status 0 after that.
//
// Run by hand (not by a host and not in debug mode), Serve returns an
// error explaining so; main should print it and exit with status 1:
//
//	func main() {
//		if err := sdk.Serve(myPlugin{}); err != nil {
//			fmt.Fprintln(os.Stderr, err)
//			os.Exit(1)
//		}
//	}
//
// See WithDebug for running a plugin under a debugger.
func Serve(impl Plugin, opts ...ServeOption) error {
	cfg := serveConfig{
		maxMessageSize:  DefaultMaxMessageSize,
		logLevel:        slog.LevelInfo,
		shutdownTimeout: 1500 * time.Millisecond,
		parentPoll:      500 * time.Millisecond,
		debug:           os.Getenv(DebugEnv) == "1",
		debugOut:        os.Stdout,
	}
	for _, o := range opts {
		o(&cfg)
	}
	if !cfg.debug && os.Getenv(rpc.Handshake.MagicCookieKey) != rpc.Handshake.MagicCookieValue {
		return errors.New("This is a Roundhouse plugin: the Roundhouse host starts it. " +
			"Put its directory (with plugin.yaml) under a plugin root and run `roundhouse serve` " +
			"(or set " + DebugEnv + "=1 to run it under a debugger).")
	}
	slog.SetDefault(NewPluginLogger(os.Stderr, cfg.logLevel))
	gctune.Apply(gctune.PluginLimit) // GOGC=400, 1 GiB soft limit, unless GOGC/GOMEMLIMIT are set

	base, cancel := context.WithCancel(context.Background())
	defer cancel()
	var once sync.Once
	shutdown := func(reason string) {
		once.Do(func() {
			slog.Info("plugin shutting down", "reason", reason)
			cancel()
			if s, ok := impl.(Shutdowner); ok {
				ctx, done := context.WithTimeout(context.Background(), cfg.shutdownTimeout)
				if err := s.Shutdown(ctx); err != nil {
					slog.Warn("plugin shutdown", "error", err)
				}
				done()
			}
		})
	}
	sc := &plugin.ServeConfig{
		HandshakeConfig: rpc.Handshake,
		Plugins:         plugin.PluginSet{rpc.PluginName: &servePlugin{impl: impl}},
		GRPCServer: func(o []grpc.ServerOption) *grpc.Server {
			o = append(o,
				grpc.MaxRecvMsgSize(cfg.maxMessageSize),
				grpc.MaxSendMsgSize(cfg.maxMessageSize),
				grpc.ChainUnaryInterceptor(rpc.UnaryGuard(base)),
				grpc.ChainStreamInterceptor(rpc.StreamGuard(base)),
			)
			// Flow-control windows (internal/rpc/transport.go).
			o = append(o, rpc.ServerOptions()...)
			o = append(o, inflightOptions()...) // sdktest's call accounting; nothing unless asked
			return grpc.NewServer(o...)
		},
		Logger: hclog.New(&hclog.LoggerOptions{
			Output: os.Stderr, JSONFormat: true, Level: hclog.Info, Name: "go-plugin",
		}),
	}
	if cfg.debug {
		return serveDebug(impl, sc, &cfg, shutdown)
	}

	// SIGTERM (also the parent-death signal) and SIGHUP end the plugin;
	// SIGINT is ignored as go-plugin does, since a terminal's Ctrl-C goes to
	// the host, which then stops its plugins in order.
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGHUP)
	go func() {
		sig := <-sigs
		shutdown(sig.String())
		os.Exit(0)
	}()
	go watchParent(base, cfg.parentPoll, func() {
		shutdown("parent process exited")
		os.Exit(0)
	})

	plugin.Serve(sc)
	shutdown("host stopped the plugin")
	return nil
}

// servePlugin is go-plugin's view of the plugin side: it registers the
// adapter on the gRPC server. The host side is in sdk/pluginhost.
type servePlugin struct {
	plugin.NetRPCUnsupportedPlugin
	impl Plugin
}

func (p *servePlugin) GRPCServer(_ *plugin.GRPCBroker, s *grpc.Server) error {
	srv := rpc.NewServer(p.impl, Version)
	for _, m := range srv.Mismatched() {
		slog.Warn("plugin method serves nothing: "+m, "services", srv.Implemented())
	}
	srv.Register(s)
	return nil
}

func (p *servePlugin) GRPCClient(context.Context, *plugin.GRPCBroker, *grpc.ClientConn) (any, error) {
	return nil, errors.New("sdk: the plugin side has no client; hosts use sdk/pluginhost")
}

// watchParent calls gone when the parent process changes (it died and the
// plugin was re-parented), the portable backstop to Pdeathsig.
func watchParent(ctx context.Context, every time.Duration, gone func()) {
	ppid := os.Getppid()
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if os.Getppid() != ppid {
				gone()
				return
			}
		}
	}
}
