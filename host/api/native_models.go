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
	s.tracked(w, r, host.KindPull, req.Model, req.Plugin, func(ctx context.Context, progress func(*sdk.Progress) error) error {
		return s.b.PullModel(ctx, backend.PullRequest(req), progress)
	})
}

// pushModel uploads a model to its registry: tracked like a pull (listed
// in GET /v1/pulls with kind "push", watchable, cancellable).
func (s *Server) pushModel(w http.ResponseWriter, r *http.Request) {
	var req client.PushRequest
	if !s.decode(w, r, &req) {
		return
	}
	if err := host.ValidateModelName(req.Model); err != nil {
		writeError(w, r, s.log, err)
		return
	}
	s.tracked(w, r, host.KindPush, req.Model, req.Plugin, func(ctx context.Context, progress func(*sdk.Progress) error) error {
		return s.b.PushModel(ctx, backend.Route{Plugin: req.Plugin}, &sdk.PushRequest{Model: req.Model, Insecure: req.Insecure}, progress)
	})
}

// createModel makes a model from uploaded blobs, a file on this machine or
// a base model: tracked like a pull, with kind "create".
func (s *Server) createModel(w http.ResponseWriter, r *http.Request) {
	var req client.CreateRequest
	if !s.decode(w, r, &req) {
		return
	}
	if err := host.ValidateModelName(req.Model); err != nil {
		writeError(w, r, s.log, err)
		return
	}
	if req.From == "" && len(req.Files) == 0 && req.Path == "" {
		writeError(w, r, s.log, sdk.FieldError("from", "or files or path is required: create a model from a base model, uploaded blobs or a model file"))
		return
	}
	cr := &sdk.CreateRequest{Model: req.Model, From: req.From, Files: req.Files, Path: req.Path, Template: req.Template,
		System: req.System, Parameters: req.Parameters, Quantize: req.Quantize}
	s.tracked(w, r, host.KindCreate, req.Model, req.Plugin, func(ctx context.Context, progress func(*sdk.Progress) error) error {
		return s.b.CreateModel(ctx, backend.Route{Plugin: req.Plugin}, cr, progress)
	})
}

// copyModel gives a model a second name.
func (s *Server) copyModel(w http.ResponseWriter, r *http.Request) {
	var req client.CopyRequest
	if !s.decode(w, r, &req) {
		return
	}
	if req.Source == "" {
		writeError(w, r, s.log, sdk.FieldError("source", "is required"))
		return
	}
	if req.Destination == "" {
		writeError(w, r, s.log, sdk.FieldError("destination", "is required"))
		return
	}
	err := s.b.CopyModel(r.Context(), backend.Route{Plugin: req.Plugin}, &sdk.CopyRequest{Source: req.Source, Destination: req.Destination})
	s.done(w, r, err, map[string]string{"status": "copied", "source": req.Source, "destination": req.Destination})
}

// tracked runs a pull, push or create through the host's tracker and
// streams its progress: first event the operation's id ("started"), last
// "success" or "error".
func (s *Server) tracked(w http.ResponseWriter, r *http.Request, kind, model, plugin string,
	run func(ctx context.Context, progress func(*sdk.Progress) error) error) {
	pull, events, unsubscribe := s.h.Pulls().StartKind(r.Context(), kind, model, plugin, run)
	defer unsubscribe()
	// Hold the answer until the operation shows it is under way (a first
	// progress event) or fails: a name the plugin refuses, an unknown
	// plugin, an engine that is down are then a plain 4xx/5xx, not a 200
	// stream that starts and fails. A registry slower than this still
	// gets its "started" event.
	var first *sdk.Progress
	wait := time.NewTimer(pullStartWait)
	select {
	case ev, ok := <-events:
		if ok {
			first = &ev
		} else if <-pull.Done(); pull.Err() != nil {
			wait.Stop()
			writeError(w, r, s.log, pull.Err())
			return
		} else {
			events = closedEvents
		}
	case <-wait.C:
	case <-r.Context().Done():
	}
	wait.Stop()
	st := httpx.NewStream(w, httpx.StreamFormat(r))
	if err := st.Send(client.ProgressEvent{ID: pull.ID, Status: "started", Model: model}); err != nil {
		pull.Cancel()
		return
	}
	if first != nil {
		if err := st.Send(client.ProgressEvent{ID: pull.ID, Status: first.Status, Digest: first.Digest, Total: first.Total, Completed: first.Completed, Message: first.Message}); err != nil {
			return
		}
	}
	s.followPull(w, r, st, pull, events)
}

// pullStartWait is how long a new pull may take to show progress before
// its stream starts anyway.
const pullStartWait = 2 * time.Second

// closedEvents is an event channel that is already closed.
var closedEvents = func() <-chan sdk.Progress { c := make(chan sdk.Progress); close(c); return c }()

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
	httpx.WriteJSON(w, http.StatusOK, client.PullList{Pulls: wirePulls(s.h.Pulls().List())})
}

func (s *Server) findPull(w http.ResponseWriter, r *http.Request) *host.Pull {
	p := s.h.Pulls().Get(r.PathValue("id"))
	if p == nil {
		writeError(w, r, s.log, sdk.Errorf(sdk.CodeNotFound, "no pull, push or create with id %q (GET /v1/pulls lists them)", r.PathValue("id")))
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
	httpx.WriteJSON(w, http.StatusOK, wirePull(pull.Snapshot()))
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
