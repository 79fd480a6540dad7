package api

import (
	"net/http"

	"github.com/roundhouse-ai/roundhouse/host/httpx"
)

// listRoutes answers GET /v1/routes: strategies, model groups and their
// canaries, and every target with its breaker state and counts, health
// score and EWMA latency. It starts nothing.
func (s *Server) listRoutes(w http.ResponseWriter, r *http.Request) {
	httpx.WriteJSON(w, http.StatusOK, s.h.Routes())
}
