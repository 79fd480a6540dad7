package api

import (
	"context"
	"net/http"

	"github.com/roundhouse-ai/roundhouse/host/backend"
	"github.com/roundhouse-ai/roundhouse/host/httpx"
	"github.com/roundhouse-ai/roundhouse/sdk"
)

// common are the routing fields every native service body may carry next
// to the service's own fields (the sdk request type).
type common struct {
	// Stream asks for SSE (or NDJSON with Accept: application/x-ndjson).
	Stream bool `json:"stream,omitempty"`
	// Policy: "auto" (default), "local" or "remote".
	Policy backend.Policy `json:"policy,omitempty"`
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

// route turns the body's policy and provider into a backend.Route: a
// provider that names a plugin pins that plugin; a provider instance pins
// the remote plugin that has it and is left for that plugin to pick the
// instance by.
func (s *Server) route(c common, provider *string) (backend.Route, error) {
	policy, err := backend.ParsePolicy(string(c.Policy), "policy")
	if err != nil {
		return backend.Route{}, err
	}
	rt := backend.Route{Policy: policy}
	switch {
	case *provider == "":
	case s.h.Plugin(*provider) != nil:
		rt.Plugin, *provider = *provider, ""
	default:
		// A provider instance: route to the remote plugin that has it,
		// which then picks the instance by name.
		rt.Plugin = s.h.ProviderPlugin(*provider, "")
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
	rt, err := s.route(c, provider)
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
		httpx.WriteJSON(w, http.StatusOK, resp)
		return
	}
	st := httpx.NewStream(w, httpx.StreamFormat(r))
	err = stream(r.Context(), rt, req, func(ch *Chunk) error { return st.Send(ch) })
	s.endStream(w, r, st, err)
}

// endStream reports err on a stream: as a plain JSON error when nothing was
// sent yet, else as a final error event.
func (s *Server) endStream(w http.ResponseWriter, r *http.Request, st *httpx.Stream, err error) {
	if err == nil {
		return
	}
	if !st.Started() {
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
