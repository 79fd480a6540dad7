package ollama

import (
	"io"
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
	// Version is what /api/version reports ("" = the backend's). Some
	// Ollama clients refuse servers older than they expect; the host can
	// advertise an Ollama-compatible version here.
	Version string
}

// Route headers, shared by every surface (see backend.HeaderPolicy).
const (
	HeaderPolicy = backend.HeaderPolicy
	HeaderPlugin = backend.HeaderPlugin
)

// RouteFrom reads the routing wishes of r from the route headers.
func RouteFrom(r *http.Request) (backend.Route, error) { return backend.RouteFromHeaders(r) }

type handler struct {
	b       backend.Backend
	max     int64
	log     *slog.Logger
	version string
}

// Register mounts the Ollama-compatible routes on mux:
//
//	GET    /api/version
//	GET    /api/tags
//	GET    /api/ps
//	POST   /api/show
//	POST   /api/pull
//	DELETE /api/delete
//	POST   /api/copy
//	POST   /api/create
//	POST   /api/push
//	HEAD   /api/blobs/{digest}
//	POST   /api/blobs/{digest}  (any body: the blob's bytes, streamed)
//	POST   /api/chat
//	POST   /api/generate
//	POST   /api/embed
//	POST   /api/embeddings
//
// GET patterns answer HEAD too. "/" itself is not registered here: mount
// RootHandler where the host serves its root.
func Register(mux *http.ServeMux, b backend.Backend, opts Options) {
	h := &handler{b: b, max: opts.MaxBodyBytes, log: opts.Logger, version: opts.Version}
	if h.max <= 0 {
		h.max = httpx.DefaultMaxBody
	}
	if h.log == nil {
		h.log = slog.New(slog.DiscardHandler)
	}
	mux.HandleFunc("GET /api/version", h.versionHandler)
	mux.HandleFunc("GET /api/tags", h.tags)
	mux.HandleFunc("GET /api/ps", h.ps)
	mux.HandleFunc("POST /api/show", h.show)
	mux.HandleFunc("POST /api/pull", h.pull)
	mux.HandleFunc("DELETE /api/delete", h.delete)
	mux.HandleFunc("POST /api/copy", h.copy)
	mux.HandleFunc("POST /api/create", h.create)
	mux.HandleFunc("POST /api/push", h.push)
	mux.HandleFunc("HEAD /api/blobs/{digest}", h.headBlob)
	mux.HandleFunc("POST /api/blobs/{digest}", h.createBlob)
	mux.HandleFunc("POST /api/chat", h.chat)
	mux.HandleFunc("POST /api/generate", h.generate)
	mux.HandleFunc("POST /api/embed", h.embed)
	mux.HandleFunc("POST /api/embeddings", h.embeddings)
}

// RootHandler answers GET and HEAD / with "Ollama is running", as Ollama
// does (clients probe it as a heartbeat). Other paths are 404, other
// methods 405.
func RootHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/" {
			http.NotFound(w, r)
			return
		}
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, http.StatusText(http.StatusMethodNotAllowed), http.StatusMethodNotAllowed)
			return
		}
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.WriteHeader(http.StatusOK)
		if r.Method == http.MethodGet {
			_, _ = io.WriteString(w, "Ollama is running")
		}
	})
}

func (h *handler) fail(w http.ResponseWriter, r *http.Request, err error) {
	writeError(w, r, h.log, backend.InDialect(err, ollamaNames))
}

func (h *handler) decode(w http.ResponseWriter, r *http.Request, v any) (backend.Route, bool) {
	if err := httpx.DecodeJSON(w, r, h.max, v); err != nil {
		h.fail(w, r, err)
		return backend.Route{}, false
	}
	rt, err := RouteFrom(r)
	if err != nil {
		h.fail(w, r, err)
		return rt, false
	}
	return rt, true
}

