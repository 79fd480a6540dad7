package sdk

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"runtime/debug"
	"sync"
	"syscall"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// DefaultMaxMessageSize caps one gRPC message between host and plugin.
// gRPC's own default (4 MB) is too small for images and audio.
const DefaultMaxMessageSize = 256 << 20

// ServeOption tunes Serve.
type ServeOption func(*serveConfig)

type serveConfig struct {
	maxMessageSize  int
	logLevel        slog.Level
	shutdownTimeout time.Duration
	parentPoll      time.Duration
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

// Serve runs impl as a plugin process and returns when the host asks it to
// stop. It must be called from main, before anything writes to stdout:
// stdout carries the handshake with the host. Serve
//   - installs a slog default logger that writes JSON to stderr, which the
//     host re-logs under the plugin's name;
//   - serves gRPC with explicit message-size limits;
//   - cancels the context of every in-flight call when the host stops the
//     plugin, when it receives SIGTERM, or when its parent process dies
//     (it polls its parent pid; the host also sets a parent-death signal on
//     Linux), then calls impl's Shutdown method if it has one.
//
// Run by hand (not by a host), Serve prints a hint and exits with status 1.
func Serve(impl Plugin, opts ...ServeOption) {
	cfg := serveConfig{
		maxMessageSize:  DefaultMaxMessageSize,
		logLevel:        slog.LevelInfo,
		shutdownTimeout: 1500 * time.Millisecond,
		parentPoll:      500 * time.Millisecond,
	}
	for _, o := range opts {
		o(&cfg)
	}
	if os.Getenv(handshake.MagicCookieKey) != handshake.MagicCookieValue {
		fmt.Fprintln(os.Stderr, "This is a Roundhouse plugin: the Roundhouse host starts it. "+
			"Put its directory (with plugin.yaml) under a plugin root and run `roundhouse serve`.")
		os.Exit(1)
	}
	slog.SetDefault(NewPluginLogger(os.Stderr, cfg.logLevel))

	base, cancel := context.WithCancel(context.Background())
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

	plugin.Serve(&plugin.ServeConfig{
		HandshakeConfig: handshake,
		Plugins:         pluginSet(impl),
		GRPCServer: func(o []grpc.ServerOption) *grpc.Server {
			o = append(o,
				grpc.MaxRecvMsgSize(cfg.maxMessageSize),
				grpc.MaxSendMsgSize(cfg.maxMessageSize),
				grpc.ChainUnaryInterceptor(unaryGuard(base)),
				grpc.ChainStreamInterceptor(streamGuard(base)),
			)
			o = append(o, inflightOptions()...) // sdktest's call accounting; nothing unless asked
			return grpc.NewServer(o...)
		},
		Logger: hclog.New(&hclog.LoggerOptions{
			Output: os.Stderr, JSONFormat: true, Level: hclog.Info, Name: "go-plugin",
		}),
	})
	shutdown("host stopped the plugin")
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

// unaryGuard ties each call's context to the plugin's lifetime and turns a
// panic in plugin code into an Internal error instead of a crash.
func unaryGuard(base context.Context) grpc.UnaryServerInterceptor {
	return func(ctx context.Context, req any, _ *grpc.UnaryServerInfo, h grpc.UnaryHandler) (resp any, err error) {
		ctx, stop := linkContext(ctx, base)
		defer stop()
		defer recoverPanic(&err)
		return h(ctx, req)
	}
}

func streamGuard(base context.Context) grpc.StreamServerInterceptor {
	return func(srv any, ss grpc.ServerStream, _ *grpc.StreamServerInfo, h grpc.StreamHandler) (err error) {
		ctx, stop := linkContext(ss.Context(), base)
		defer stop()
		defer recoverPanic(&err)
		return h(srv, &ctxStream{ServerStream: ss, ctx: ctx})
	}
}

func linkContext(ctx, base context.Context) (context.Context, func()) {
	ctx, cancel := context.WithCancel(ctx)
	stop := context.AfterFunc(base, cancel)
	return ctx, func() { stop(); cancel() }
}

func recoverPanic(err *error) {
	if r := recover(); r != nil {
		slog.Error("plugin panic", "panic", fmt.Sprint(r), "stack", string(debug.Stack()))
		*err = status.Errorf(codes.Internal, "plugin panic: %v", r)
	}
}

type ctxStream struct {
	grpc.ServerStream
	ctx context.Context
}

func (s *ctxStream) Context() context.Context { return s.ctx }
