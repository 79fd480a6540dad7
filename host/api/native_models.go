package api

import (
	"context"
	"net/http"

	"github.com/roundhouse-ai/roundhouse/client"
	"github.com/roundhouse-ai/roundhouse/host"
	"github.com/roundhouse-ai/roundhouse/host/backend"
	"github.com/roundhouse-ai/roundhouse/host/httpx"
	"github.com/roundhouse-ai/roundhouse/sdk"
)

func (s *Server) pullModel(w http.ResponseWriter, r *http.Request) {
	var req client.PullRequest
	if !s.decode(w, r, &req) {
		return
	}
	if err := host.ValidateModelName(req.Model); err != nil {
		writeError(w, r, s.log, err)
		return
	}
	pull, events, unsubscribe := s.h.Pulls().Start(r.Context(), req.Model, req.Plugin,
		func(ctx context.Context, progress func(*sdk.Progress) error) error {
			return s.b.PullModel(ctx, backend.PullRequest(req), progress)
		})
	defer unsubscribe()
	st := httpx.NewStream(w, httpx.StreamFormat(r))
	if err := st.Send(client.ProgressEvent{ID: pull.ID, Status: "started", Model: req.Model}); err != nil {
		pull.Cancel()
		return
	}
	s.followPull(w, r, st, pull, events)
}

// followPull relays a pull's events until it ends, then sends the final
// event. It is used by the initiating client and by watchers.
func (s *Server) followPull(w http.ResponseWriter, r *http.Request, st *httpx.Stream, pull *host.Pull, events <-chan sdk.Progress) {
	for {
		select {
		case ev, ok := <-events:
			if !ok {
				<-pull.Done()
				final := client.ProgressEvent{ID: pull.ID, Status: "success"}
				if err := pull.Err(); err != nil {
					_, d := errorDetail(err)
					final = client.ProgressEvent{ID: pull.ID, Status: "error", Error: &d}
				}
				_ = st.Send(final)
				return
			}
			if err := st.Send(client.ProgressEvent{ID: pull.ID, Status: ev.Status, Digest: ev.Digest, Total: ev.Total, Completed: ev.Completed, Message: ev.Message}); err != nil {
				return
			}
		case <-r.Context().Done():
			return
		}
	}
}

func (s *Server) listPulls(w http.ResponseWriter, r *http.Request) {
	httpx.WriteJSON(w, http.StatusOK, client.PullList{Pulls: s.h.Pulls().List()})
}

func (s *Server) findPull(w http.ResponseWriter, r *http.Request) *host.Pull {
	p := s.h.Pulls().Get(r.PathValue("id"))
	if p == nil {
		writeError(w, r, s.log, sdk.Errorf(sdk.CodeNotFound, "no pull with id %q (GET /v1/pulls lists them)", r.PathValue("id")))
	}
	return p
}

// watchPull streams the progress of a pull another client started.
func (s *Server) watchPull(w http.ResponseWriter, r *http.Request) {
	pull := s.findPull(w, r)
	if pull == nil {
		return
	}
	events, unsubscribe := pull.Subscribe()
	defer unsubscribe()
	st := httpx.NewStream(w, httpx.StreamFormat(r))
	snap := pull.Snapshot()
	if err := st.Send(client.ProgressEvent{ID: pull.ID, Status: snap.Status, Digest: snap.Digest, Total: snap.Total, Completed: snap.Completed, Model: snap.Model}); err != nil {
		return
	}
	s.followPull(w, r, st, pull, events)
}

func (s *Server) cancelPull(w http.ResponseWriter, r *http.Request) {
	pull := s.findPull(w, r)
	if pull == nil {
		return
	}
	pull.Cancel()
	<-pull.Done()
	httpx.WriteJSON(w, http.StatusOK, pull.Snapshot())
}

func (s *Server) loadModel(w http.ResponseWriter, r *http.Request) {
	var req client.ModelRequest
	if !s.decode(w, r, &req) {
		return
	}
	err := s.b.LoadModel(r.Context(), backend.Route{Plugin: req.Plugin}, &sdk.LoadRequest{Model: req.Model, KeepAlive: req.KeepAlive})
	s.done(w, r, err, map[string]string{"status": "loaded", "model": req.Model})
}

func (s *Server) unloadModel(w http.ResponseWriter, r *http.Request) {
	var req client.ModelRequest
	if !s.decode(w, r, &req) {
		return
	}
	err := s.b.UnloadModel(r.Context(), backend.Route{Plugin: req.Plugin}, req.Model)
	s.done(w, r, err, map[string]string{"status": "unloaded", "model": req.Model})
}

func (s *Server) deleteModel(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	err := s.b.DeleteModel(r.Context(), backend.Route{Plugin: r.URL.Query().Get("plugin")}, name)
	s.done(w, r, err, map[string]string{"status": "deleted", "model": name})
}

func (s *Server) done(w http.ResponseWriter, r *http.Request, err error, ok any) {
	if err != nil {
		writeError(w, r, s.log, err)
		return
	}
	httpx.WriteJSON(w, http.StatusOK, ok)
}
