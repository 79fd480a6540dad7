package openai

import (
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strconv"

	"github.com/roundhouse-ai/roundhouse/host/backend"
	"github.com/roundhouse-ai/roundhouse/host/httpx"
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

func newHandler(b backend.Backend, opts Options) *handler {
	h := &handler{b: b, max: opts.MaxBodyBytes, log: opts.Logger}
	if h.max <= 0 {
		h.max = httpx.DefaultMaxBody
	}
	if h.log == nil {
		h.log = slog.New(slog.DiscardHandler)
	}
	return h
}

// Register mounts the OpenAI-compatible routes on mux:
//
//	POST /v1/chat/completions
//	POST /v1/completions
//	POST /v1/embeddings
//	GET  /v1/models
//	GET  /v1/models/{model...}
//	POST /v1/images/generations
//	POST /v1/audio/speech
//	POST /v1/audio/transcriptions
//
// Only GET is registered under /v1/models/ so the native API's POST and
// DELETE routes there do not clash.
func Register(mux *http.ServeMux, b backend.Backend, opts Options) {
	h := newHandler(b, opts)
	mux.HandleFunc("POST /v1/chat/completions", h.chat)
	mux.HandleFunc("POST /v1/completions", h.completions)
	mux.HandleFunc("POST /v1/embeddings", h.embeddings)
	mux.HandleFunc("GET /v1/models", h.models)
	mux.HandleFunc("GET /v1/models/{model...}", h.model)
	mux.HandleFunc("POST /v1/images/generations", h.images)
	mux.HandleFunc("POST /v1/audio/speech", h.speech)
	mux.HandleFunc("POST /v1/audio/transcriptions", h.transcriptions)
	mux.HandleFunc("POST /v1/images/edits", h.imageEdits)
}

func (h *handler) fail(w http.ResponseWriter, r *http.Request, err error) {
	writeError(w, r, h.log, backend.InDialect(err, openaiNames))
}

// openaiNames are the OpenAI names of sdk fields that OpenAI spells
// differently, so that an error from the plugin boundary (invalid UTF-8)
// names the field the client sent.
var openaiNames = map[string]string{
	"messages[*].tool_calls[*].name":      "messages[*].tool_calls[*].function.name",
	"messages[*].tool_calls[*].arguments": "messages[*].tool_calls[*].function.arguments",
	"tools[*].name":                       "tools[*].function.name",
	"tools[*].description":                "tools[*].function.description",
	"tools[*].parameters":                 "tools[*].function.parameters",
	"options.response_format.schema":      "response_format.json_schema.schema",
	"options.stop":                        "stop",
	"extra.user":                          "user",
}

// decode reads the JSON body and the route headers.
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

// endStream finishes an SSE stream after the backend returned err: a JSON
// error if nothing was sent yet, an error event otherwise; [DONE] ends
// every stream that started. finish sends the closing chunks of a stream
// the backend ended without a Done chunk.
func (h *handler) endStream(w http.ResponseWriter, r *http.Request, st *httpx.Stream, err error, finish func() error) {
	if r.Context().Err() != nil {
		return // the client went away; the backend saw the cancellation
	}
	if err != nil {
		if !st.Started() {
			h.fail(w, r, err)
			return
		}
		h.log.Warn("openai compat: stream failed", "path", r.URL.Path, "err", err)
		_, body := ToError(err)
		_ = st.Send(body)
		_ = st.SendRaw(doneEvent)
		return
	}
	if err := finish(); err != nil {
		return
	}
	_ = st.SendRaw(doneEvent)
}

func (h *handler) chat(w http.ResponseWriter, r *http.Request) {
	var req ChatCompletionRequest
	rt, ok := h.decode(w, r, &req)
	if !ok {
		return
	}
	sreq, err := ChatRequestToSDK(&req)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	id, created := newID("chatcmpl-"), now().Unix()
	if !req.Stream {
		resp, err := h.b.Chat(r.Context(), rt, sreq)
		if err != nil {
			h.fail(w, r, err)
			return
		}
		httpx.WriteJSON(w, http.StatusOK, ChatResponseToOpenAI(resp, req.Model, id, created))
		return
	}
	enc := &ChatStreamEncoder{ID: id, Created: created, Model: req.Model,
		IncludeUsage: req.StreamOptions != nil && req.StreamOptions.IncludeUsage}
	st := httpx.NewStream(w, httpx.SSE)
	done := false
	send := func(c *sdk.ChatChunk) error {
		if done {
			return nil
		}
		done = c.Done
		for _, oc := range enc.Encode(c) {
			if err := st.Send(oc); err != nil {
				return err
			}
		}
		return nil
	}
	err = h.b.ChatStream(r.Context(), rt, sreq, send)
	h.endStream(w, r, st, err, func() error {
		if done {
			return nil
		}
		return send(&sdk.ChatChunk{Done: true})
	})
}

func (h *handler) completions(w http.ResponseWriter, r *http.Request) {
	var req CompletionRequest
	rt, ok := h.decode(w, r, &req)
	if !ok {
		return
	}
	sreq, err := CompletionRequestToSDK(&req)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	echo := ""
	if req.Echo {
		echo = sreq.Prompt
	}
	id, created := newID("cmpl-"), now().Unix()
	if !req.Stream {
		resp, err := h.b.Generate(r.Context(), rt, sreq)
		if err != nil {
			h.fail(w, r, err)
			return
		}
		httpx.WriteJSON(w, http.StatusOK, GenerateResponseToOpenAI(resp, req.Model, id, created, echo))
		return
	}
	enc := &CompletionStreamEncoder{ID: id, Created: created, Model: req.Model, Echo: echo,
		IncludeUsage: req.StreamOptions != nil && req.StreamOptions.IncludeUsage}
	st := httpx.NewStream(w, httpx.SSE)
	done := false
	send := func(c *sdk.GenerateChunk) error {
		if done {
			return nil
		}
		done = c.Done
		for _, oc := range enc.Encode(c) {
			if err := st.Send(oc); err != nil {
				return err
			}
		}
		return nil
	}
	err = h.b.GenerateStream(r.Context(), rt, sreq, send)
	h.endStream(w, r, st, err, func() error {
		if done {
			return nil
		}
		return send(&sdk.GenerateChunk{Done: true})
	})
}

func (h *handler) embeddings(w http.ResponseWriter, r *http.Request) {
	var req EmbeddingRequest
	rt, ok := h.decode(w, r, &req)
	if !ok {
		return
	}
	sreq, format, err := EmbeddingRequestToSDK(&req)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	resp, err := h.b.Embed(r.Context(), rt, sreq)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	httpx.WriteJSON(w, http.StatusOK, EmbedResponseToOpenAI(resp, req.Model, format))
}

func (h *handler) models(w http.ResponseWriter, r *http.Request) {
	running := false
	switch s := r.URL.Query().Get("state"); s {
	case "", "all":
	case "running":
		running = true
	default:
		h.fail(w, r, sdk.FieldError("state", "must be running or all; got %q", s))
		return
	}
	ms, err := h.b.ListModels(r.Context(), running)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	httpx.WriteJSON(w, http.StatusOK, ModelsToOpenAI(ms))
}

func (h *handler) model(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("model")
	ms, err := h.b.ListModels(r.Context(), false)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	m, ok := FindModel(ms, id)
	if !ok {
		h.fail(w, r, &sdk.Error{Code: sdk.CodeModelNotFound, Field: "model",
			Message: "the model `" + id + "` does not exist"})
		return
	}
	httpx.WriteJSON(w, http.StatusOK, ModelToOpenAI(m))
}

func (h *handler) images(w http.ResponseWriter, r *http.Request) {
	var req ImageRequest
	rt, ok := h.decode(w, r, &req)
	if !ok {
		return
	}
	sreq, format, err := ImageRequestToSDK(&req)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	resp, err := h.b.TextToImage(r.Context(), rt, sreq)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	httpx.WriteJSON(w, http.StatusOK, ImagesToOpenAI(resp, format, now().Unix()))
}

func (h *handler) speech(w http.ResponseWriter, r *http.Request) {
	var req SpeechRequest
	rt, ok := h.decode(w, r, &req)
	if !ok {
		return
	}
	sreq, err := SpeechRequestToSDK(&req)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	resp, err := h.b.TextToSpeech(r.Context(), rt, sreq)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	w.Header().Set("Content-Type", SpeechContentType(resp, req.ResponseFormat))
	w.Header().Set("Content-Length", strconv.Itoa(len(resp.Audio)))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(resp.Audio)
}

// multipartMemory is how much of a multipart body stays in memory; the
// rest spills to temporary files.
const multipartMemory = 8 << 20

// parseMultipart reads a multipart/form-data body (bounded), answering
// 400/413 itself on failure; the caller removes the form's files.
func (h *handler) parseMultipart(w http.ResponseWriter, r *http.Request, filePart string) (backend.Route, bool) {
	r.Body = http.MaxBytesReader(w, r.Body, h.max)
	if err := r.ParseMultipartForm(multipartMemory); err != nil {
		var tooBig *http.MaxBytesError
		switch {
		case errors.As(err, &tooBig):
			h.fail(w, r, httpx.JSONError(tooBig))
		case errors.Is(err, http.ErrNotMultipart):
			h.fail(w, r, sdk.FieldError("body", "must be multipart/form-data with a %s field", filePart))
		default:
			h.fail(w, r, sdk.FieldError("body", "invalid multipart form: %v", err))
		}
		return backend.Route{}, false
	}
	rt, err := RouteFrom(r)
	if err != nil {
		_ = r.MultipartForm.RemoveAll()
		h.fail(w, r, err)
		return backend.Route{}, false
	}
	return rt, true
}

func (h *handler) transcriptions(w http.ResponseWriter, r *http.Request) {
	rt, ok := h.parseMultipart(w, r, "file")
	if !ok {
		return
	}
	defer func() { _ = r.MultipartForm.RemoveAll() }()
	sreq, format, err := TranscriptionRequestToSDK(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	resp, err := h.b.SpeechToText(r.Context(), rt, sreq)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	ct, body, err := TranscriptionBody(resp, format)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	w.Header().Set("Content-Type", ct)
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(body)
}

// TranscriptionRequestToSDK reads a parsed multipart transcription form;
// it also returns the response format.
func TranscriptionRequestToSDK(r *http.Request) (*sdk.SpeechToTextRequest, string, error) {
	f, fh, err := r.FormFile("file")
	if err != nil {
		return nil, "", sdk.FieldError("file", "is required (an audio file part)")
	}
	defer f.Close()
	audio, err := io.ReadAll(f)
	if err != nil {
		return nil, "", sdk.FieldError("file", "could not be read: %v", err)
	}
	if len(audio) == 0 {
		return nil, "", sdk.FieldError("file", "is empty")
	}
	format := r.FormValue("response_format")
	switch format {
	case "", "json", "text", "verbose_json", "srt", "vtt":
	default:
		return nil, "", sdk.FieldError("response_format", "must be json, text, srt, verbose_json or vtt; got %q", format)
	}
	out := &sdk.SpeechToTextRequest{Model: r.FormValue("model"), Audio: audio, Filename: fh.Filename,
		MIMEType: fh.Header.Get("Content-Type"), Language: r.FormValue("language"), Prompt: r.FormValue("prompt")}
	if out.MIMEType == "application/octet-stream" {
		out.MIMEType = ""
	}
	if t := r.FormValue("temperature"); t != "" {
		v, err := strconv.ParseFloat(t, 64)
		if err != nil || v < 0 || v > 1 {
			return nil, "", sdk.FieldError("temperature", "must be a number between 0 and 1, got %q", t)
		}
		out.Temperature = &v
	}
	return out, format, nil
}
