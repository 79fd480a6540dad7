package api

import (
	"context"

	"github.com/roundhouse-ai/roundhouse/host"
	"github.com/roundhouse-ai/roundhouse/host/backend"
	"github.com/roundhouse-ai/roundhouse/host/compat/anthropic"
	"github.com/roundhouse-ai/roundhouse/host/compat/ollama"
	"github.com/roundhouse-ai/roundhouse/host/compat/openai"
	"github.com/roundhouse-ai/roundhouse/sdk"
)

// ollamaCompatVersion is what /api/version advertises: the Ollama release
// whose API the Ollama-compatible surface follows. Clients that check for a
// minimum Ollama version then accept the host.
const ollamaCompatVersion = "0.17.4"

// compatRoutes mounts the OpenAI-, Ollama- and Anthropic-compatible
// surfaces beside the native routes. They route with headers
// X-Roundhouse-Policy and X-Roundhouse-Plugin where their dialect has no
// field for it.
func (s *Server) compatRoutes() {
	openai.Register(s.mux, s.b, openai.Options{MaxBodyBytes: s.maxBody, Logger: s.log})
	ob := s.b
	if s.h != nil {
		ob = trackedPulls{Backend: s.b, pulls: s.h.Pulls()}
	}
	ollama.Register(s.mux, ob, ollama.Options{MaxBodyBytes: s.maxBody, Logger: s.log, Version: ollamaCompatVersion})
	anthropic.Register(s.mux, s.b, anthropic.Options{MaxBodyBytes: s.maxBody, Logger: s.log})
	s.mux.Handle("/{$}", ollama.RootHandler())
}

// trackedPulls runs the Ollama surface's pulls through the host's pull
// tracker, so a pull started with /api/pull is listed in GET /v1/pulls,
// can be watched there and cancelled with DELETE /v1/pulls/{id}. As with
// the native route, the pull ends when its client disconnects.
type trackedPulls struct {
	backend.Backend
	pulls *host.PullTracker
}

func (b trackedPulls) PullModel(ctx context.Context, req backend.PullRequest, progress func(*sdk.Progress) error) error {
	pull, events, unsubscribe := b.pulls.Start(ctx, req.Model, req.Plugin, func(ctx context.Context, p func(*sdk.Progress) error) error {
		return b.Backend.PullModel(ctx, req, p)
	})
	defer unsubscribe()
	for ev := range events {
		if err := progress(&ev); err != nil {
			pull.Cancel()
			<-pull.Done()
			return err
		}
	}
	<-pull.Done()
	return pull.Err()
}
