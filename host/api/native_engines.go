package api

import (
	"context"
	"net/http"
	"time"

	"github.com/roundhouse-ai/roundhouse/client"
	"github.com/roundhouse-ai/roundhouse/host"
	"github.com/roundhouse-ai/roundhouse/host/backend"
	"github.com/roundhouse-ai/roundhouse/host/httpx"
	"github.com/roundhouse-ai/roundhouse/sdk"
	"github.com/roundhouse-ai/roundhouse/sdk/pluginhost"
)

func (s *Server) listEngines(w http.ResponseWriter, r *http.Request) {
	out := client.EngineList{Engines: []client.EngineInfo{}}
	for _, p := range s.h.Plugins() {
		if !p.IsLocal() {
			continue
		}
		ei := client.EngineInfo{Plugin: p.Name(), State: string(p.State())}
		if conn, ok := p.ConnIfRunning(); ok {
			ctx, cancel := context.WithTimeout(r.Context(), 5*time.Second)
			st, err := conn.EngineStatus(ctx)
			cancel()
			if err != nil {
				_, d := errorDetail(err)
				ei.Error = &d
			}
			ei.Engine = st
		}
		out.Engines = append(out.Engines, ei)
	}
	httpx.WriteJSON(w, http.StatusOK, out)
}

// engineCall runs an engine operation through the host's dispatch chain
// (request id, breaker, crash classification), like every plugin call.
func (s *Server) engineCall(ctx context.Context, p *host.Plugin, fn func(*pluginhost.Conn, context.Context) (*sdk.EngineStatus, error)) (*sdk.EngineStatus, error) {
	var st *sdk.EngineStatus
	err := s.h.Router().EngineCall(ctx, p.Name(), nil, func(ctx context.Context, conn *pluginhost.Conn, _ func(*sdk.Progress) error) error {
		var err error
		st, err = fn(conn, ctx)
		return err
	})
	return st, err
}

func (s *Server) localPlugin(w http.ResponseWriter, r *http.Request) *host.Plugin {
	p := s.plugin(w, r, r.PathValue("plugin"))
	if p != nil && !p.IsLocal() {
		writeError(w, r, s.log, sdk.Errorf(sdk.CodeFailedPrecondition, "plugin %s is remote: it has no engine", p.Name()))
		return nil
	}
	return p
}

func (s *Server) startEngine(w http.ResponseWriter, r *http.Request) {
	if p := s.localPlugin(w, r); p != nil {
		st, err := s.engineCall(r.Context(), p, (*pluginhost.Conn).StartEngine)
		s.done(w, r, err, st)
	}
}

func (s *Server) stopEngine(w http.ResponseWriter, r *http.Request) {
	if p := s.localPlugin(w, r); p != nil {
		st, err := s.engineCall(r.Context(), p, (*pluginhost.Conn).StopEngine)
		s.done(w, r, err, st)
	}
}

func (s *Server) installEngine(w http.ResponseWriter, r *http.Request) {
	s.engineProgress(w, r, (*pluginhost.Conn).InstallEngine)
}

func (s *Server) upgradeEngine(w http.ResponseWriter, r *http.Request) {
	s.engineProgress(w, r, (*pluginhost.Conn).UpgradeEngine)
}

// engineProgress streams an install or upgrade like a pull: progress
// events, then a final success or error event.
func (s *Server) engineProgress(w http.ResponseWriter, r *http.Request,
	fn func(*pluginhost.Conn, context.Context, *sdk.InstallEngineRequest, func(*sdk.Progress) error) error) {
	p := s.localPlugin(w, r)
	if p == nil {
		return
	}
	var req sdk.InstallEngineRequest
	if r.ContentLength != 0 && !s.decode(w, r, &req) {
		return
	}
	// What to download and run comes from the plugin's manifest or the
	// config; only an authenticated operator may name another archive. A
	// loopback caller alone proves nothing: it may be any local process.
	if (req.URL != "" || req.SHA256 != "") && !backend.CallerFrom(r.Context()).Admin {
		field := "url"
		if req.URL == "" {
			field = "sha256"
		}
		writeError(w, r, s.log, &sdk.Error{Code: sdk.CodePermissionDenied, Field: field,
			Message: "only an authenticated admin (admin_token or an admin API key) may choose the engine archive; " +
				"leave url and sha256 out to install the version the plugin's manifest or the config pins"})
		return
	}
	st := httpx.NewStream(w, httpx.StreamFormat(r))
	succeeded := false // a plugin may report success itself: say it once
	err := s.h.Router().EngineCall(r.Context(), p.Name(), func(pr *sdk.Progress) error {
		succeeded = pr.Status == "success"
		return st.Send(client.ProgressEvent{Status: pr.Status, Digest: pr.Digest, Total: pr.Total, Completed: pr.Completed, Message: pr.Message})
	}, func(ctx context.Context, conn *pluginhost.Conn, progress func(*sdk.Progress) error) error {
		return fn(conn, ctx, &req, progress)
	})
	if err != nil {
		if !st.Started() {
			writeError(w, r, s.log, err)
			return
		}
		_, d := errorDetail(err)
		_ = st.Send(client.ProgressEvent{Status: "error", Error: &d})
		return
	}
	if !succeeded {
		_ = st.Send(client.ProgressEvent{Status: "success"})
	}
}
