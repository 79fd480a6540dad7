package api

import (
	"github.com/roundhouse-ai/roundhouse/host/compat/anthropic"
	"github.com/roundhouse-ai/roundhouse/host/compat/ollama"
	"github.com/roundhouse-ai/roundhouse/host/compat/openai"
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
	ollama.Register(s.mux, s.b, ollama.Options{MaxBodyBytes: s.maxBody, Logger: s.log, Version: ollamaCompatVersion})
	anthropic.Register(s.mux, s.b, anthropic.Options{MaxBodyBytes: s.maxBody, Logger: s.log})
	s.mux.Handle("/{$}", ollama.RootHandler())
}
