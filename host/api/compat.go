package api

// compatRoutes mounts the OpenAI-, Ollama- and Anthropic-compatible
// surfaces (host/compat/...).
func (s *Server) compatRoutes() {}
