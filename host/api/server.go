// Package api serves the host's HTTP API: the native routes (services by
// name, plugins, models, pulls, engines, providers) plus the compatible
// surfaces (OpenAI, Ollama, Anthropic), all on one listener.
package api

import (
	"log/slog"
	"net/http"
	"time"

	"github.com/roundhouse-ai/roundhouse/host"
	"github.com/roundhouse-ai/roundhouse/host/backend"
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
	// meter serves usage, budgets and metrics (nil: those routes say
	// they are off).
	meter *meter.Meter
}

// New builds the API over h.
func New(h *host.Host, log *slog.Logger, opts ...Option) *Server {
	cfg := h.Config()
	s := &Server{
		h:       h,
		b:       limitStreams(h.Router(), cfg.Limits.MaxStreamsPerClient),
		log:     log,
		maxBody: cfg.Limits.MaxBodyBytes,
		keys:    newKeyring(cfg),
		origins: newOriginPolicy(cfg.AllowedOrigins),
		admit:   newAdmission(cfg.Limits),
		mux:     http.NewServeMux(),
	}
	if s.maxBody <= 0 {
		s.maxBody = httpx.DefaultMaxBody
	}
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

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.handler.ServeHTTP(w, r) }

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

func (s *Server) routes() {
	m := s.mux
	m.HandleFunc("GET /health", s.health)
	m.HandleFunc("GET /version", s.version)
	m.HandleFunc("GET /openapi.json", s.openapi)
	m.HandleFunc("GET /v1/openapi.json", s.openapi)

	m.HandleFunc("GET /v1/system", s.system)
	m.HandleFunc("GET /v1/plugins", s.listPlugins)
	m.HandleFunc("GET /v1/plugins/{name}", s.getPlugin)
	m.HandleFunc("POST /v1/plugins/{name}/restart", s.restartPlugin)

	m.HandleFunc("GET /v1/services", s.listServices)
	m.HandleFunc("POST /v1/services/{service}", s.invokeService)
	m.HandleFunc("GET /v1/services/speech-to-text/live", s.speechToTextLive)

	m.HandleFunc("GET /v1/models/recommended", s.recommendedModels)
	m.HandleFunc("POST /v1/models/pull", s.pullModel)
	m.HandleFunc("POST /v1/models/push", s.pushModel)
	m.HandleFunc("POST /v1/models/create", s.createModel)
	m.HandleFunc("POST /v1/models/copy", s.copyModel)
	m.HandleFunc("POST /v1/models/load", s.loadModel)
	m.HandleFunc("POST /v1/models/unload", s.unloadModel)
	m.HandleFunc("DELETE /v1/models/{name...}", s.deleteModel)
	m.HandleFunc("GET /v1/pulls", s.listPulls)
	m.HandleFunc("GET /v1/pulls/{id}", s.watchPull)
	m.HandleFunc("DELETE /v1/pulls/{id}", s.cancelPull)

	m.HandleFunc("GET /v1/engines", s.listEngines)
	m.HandleFunc("POST /v1/engines/{plugin}/install", s.installEngine)
	m.HandleFunc("POST /v1/engines/{plugin}/upgrade", s.upgradeEngine)
	m.HandleFunc("POST /v1/engines/{plugin}/start", s.startEngine)
	m.HandleFunc("POST /v1/engines/{plugin}/stop", s.stopEngine)

	m.HandleFunc("GET /v1/routes", s.listRoutes)

	m.HandleFunc("GET /v1/providers", s.listProviders)
	m.HandleFunc("POST /v1/providers", s.putProvider)
	m.HandleFunc("DELETE /v1/providers/{name}", s.deleteProvider)
	m.HandleFunc("POST /v1/providers/{name}/test", s.testProvider)

	s.usageRoutes()
	s.pprofRoutes()
	s.compatRoutes()
}