// ollamaNames are the Ollama names of sdk fields that Ollama spells
// differently, so that an error from the shared validators or from the
// plugin boundary (invalid UTF-8) names the field the client sent.
var ollamaNames = map[string]string{
	"options.max_tokens":                  "options.num_predict",
	"options.response_format.schema":      "format",
	"messages[*].tool_calls[*].name":      "messages[*].tool_calls[*].function.name",
	"messages[*].tool_calls[*].arguments": "messages[*].tool_calls[*].function.arguments",
	"tools[*].name":                       "tools[*].function.name",
	"tools[*].description":                "tools[*].function.description",
	"tools[*].parameters":                 "tools[*].function.parameters",
	"extra.options":                       "options",
	"extra.template":                      "template",
}

// streaming is Ollama's default: stream unless "stream": false.
func streaming(s *bool) bool { return s == nil || *s }

// endStream finishes an NDJSON stream after the backend returned err: a
// JSON error with its status if nothing was sent yet, an {"error"} line
// otherwise (as Ollama does).
func (h *handler) endStream(w http.ResponseWriter, r *http.Request, st *httpx.Stream, err error) {
	if err == nil || r.Context().Err() != nil {
		return
	}
	if !st.Started() && !st.Queued() {
		h.fail(w, r, err)
		return
	}
	h.log.Warn("ollama compat: stream failed", "path", r.URL.Path, "err", err)
	_, body := ToError(err)
	_ = st.Send(body)
}

func (h *handler) versionHandler(w http.ResponseWriter, r *http.Request) {
	v := h.version
	if v == "" {
		v = h.b.Version()
	}
	httpx.WriteJSON(w, http.StatusOK, VersionResponse{Version: v})
}

func (h *handler) tags(w http.ResponseWriter, r *http.Request) {
	ms, err := h.b.ListModels(r.Context(), false)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	httpx.WriteJSON(w, http.StatusOK, ListToOllama(ms))
}

func (h *handler) ps(w http.ResponseWriter, r *http.Request) {
	ms, err := h.b.ListModels(r.Context(), true)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	httpx.WriteJSON(w, http.StatusOK, PsToOllama(ms))
}

// modelName reads "model" or its deprecated spelling "name".
func (m *ModelRequest) modelName() (string, error) {
	name := m.Model
	if name == "" {
		name = m.Name
	}
	if name == "" {
		return "", sdk.FieldError("model", "is required")
	}
	return name, nil
}

func (h *handler) show(w http.ResponseWriter, r *http.Request) {
	var req ModelRequest
	rt, ok := h.decode(w, r, &req)
	if !ok {
		return
	}
	name, err := req.modelName()
	if err != nil {
		h.fail(w, r, err)
		return
	}
	d, _, err := h.b.ShowModel(r.Context(), rt, name)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	httpx.WriteJSON(w, http.StatusOK, ShowToOllama(d))
}

func (h *handler) pull(w http.ResponseWriter, r *http.Request) {
	var req ModelRequest
	rt, ok := h.decode(w, r, &req)
	if !ok {
		return
	}
	name, err := req.modelName()
	if err == nil {
		// Before anything is answered: a hostile name must get its 400,
		// not a 200 and a "pulling manifest" line followed by an error.
		err = backend.ValidateModelName(name)
	}
	if err != nil {
		h.fail(w, r, err)
		return
	}
	preq := backend.PullRequest{Model: name, Insecure: req.Insecure, Plugin: rt.Plugin}
	if !streaming(req.Stream) {
		err := h.b.PullModel(r.Context(), preq, func(*sdk.Progress) error { return nil })
		if err != nil {
			h.fail(w, r, err)
			return
		}
		httpx.WriteJSON(w, http.StatusOK, ProgressResponse{Status: "success"})
		return
	}
	st := httpx.NewStream(w, httpx.NDJSON)
	success := false
	err = h.b.PullModel(r.Context(), preq, func(p *sdk.Progress) error {
		// Ollama opens every pull with "pulling manifest"; held back until
		// the backend reports, so an unknown model still gets its status.
		if !st.Started() && p.Status != "pulling manifest" {
			if err := st.Send(ProgressResponse{Status: "pulling manifest"}); err != nil {
				return err
			}
		}
		success = success || p.Status == "success"
		return st.Send(ProgressToOllama(p))
	})
	if err != nil {
		h.endStream(w, r, st, err)
		return
	}
	if !success && r.Context().Err() == nil {
		if !st.Started() {
			_ = st.Send(ProgressResponse{Status: "pulling manifest"})
		}
		_ = st.Send(ProgressResponse{Status: "success"})
	}
}

