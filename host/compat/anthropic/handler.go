package anthropic

import (
	"log/slog"
	"net/http"

	"github.com/roundhouse-ai/roundhouse/host/backend"
	"github.com/roundhouse-ai/roundhouse/host/httpx"
	"github.com/roundhouse-ai/roundhouse/internal/streamhint"
	"github.com/roundhouse-ai/roundhouse/sdk"
)

// Options tune the surface.
type Options struct {
	// MaxBodyBytes caps request bodies (0 = httpx.DefaultMaxBody); larger
	// ones are answered 413.
	MaxBodyBytes int64
	// Logger receives server-side failures (nil = discard).
	Logger *slog.Logger
}

// Route headers, shared by every surface (see backend.HeaderPolicy).
const (
	HeaderPolicy = backend.HeaderPolicy
	HeaderPlugin = backend.HeaderPlugin
)

// RouteFrom reads the routing wishes of r from the route headers.
func RouteFrom(r *http.Request) (backend.Route, error) { return backend.RouteFromHeaders(r) }

type handler struct {
	b   backend.Backend
	max int64
	log *slog.Logger
}

// Register mounts the Anthropic-compatible route on mux:
//
//	POST /v1/messages
//
// Authentication headers (x-api-key, anthropic-version, anthropic-beta)
// are accepted and ignored.
func Register(mux *http.ServeMux, b backend.Backend, opts Options) {
	h := &handler{b: b, max: opts.MaxBodyBytes, log: opts.Logger}
	if h.max <= 0 {
		h.max = httpx.DefaultMaxBody
	}
	if h.log == nil {
		h.log = slog.New(slog.DiscardHandler)
	}
	mux.HandleFunc("POST /v1/messages", h.messages)
}

func (h *handler) fail(w http.ResponseWriter, r *http.Request, err error) {
	writeError(w, r, h.log, err)
}

func (h *handler) messages(w http.ResponseWriter, r *http.Request) {
	var req MessagesRequest
	if err := httpx.DecodeJSON(w, r, h.max, &req); err != nil {
		h.fail(w, r, err)
		return
	}
	rt, err := RouteFrom(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	sreq, err := MessagesRequestToSDK(&req)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	id := newID("msg_")
	if !req.Stream {
		resp, err := h.b.Chat(r.Context(), rt, sreq)
		if err != nil {
			h.fail(w, r, err)
			return
		}
		httpx.WriteJSON(w, http.StatusOK, MessageToAnthropic(resp, req.Model, id))
		return
	}
	enc := &StreamEncoder{ID: id, Model: req.Model}
	st := httpx.NewStream(w, httpx.SSE)
	ctx, hint := streamhint.With(r.Context())
	done := false
	send := func(c *sdk.ChatChunk) error {
		if done {
			return nil
		}
		done = c.Done
		for _, ev := range enc.Encode(c) {
			if err := st.QueueEvent(ev.Name, ev.Data); err != nil {
				return err
			}
		}
		if !done && hint.Pending() {
			return nil // the next chunk flushes these
		}
		return st.Flush()
	}
	err = h.b.ChatStream(ctx, rt, sreq, send)
	if r.Context().Err() != nil {
		return // the client went away; the backend saw the cancellation
	}
	if err != nil {
		if !st.Started() && !st.Queued() {
			h.fail(w, r, err)
			return
		}
		h.log.Warn("anthropic compat: stream failed", "err", err)
		ev := ErrorEvent(err)
		_ = st.SendEvent(ev.Name, ev.Data)
		return
	}
	if !done {
		_ = send(&sdk.ChatChunk{Done: true})
	}
}
