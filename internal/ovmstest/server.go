package ovmstest

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"sort"
	"sync"
	"time"
)

// Options configure a fake server.
type Options struct {
	// ConfigPath is config.json (OVMS's --config_path). Required.
	ConfigPath string
	// PollInterval is --file_system_poll_wait_seconds; 0 disables polling
	// (then only POST /v1/config/reload applies changes, as in OVMS).
	PollInterval time.Duration
	// LoadDelay is how long a servable stays LOADING before it becomes
	// AVAILABLE, so readiness visibly flips.
	LoadDelay time.Duration
	// Upstream is an OpenAI-compatible base URL (".../v1") that chat,
	// completions and embeddings are forwarded to.
	Upstream string
	// UpstreamModel, when set, replaces the model name sent upstream.
	UpstreamModel string
	// APIKey, when set, is required as a bearer token on /v3 (OVMS's
	// --api_key_file / API_KEY).
	APIKey string
}

// State names of a model version (src/modelversionstatus.hpp).
const (
	StateStart       = "START"
	StateLoading     = "LOADING"
	StateAvailable   = "AVAILABLE"
	StateUnloading   = "UNLOADING"
	StateEnd         = "END"
	errorCodeOK      = "OK"
	errorCodeUnknown = "UNKNOWN"
)

type loaded struct {
	servable
	task    string
	state   string
	errMsg  string
	readyAt time.Time
}

// Server is the fake OVMS: Handler serves its REST API; Run polls
// config.json.
type Server struct {
	opts    Options
	client  *http.Client
	mu      sync.Mutex
	models  map[string]*loaded
	stamp   time.Time // config.json's mtime at the last load
	size    int64
	ready   bool   // the first load happened
	lastErr string // the last refused config, for the logs
	reloads int
}

// New makes a server and loads config.json once (as OVMS does at start).
// A config that cannot be read is an error: OVMS refuses to start.
func New(opts Options) (*Server, error) {
	if opts.ConfigPath == "" {
		return nil, errors.New("ovmstest: ConfigPath is required")
	}
	s := &Server{opts: opts, client: &http.Client{}, models: map[string]*loaded{}}
	if _, err := s.Reload(); err != nil {
		return nil, err
	}
	s.ready = true
	return s, nil
}

// Reloads counts the loads that changed the served set.
func (s *Server) Reloads() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.reloads
}

// Run polls config.json every PollInterval until ctx ends.
func (s *Server) Run(ctx context.Context) {
	if s.opts.PollInterval <= 0 {
		<-ctx.Done()
		return
	}
	t := time.NewTicker(s.opts.PollInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if s.changed() {
				_, _ = s.Reload()
			}
		}
	}
}

func (s *Server) changed() bool {
	fi, err := os.Stat(s.opts.ConfigPath)
	if err != nil {
		return false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return !fi.ModTime().Equal(s.stamp) || fi.Size() != s.size
}

// Reload applies config.json: new servables load, removed ones are
// unloaded, changed ones reload. It reports whether anything changed
// (OVMS answers 201 then, 200 otherwise). A config that breaks the schema
// changes nothing and is an error.
func (s *Server) Reload() (bool, error) {
	fi, statErr := os.Stat(s.opts.ConfigPath)
	list, err := parseConfig(s.opts.ConfigPath)
	s.mu.Lock()
	defer s.mu.Unlock()
	if statErr == nil {
		s.stamp, s.size = fi.ModTime(), fi.Size()
	}
	if err != nil {
		s.lastErr = err.Error()
		return false, err
	}
	changed := false
	want := map[string]servable{}
	for _, sv := range list {
		want[sv.Name] = sv
	}
	for name, m := range s.models {
		if _, ok := want[name]; !ok && m.state != StateEnd {
			// "it will be unloaded completely from the server after
			// already running inference operations have been completed".
			m.state, changed = StateEnd, true
		}
	}
	now := time.Now()
	for name, sv := range want {
		if m, ok := s.models[name]; ok && m.state != StateEnd && m.servable == sv {
			continue
		}
		m := &loaded{servable: sv, state: StateLoading, readyAt: now.Add(s.opts.LoadDelay)}
		if fi, err := os.Stat(sv.Dir); err != nil || !fi.IsDir() {
			// An invalid servable "will be ignored until the next
			// configuration reload" (docs/online_config_changes.md).
			m.errMsg = "Model directory does not exist: " + sv.Dir
		} else {
			m.task = graphTask(sv.Dir)
		}
		s.models[name] = m
		changed = true
	}
	if changed {
		s.reloads++
	}
	return changed, nil
}

// refresh moves LOADING servables whose time has come to AVAILABLE.
func (s *Server) refresh(now time.Time) {
	for _, m := range s.models {
		if m.state == StateLoading && m.errMsg == "" && !now.Before(m.readyAt) {
			m.state = StateAvailable
		}
	}
}

// lookup returns a servable ready for inference, or nil.
func (s *Server) lookup(name string) *loaded {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.refresh(time.Now())
	m := s.models[name]
	if m == nil || m.state != StateAvailable {
		return nil
	}
	cp := *m
	return &cp
}

// versionStatus is one element of "model_version_status"
// (docs/model_server_rest_api_tfs.md before 2026, "Config Status API").
type versionStatus struct {
	Version string `json:"version"`
	State   string `json:"state"`
	Status  struct {
		ErrorCode    string `json:"error_code"`
		ErrorMessage string `json:"error_message"`
	} `json:"status"`
}

// statuses is the body of GET /v1/config and POST /v1/config/reload:
// {"<name>": {"model_version_status": [...]}, ...}.
func (s *Server) statuses() map[string]map[string][]versionStatus {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.refresh(time.Now())
	out := map[string]map[string][]versionStatus{}
	names := make([]string, 0, len(s.models))
	for n := range s.models {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		m := s.models[n]
		var vs versionStatus
		vs.Version, vs.State = "1", m.state
		vs.Status.ErrorCode = errorCodeOK
		if m.errMsg != "" {
			vs.Status.ErrorCode, vs.Status.ErrorMessage = errorCodeUnknown, m.errMsg
		}
		out[n] = map[string][]versionStatus{"model_version_status": {vs}}
	}
	return out
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}

// writeError answers OVMS's error shape: {"error": "<message>"}.
func writeError(w http.ResponseWriter, code int, msg string) {
	writeJSON(w, code, map[string]string{"error": msg})
}