func (h *handler) delete(w http.ResponseWriter, r *http.Request) {
	var req ModelRequest
	rt, ok := h.decode(w, r, &req)
	if !ok {
		return
	}
	name, err := req.modelName()
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if err := h.b.DeleteModel(r.Context(), rt, name); err != nil {
		h.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusOK)
}

// copy gives a model a second name; Ollama answers 200 with no body.
func (h *handler) copy(w http.ResponseWriter, r *http.Request) {
	var req CopyRequest
	rt, ok := h.decode(w, r, &req)
	if !ok {
		return
	}
	if req.Source == "" {
		h.fail(w, r, sdk.FieldError("source", "is required"))
		return
	}
	if req.Destination == "" {
		h.fail(w, r, sdk.FieldError("destination", "is required"))
		return
	}
	if err := h.b.CopyModel(r.Context(), rt, &sdk.CopyRequest{Source: req.Source, Destination: req.Destination}); err != nil {
		h.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusOK)
}

// create makes a model (from uploaded blobs, or a base model) and streams
// its progress as Ollama does: NDJSON lines, "success" last.
func (h *handler) create(w http.ResponseWriter, r *http.Request) {
	var req CreateRequest
	rt, ok := h.decode(w, r, &req)
	if !ok {
		return
	}
	name := req.Model
	if name == "" {
		name = req.Name
	}
	cr, err := req.toSDK(name)
	if err == nil {
		err = backend.ValidateModelName(name)
	}
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.progressStream(w, r, req.Stream, func(progress func(*sdk.Progress) error) error {
		return h.b.CreateModel(r.Context(), rt, cr, progress)
	})
}

// push uploads a model to its registry, streaming Ollama's progress.
func (h *handler) push(w http.ResponseWriter, r *http.Request) {
	var req ModelRequest
	rt, ok := h.decode(w, r, &req)
	if !ok {
		return
	}
	name, err := req.modelName()
	if err == nil {
		err = backend.ValidateModelName(name)
	}
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.progressStream(w, r, req.Stream, func(progress func(*sdk.Progress) error) error {
		return h.b.PushModel(r.Context(), rt, &sdk.PushRequest{Model: name, Insecure: req.Insecure}, progress)
	})
}

// progressStream answers a create or push: NDJSON progress by default,
// or with "stream": false one {"status":"success"} once it is done.
func (h *handler) progressStream(w http.ResponseWriter, r *http.Request, stream *bool, run func(func(*sdk.Progress) error) error) {
	if !streaming(stream) {
		if err := run(func(*sdk.Progress) error { return nil }); err != nil {
			h.fail(w, r, err)
			return
		}
		httpx.WriteJSON(w, http.StatusOK, ProgressResponse{Status: "success"})
		return
	}
	st := httpx.NewStream(w, httpx.NDJSON)
	success := false
	err := run(func(p *sdk.Progress) error {
		success = success || p.Status == "success"
		return st.Send(ProgressToOllama(p))
	})
	if err != nil {
		h.endStream(w, r, st, err)
		return
	}
	if !success && r.Context().Err() == nil {
		_ = st.Send(ProgressResponse{Status: "success"})
	}
}

// blobDigest reads the digest of a blob route, checked as Ollama checks
// it; the answer to a bad one is Ollama's 400.
func (h *handler) blobDigest(w http.ResponseWriter, r *http.Request) (string, bool) {
	d := r.PathValue("digest")
	if !validDigest(d) {
		h.fail(w, r, &sdk.Error{Code: sdk.CodeInvalidArgument, Message: "invalid digest format"})
		return "", false
	}
	return d, true
}

// validDigest is Ollama's blob digest pattern: sha256, ':' or '-', 64 hex
// digits.
func validDigest(d string) bool {
	if len(d) != 71 || d[:6] != "sha256" || (d[6] != ':' && d[6] != '-') {
		return false
	}
	for _, c := range d[7:] {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return false
		}
	}
	return true
}

