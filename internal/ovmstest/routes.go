package ovmstest

import (
	"crypto/subtle"
	"net/http"
	"strings"
)

// Handler serves OVMS's REST API (the --rest_port server):
//
//	GET  /v2/health/live, /v2/health/ready            docs/model_server_rest_api_kfs.md
//	GET  /v2/models/{name}[/versions/{v}]/ready
//	GET  /v1/config, POST /v1/config/reload            config status and reload
//	POST /v3/chat/completions, /v3/completions, /v3/embeddings, /v3/rerank,
//	     /v3/images/generations, /v3/images/edits,
//	     /v3/audio/transcriptions, /v3/audio/speech    docs/model_server_rest_api_*.md
//
// Unknown paths answer 404 with {"error": ...}, as OVMS does.
func (s *Server) Handler() http.Handler {
	v3 := http.NewServeMux()
	v3.HandleFunc("POST /v3/chat/completions", s.forwardText("text_generation", "/chat/completions"))
	v3.HandleFunc("POST /v3/completions", s.forwardText("text_generation", "/completions"))
	v3.HandleFunc("POST /v3/embeddings", s.forwardText("embeddings", "/embeddings"))
	v3.HandleFunc("POST /v3/rerank", s.rerank)
	v3.HandleFunc("POST /v3/images/generations", s.imageGenerations)
	v3.HandleFunc("POST /v3/images/edits", s.imageEdits)
	v3.HandleFunc("POST /v3/audio/transcriptions", s.transcriptions)
	v3.HandleFunc("POST /v3/audio/speech", s.speech)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := r.URL.Path
		switch {
		case p == "/v2/health/live":
			s.empty(w, r, true)
		case p == "/v2/health/ready":
			s.empty(w, r, s.ready)
		case strings.HasPrefix(p, "/v2/models/") && strings.HasSuffix(p, "/ready"):
			s.modelReady(w, r)
		case p == "/v1/config" && r.Method == http.MethodGet:
			writeJSON(w, http.StatusOK, s.statuses())
		case p == "/v1/config/reload" && r.Method == http.MethodPost:
			s.reload(w)
		case strings.HasPrefix(p, "/v3/"):
			if !s.authorized(r) {
				writeError(w, http.StatusUnauthorized, "Unauthorized")
				return
			}
			v3.ServeHTTP(w, r)
		default:
			writeError(w, http.StatusNotFound, "Invalid request URL")
		}
	})
}

func (s *Server) authorized(r *http.Request) bool {
	if s.opts.APIKey == "" {
		return true
	}
	got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	return ok && subtle.ConstantTimeCompare([]byte(got), []byte(s.opts.APIKey)) == 1
}

// empty answers a KServe health or readiness probe: the status code is the
// answer, the body is "{}" (Content-Length 2 in the doc's examples).
func (s *Server) empty(w http.ResponseWriter, r *http.Request, ok bool) {
	if r.Method != http.MethodGet {
		writeError(w, http.StatusMethodNotAllowed, "Method not allowed")
		return
	}
	code := http.StatusOK
	if !ok {
		code = http.StatusServiceUnavailable
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_, _ = w.Write([]byte("{}"))
}

// modelReady: 200 when the servable is AVAILABLE; 404 both for an unknown
// name (MODEL_NAME_MISSING) and for one still loading
// (MODEL_VERSION_NOT_LOADED_YET), as src/http_server.cpp maps them.
func (s *Server) modelReady(w http.ResponseWriter, r *http.Request) {
	name := strings.TrimSuffix(strings.TrimPrefix(r.URL.Path, "/v2/models/"), "/ready")
	if i := strings.LastIndex(name, "/versions/"); i >= 0 {
		name = name[:i]
	}
	s.mu.Lock()
	m, known := s.models[name]
	known = known && m.state != StateEnd
	s.mu.Unlock()
	if !known {
		writeError(w, http.StatusNotFound, "Model with requested name is not found")
		return
	}
	if s.lookup(name) == nil {
		writeError(w, http.StatusNotFound, "Model with requested version is not loaded yet")
		return
	}
	s.empty(w, r, true)
}

// reload: 201 when something was reloaded, 200 when nothing had to be,
// {"error": ...} with a 4xx/5xx on failure (src/http_rest_api_handler.cpp
// processConfigReloadRequest).
func (s *Server) reload(w http.ResponseWriter) {
	changed, err := s.Reload()
	if err != nil {
		writeError(w, http.StatusBadRequest, "Reloading config file failed. Check server logs for more info.")
		return
	}
	code := http.StatusOK
	if changed {
		code = http.StatusCreated
	}
	writeJSON(w, code, s.statuses())
}

// servableFor finds the ready servable a /v3 request names, answering the
// error itself when there is none. OVMS routes /v3 by the body's "model"
// to a MediaPipe graph; a graph for another task cannot serve the route.
func (s *Server) servableFor(w http.ResponseWriter, model, task string) *loaded {
	if model == "" {
		writeError(w, http.StatusBadRequest, "model field is missing in JSON body")
		return nil
	}
	m := s.lookup(model)
	if m == nil {
		writeError(w, http.StatusNotFound, "Mediapipe graph definition with requested name is not found")
		return nil
	}
	if m.task != "" && m.task != task {
		writeError(w, http.StatusBadRequest, "Servable "+model+" serves "+m.task+", not "+task)
		return nil
	}
	return m
}
