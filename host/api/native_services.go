package api

import (
	"context"
	"net/http"

	"github.com/roundhouse-ai/roundhouse/host/backend"
	"github.com/roundhouse-ai/roundhouse/host/httpx"
	"github.com/roundhouse-ai/roundhouse/internal/streamhint"
	"github.com/roundhouse-ai/roundhouse/sdk"
)

// common are the routing fields every native service body may carry next
// to the service's own fields (the sdk request type).
type common struct {
	// Stream asks for SSE (or NDJSON with Accept: application/x-ndjson).
	Stream bool `json:"stream,omitempty"`
	// Policy: "auto" (default), "local" or "remote".
	Policy backend.Policy `json:"policy,omitempty"`
	// Plugin pins a plugin by name; the request's "provider" field pins
	// a provider instance. Both win over the X-Roundhouse-Plugin and
	// X-Roundhouse-Provider headers, which win over a model prefix.
	Plugin string `json:"plugin,omitempty"`
}

type (
	chatBody struct {
		sdk.ChatRequest
		common
	}
	generateBody struct {
		sdk.GenerateRequest
		common
	}
	embedBody struct {
		sdk.EmbedRequest
		common
	}
	rerankBody struct {
		sdk.RerankRequest
		common
	}
	textToImageBody struct {
		sdk.TextToImageRequest
		common
	}
	imageToImageBody struct {
		sdk.ImageToImageRequest
		common
	}
	textToSpeechBody struct {
		sdk.TextToSpeechRequest
		common
	}
	speechToTextBody struct {
		sdk.SpeechToTextRequest
		common
	}
)

// route merges the body's routing fields with the route headers (the body
// wins field by field). For compatibility a "provider" that names a plugin
// and no provider instance pins that plugin, as it did before "plugin"
// existed. The provider pin travels in the Route; the dispatcher writes
// the chosen target's provider back into the request.
func (s *Server) route(r *http.Request, c common, provider *string) (backend.Route, error) {
	rt, err := backend.RouteFromHeaders(r)
	if err != nil {
		return backend.Route{}, err
	}
	if c.Policy != "" {
		if rt.Policy, err = backend.ParsePolicy(string(c.Policy), "policy"); err != nil {
			return backend.Route{}, err
		}
	}
	if c.Plugin != "" {
		rt.Plugin = c.Plugin
	}
	if p := *provider; p != "" {
		if c.Plugin == "" && s.h.Plugin(p) != nil && s.h.ProviderPlugin(p, "") == "" {
			rt.Plugin = p
		} else {
			rt.Provider = p
		}
		*provider = ""
	}
	return rt, nil
}

func (s *Server) invokeService(w http.ResponseWriter, r *http.Request) {
	switch svc := r.PathValue("service"); svc {
	case sdk.ServiceChat:
		var b chatBody
		if s.decode(w, r, &b) {
			streamOrUnary(s, w, r, b.common, &b.Provider, &b.ChatRequest, s.b.Chat, s.b.ChatStream, backend.ValidateChat)
		}
	case sdk.ServiceGenerate:
		var b generateBody
		if s.decode(w, r, &b) {
			streamOrUnary(s, w, r, b.common, &b.Provider, &b.GenerateRequest, s.b.Generate, s.b.GenerateStream, backend.ValidateGenerate)
		}
	case sdk.ServiceEmbed:
		var b embedBody
		if s.decode(w, r, &b) {
			unaryOnly(s, w, r, b.common, &b.Provider, &b.EmbedRequest, s.b.Embed, backend.ValidateEmbed)
		}
	case sdk.ServiceRerank:
		var b rerankBody
		if s.decode(w, r, &b) {
			unaryOnly(s, w, r, b.common, &b.Provider, &b.RerankRequest, s.b.Rerank, nil)
		}
	case sdk.ServiceTextToImage:
		var b textToImageBody
		if s.decode(w, r, &b) {
			unaryOnly(s, w, r, b.common, &b.Provider, &b.TextToImageRequest, s.b.TextToImage, nil)
		}
	case sdk.ServiceImageToImage:
		// JSON: image and mask are base64 (as every []byte field is).
		var b imageToImageBody
		if s.decode(w, r, &b) {
			unaryOnly(s, w, r, b.common, &b.Provider, &b.ImageToImageRequest, s.b.ImageToImage, backend.ValidateImageToImage)
		}
	case sdk.ServiceTextToSpeech:
		var b textToSpeechBody
		if s.decode(w, r, &b) {
			unaryOnly(s, w, r, b.common, &b.Provider, &b.TextToSpeechRequest, s.b.TextToSpeech, nil)
		}
	case sdk.ServiceSpeechToText:
		var b speechToTextBody
		if s.decode(w, r, &b) {
			unaryOnly(s, w, r, b.common, &b.Provider, &b.SpeechToTextRequest, s.b.SpeechToText, nil)
		}
	default:
		writeError(w, r, s.log, sdk.Errorf(sdk.CodeServiceNotFound, "unknown service %q (GET /v1/services lists them)", svc))
	}
}

