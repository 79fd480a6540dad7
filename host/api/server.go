// Package api serves the host's HTTP API: the native routes (services by
// name, plugins, models, pulls, engines, providers) plus the compatible
// surfaces (OpenAI, Ollama, Anthropic), all on one listener.
package api

import (
	"log/slog"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/roundhouse-ai/roundhouse/host"
	"github.com/roundhouse-ai/roundhouse/host/backend"
	"github.com/roundhouse-ai/roundhouse/host/config"
	"github.com/roundhouse-ai/roundhouse/host/httpx"
	"github.com/roundhouse-ai/roundhouse/host/meter"
)

// Server is the host's HTTP handler.
type Server struct {
	h       *host.Host
	b       backend.Backend
	log     *slog.Logger
	maxBody int64
	keys    *keyring
	origins originPolicy
	admit   *admission
	mux     *http.ServeMux
	handler http.Handler
	// limits built b and admit.
	limits config.Limits
	// active is the Server built from the configuration in force: every
	// configuration Host.Apply puts in force builds a new one (routes,
	// guards, CORS, limits) and swaps it in whole, so a request sees
	// either the old settings or the new, never a mix.
	active *atomic.Pointer[Server]
	// meter serves usage, budgets and metrics (nil: those routes say
	// they are off).
	meter *meter.Meter
	// opts are New's options, applied again to every rebuilt Server.
	opts []Option
	// uploads are the resumable upload sessions, opened once by New and
	// shared by every rebuilt Server (data_dir changes need a restart).
	uploads *uploadStore
}

// New builds the API over h; it follows h's configuration as it is
// reloaded.
func New(h *host.Host, log *slog.Logger, opts ...Option) *Server {
	s := build(h, log, h.Config(), nil, opts)
	s.uploads = openUploads(h.Config().DataDir)
	if s.uploads.err != nil {
		log.Warn("resumable uploads are off", "error", s.uploads.err)
	}
	s.active = new(atomic.Pointer[Server])
	s.active.Store(s)
	h.OnApply(func(cfg *config.Config) {
		n := build(h, log, cfg, s.active.Load(), opts)
		n.active, n.uploads = s.active, s.uploads
		s.active.Store(n)
	})
	return s
}

// build makes the handler for one configuration. The stream limiter and
// admission (which count what is in flight) carry over from prev when
// their limits did not change, so a reload does not reset the counts.
func build(h *host.Host, log *slog.Logger, cfg *config.Config, prev *Server, opts []Option) *Server {
	s := &Server{
		h:       h,
		log:     log,
		maxBody: cfg.Limits.MaxBodyBytes,
		keys:    newKeyring(cfg),
		origins: newOriginPolicy(cfg.AllowedOrigins),
		mux:     http.NewServeMux(),
		limits:  cfg.Limits,
	}
	if prev != nil && prev.limits == cfg.Limits {
		s.b, s.admit = prev.b, prev.admit
	} else {
		s.b, s.admit = limitStreams(h.Router(), cfg.Limits.MaxStreamsPerClient), newAdmission(cfg.Limits)
	}
	if s.maxBody <= 0 {
		s.maxBody = httpx.DefaultMaxBody
	}
	s.opts = opts
	for _, o := range opts {
		o(s)
	}
	s.routes()
	// Every request passes the same guards, outermost first, before any
	// route sees it: the Host header (DNS rebinding), the web origin
	// (cross-site requests), CORS preflights for allowed origins, the
	// caller's key and scope, then admission (concurrency, body size,
	// Content-Type, body deadline).
	s.handler = answered(hostGuard(cfg.AllowedHosts,
		crossSiteGuard(s.origins,
			cors(s.origins,
				s.authenticate(
					s.admit.wrap(jsonMux(s.mux)))))))
	return s
}

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.active.Load().handler.ServeHTTP(w, r)
}

// HTTPServer wraps the handler in an http.Server with the configured
// timeouts. Write timeouts stay off: streams last as long as generation.
func (s *Server) HTTPServer(addr string) *http.Server {
	rht := s.h.Config().Limits.ReadHeaderTimeout
	if rht <= 0 {
		rht = 10 * time.Second
	}
	return &http.Server{
		Addr:              addr,
		Handler:           s,
		ReadHeaderTimeout: rht,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    1 << 20,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
	}
}