// headBlob answers 200 when the engine has the blob, 404 otherwise.
func (h *handler) headBlob(w http.ResponseWriter, r *http.Request) {
	d, ok := h.blobDigest(w, r)
	if !ok {
		return
	}
	rt, err := RouteFrom(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	has, err := h.b.CheckBlob(r.Context(), rt, d)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if !has {
		h.fail(w, r, sdk.Errorf(sdk.CodeNotFound, "blob %q not found", d))
		return
	}
	w.WriteHeader(http.StatusOK)
}

// createBlob streams the body to the engine as a blob: 201 once stored,
// 200 without reading the body when the engine has it already (as
// Ollama), 400 when the bytes do not match the digest.
func (h *handler) createBlob(w http.ResponseWriter, r *http.Request) {
	d, ok := h.blobDigest(w, r)
	if !ok {
		return
	}
	rt, err := RouteFrom(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	has, err := h.b.CheckBlob(r.Context(), rt, d)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if has {
		w.WriteHeader(http.StatusOK)
		return
	}
	if err := h.b.CreateBlob(r.Context(), rt, d, r.Body); err != nil {
		h.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusCreated)
}

// loadOrUnload answers Ollama's empty chat/generate: keep_alive 0 unloads
// the model, anything else loads it. It writes one final object.
func (h *handler) loadOrUnload(w http.ResponseWriter, r *http.Request, rt backend.Route, model string, keepAlive *float64, chat bool) {
	if model == "" {
		h.fail(w, r, sdk.FieldError("model", "is required"))
		return
	}
	if backend.CallerFrom(r.Context()).NoManage {
		h.fail(w, r, sdk.Errorf(sdk.CodePermissionDenied,
			"loading and unloading models needs an API key with the admin scope"))
		return
	}
	reason := "load"
	var err error
	if keepAlive != nil && *keepAlive == 0 {
		reason = "unload"
		err = h.b.UnloadModel(r.Context(), rt, model)
	} else {
		err = h.b.LoadModel(r.Context(), rt, &sdk.LoadRequest{Model: model, KeepAlive: keepAlive})
	}
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if chat {
		httpx.WriteJSON(w, http.StatusOK, ChatResponse{Model: model, CreatedAt: now().UTC(),
			Message: Message{Role: "assistant"}, Done: true, DoneReason: reason})
		return
	}
	httpx.WriteJSON(w, http.StatusOK, GenerateResponse{Model: model, CreatedAt: now().UTC(), Done: true, DoneReason: reason})
}

func (h *handler) chat(w http.ResponseWriter, r *http.Request) {
	var req ChatRequest
	rt, ok := h.decode(w, r, &req)
	if !ok {
		return
	}
	sreq, err := ChatRequestToSDK(&req)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if len(sreq.Messages) == 0 {
		h.loadOrUnload(w, r, rt, req.Model, sreq.KeepAlive, true)
		return
	}
	if err := backend.ValidateChat(sreq); err != nil {
		h.fail(w, r, err)
		return
	}
	if !streaming(req.Stream) {
		t := &timing{start: now()}
		resp, err := h.b.Chat(r.Context(), rt, sreq)
		if err != nil {
			h.fail(w, r, err)
			return
		}
		httpx.WriteJSON(w, http.StatusOK, ChatResponseToOllama(resp, req.Model, t))
		return
	}
	enc := NewChatStreamEncoder(req.Model)
	st := httpx.NewStream(w, httpx.NDJSON)
	ctx, hint := streamhint.With(r.Context())
	done := false
	send := func(c *sdk.ChatChunk) error {
		if done {
			return nil
		}
		done = c.Done
		for _, line := range enc.Encode(c) {
			if err := st.Queue(line); err != nil {
				return err
			}
		}
		if !done && hint.Hold() {
			return nil // the next chunk flushes these (never the first: streamhint.Hold)
		}
		return st.Flush()
	}
	err = h.b.ChatStream(ctx, rt, sreq, send)
	if err == nil && !done && r.Context().Err() == nil {
		err = send(&sdk.ChatChunk{Done: true})
	}
	h.endStream(w, r, st, err)
}

func (h *handler) generate(w http.ResponseWriter, r *http.Request) {
	var req GenerateRequest
	rt, ok := h.decode(w, r, &req)
	if !ok {
		return
	}
	sreq, err := GenerateRequestToSDK(&req)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if sreq.Prompt == "" && len(sreq.Images) == 0 {
		h.loadOrUnload(w, r, rt, req.Model, sreq.KeepAlive, false) // Ollama's load request
		return
	}
	if err := backend.ValidateGenerate(sreq); err != nil {
		h.fail(w, r, err)
		return
	}
	if !streaming(req.Stream) {
		t := &timing{start: now()}
		resp, err := h.b.Generate(r.Context(), rt, sreq)
		if err != nil {
			h.fail(w, r, err)
			return
		}
		httpx.WriteJSON(w, http.StatusOK, GenerateResponseToOllama(resp, req.Model, t))
		return
	}
	enc := NewGenerateStreamEncoder(req.Model)
	st := httpx.NewStream(w, httpx.NDJSON)
	ctx, hint := streamhint.With(r.Context())
	done := false
	send := func(c *sdk.GenerateChunk) error {
		if done {
			return nil
		}
		done = c.Done
		for _, line := range enc.Encode(c) {
			if err := st.Queue(line); err != nil {
				return err
			}
		}
		if !done && hint.Hold() {
			return nil // the next chunk flushes these (never the first: streamhint.Hold)
		}
		return st.Flush()
	}
	err = h.b.GenerateStream(ctx, rt, sreq, send)
	if err == nil && !done && r.Context().Err() == nil {
		err = send(&sdk.GenerateChunk{Done: true})
	}
	h.endStream(w, r, st, err)
}

func (h *handler) embed(w http.ResponseWriter, r *http.Request) {
	var req EmbedRequest
	rt, ok := h.decode(w, r, &req)
	if !ok {
		return
	}
	sreq, err := EmbedRequestToSDK(&req)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	// Unlike chat and generate, an embed without input is no load request
	// here: it is answered 400 naming input, as on the native route.
	if err := backend.ValidateEmbed(sreq); err != nil {
		h.fail(w, r, err)
		return
	}
	start := now()
	resp, err := h.b.Embed(r.Context(), rt, sreq)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	out := EmbedResponse{Model: resp.Model, Embeddings: resp.Embeddings,
		TotalDuration: max(now().Sub(start).Nanoseconds(), 1)}
	if out.Model == "" {
		out.Model = req.Model
	}
	if out.Embeddings == nil {
		out.Embeddings = [][]float32{}
	}
	if resp.Usage != nil {
		out.PromptEvalCount = resp.Usage.PromptTokens
	}
	httpx.WriteJSON(w, http.StatusOK, out)
}

func (h *handler) embeddings(w http.ResponseWriter, r *http.Request) {
	var req EmbeddingRequest
	rt, ok := h.decode(w, r, &req)
	if !ok {
		return
	}
	_, extra, err := ParseOptions(req.Options)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if _, err := ParseKeepAlive(req.KeepAlive); err != nil {
		h.fail(w, r, err)
		return
	}
	if req.Prompt == "" {
		httpx.WriteJSON(w, http.StatusOK, EmbeddingResponse{Embedding: []float64{}})
		return
	}
	sreq := &sdk.EmbedRequest{Model: req.Model, Input: []string{req.Prompt}, Truncate: true}
	if extra != nil {
		sreq.Extra = map[string]any{"options": extra}
	}
	resp, err := h.b.Embed(r.Context(), rt, sreq)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	out := EmbeddingResponse{Embedding: []float64{}}
	if len(resp.Embeddings) > 0 {
		out.Embedding = make([]float64, len(resp.Embeddings[0]))
		for i, f := range resp.Embeddings[0] {
			out.Embedding[i] = float64(f)
		}
	}
	httpx.WriteJSON(w, http.StatusOK, out)
}