// decode reads the JSON body, answering 400/413 itself on failure.
func (s *Server) decode(w http.ResponseWriter, r *http.Request, v any) bool {
	if err := httpx.DecodeJSON(w, r, s.maxBody, v); err != nil {
		writeError(w, r, s.log, err)
		return false
	}
	return true
}

func unaryOnly[Req, Resp any](s *Server, w http.ResponseWriter, r *http.Request, c common, provider *string, req *Req,
	call func(context.Context, backend.Route, *Req) (*Resp, error), validate func(*Req) error) {
	if c.Stream {
		writeError(w, r, s.log, sdk.FieldError("stream", "this service does not stream; leave stream unset"))
		return
	}
	streamOrUnary[Req, Resp, struct{}](s, w, r, c, provider, req, call, nil, validate)
}

// streamOrUnary validates, routes and calls; with stream set it writes each
// chunk as it comes (SSE or NDJSON) and ends a failed stream with an error
// event rather than a truncated body.
func streamOrUnary[Req, Resp, Chunk any](s *Server, w http.ResponseWriter, r *http.Request, c common, provider *string, req *Req,
	call func(context.Context, backend.Route, *Req) (*Resp, error),
	stream func(context.Context, backend.Route, *Req, func(*Chunk) error) error,
	validate func(*Req) error) {
	rt, err := s.route(r, c, provider)
	if err == nil && validate != nil {
		err = validate(req)
	}
	if err != nil {
		writeError(w, r, s.log, err)
		return
	}
	if !c.Stream || stream == nil {
		resp, err := call(r.Context(), rt, req)
		if err != nil {
			writeError(w, r, s.log, err)
			return
		}
		writeWithRoute(w, resp, servedOf(r))
		return
	}
	st := httpx.NewStream(w, httpx.StreamFormat(r))
	// As on the compat surfaces: a chunk is queued, and flushed unless the
	// next one is already waiting behind it (internal/streamhint), so a
	// burst goes out in one write and one flush; nothing is held back.
	ctx, hint := streamhint.With(r.Context())
	err = stream(ctx, rt, req, func(ch *Chunk) error {
		if err := st.Queue(ch); err != nil {
			return err
		}
		if hint.Pending() {
			return nil // the next chunk flushes this one
		}
		return st.Flush()
	})
	if err == nil {
		_ = st.Flush() // normally empty: the last chunk saw nothing pending
		return
	}
	s.endStream(w, r, st, err)
}

// endStream reports err on a stream: as a plain JSON error when nothing was
// sent yet, else as a final error event.
func (s *Server) endStream(w http.ResponseWriter, r *http.Request, st *httpx.Stream, err error) {
	if err == nil {
		return
	}
	if !st.Started() && !st.Queued() {
		writeError(w, r, s.log, err)
		return
	}
	if r.Context().Err() != nil {
		return // the client left; nobody to tell
	}
	_, d := errorDetail(err)
	s.log.Warn("stream failed", "path", r.URL.Path, "error", d.Message)
	_ = st.SendEvent("error", ErrorBody{Error: d})
}
