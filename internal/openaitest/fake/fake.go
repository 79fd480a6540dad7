// Package fake is a protocol-faithful fake of the OpenAI REST API for
// tests: the endpoints Ollama's /v1 lacks (images/generations, images/edits,
// audio/speech, audio/transcriptions), plus models, chat/completions, completions and
// embeddings good enough for unit tests.
//
// Requests are checked and answered as the API reference describes: Bearer
// authentication; the {"error": {"message", "type", "param", "code"}}
// error object with the documented status codes (401 invalid_api_key, 404
// model_not_found, 400 with param, 413 for oversized uploads); SSE
// streaming with a [DONE] sentinel and the stream_options.include_usage
// usage chunk; embeddings as floats or base64; images as b64_json or URLs;
// speech as raw audio bytes; transcriptions from a multipart upload in
// json, text, srt, vtt or verbose_json.
//
// Answers are deterministic: chat and completions echo the last user
// message ("echo: ..."), or call the first tool when tools are offered;
// vectors derive from a hash of the text; audio made by /audio/speech
// transcribes back to the text it was made from. Options.Chat replaces the
// chat answer; Options.Intercept can fail any request.
//
//	srv := fake.NewServer(fake.Options{Keys: []string{"sk-fake-0123456789abcdef"}})
//	defer srv.Close()
//	// srv.URL is the base URL, ending in /v1.
package fake

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"time"
)

// DefaultModels are served when Options.Models is empty.
var DefaultModels = []string{
	"gpt-4o-mini", "gpt-4o", "o4-mini", "gpt-3.5-turbo-instruct",
	"text-embedding-3-small", "text-embedding-3-large", "text-embedding-ada-002",
	"dall-e-2", "dall-e-3", "gpt-image-1",
	"tts-1", "tts-1-hd", "gpt-4o-mini-tts",
	"whisper-1", "gpt-4o-transcribe", "gpt-4o-mini-transcribe",
}

// Options configure a Server.
type Options struct {
	// Keys are the API keys accepted as "Authorization: Bearer <key>".
	// Empty: any non-empty key is accepted.
	Keys []string
	// NoAuth accepts requests without any key.
	NoAuth bool
	// Models the server has; DefaultModels when empty. Unknown models get
	// 404 model_not_found.
	Models []string
	// ContextLimit is the largest prompt, in characters, before chat and
	// completions answer 400 context_length_exceeded (default 100000).
	ContextLimit int
	// Chat, when set, makes the chat answer. Returning an *APIError sends
	// that error instead.
	Chat func(req *ChatRequest) (*Reply, error)
	// ReasoningField names the field that carries Reply.Reasoning:
	// "reasoning_content" (default, as DeepSeek and vLLM) or "reasoning"
	// (as Ollama).
	ReasoningField string
	// StreamDelay is slept between streamed chunks.
	StreamDelay time.Duration
	// Intercept, when set, sees each authenticated request first; a
	// non-nil *APIError is answered instead of the normal answer.
	Intercept func(r *http.Request, key string) *APIError
	// Anthropic makes the server Anthropic's Messages API instead
	// (anthropic.go): x-api-key and anthropic-version headers, POST
	// /v1/messages and GET /v1/models, Anthropic's error shape and event
	// stream. An *APIError from Intercept or Chat is sent in Anthropic's
	// shape, its type from the status.
	Anthropic bool
}

// Server is a running fake.
type Server struct {
	// URL is the base URL to give clients: http://127.0.0.1:port/v1.
	URL string

	opts   Options
	srv    *httptest.Server
	models []string

	mu       sync.Mutex
	requests []*Request
	files    map[string][]byte // images answered by URL
	spoken   map[string]string // sha256 of audio made by /audio/speech → its text
	nextFile int
}

// Request is a request the server received.
type Request struct {
	Time        time.Time
	Method      string
	Path        string
	Key         string // the Bearer key used ("" if none)
	ContentType string
	Header      http.Header
	Body        []byte              // the raw body
	Form        map[string][]string // multipart fields, files excluded
	FileName    string              // multipart "file" part
	FileData    []byte
}

// JSON decodes a JSON body into a generic map, for assertions.
func (r Request) JSON() map[string]any {
	var m map[string]any
	_ = json.Unmarshal(r.Body, &m)
	return m
}

// NewServer starts a fake on a loopback port.
func NewServer(opts Options) *Server {
	s := New(opts)
	s.srv = httptest.NewServer(s)
	s.URL = s.srv.URL + "/v1"
	return s
}

// New makes a fake without starting a listener; serve it yourself (it is
// an http.Handler). Its URL is then yours to set.
func New(opts Options) *Server {
	s := &Server{opts: opts, files: map[string][]byte{}, spoken: map[string]string{}}
	s.models = opts.Models
	switch {
	case len(s.models) > 0:
	case opts.Anthropic:
		s.models = AnthropicModels
	default:
		s.models = DefaultModels
	}
	if s.opts.ContextLimit <= 0 {
		s.opts.ContextLimit = 100000
	}
	if s.opts.ReasoningField == "" {
		s.opts.ReasoningField = "reasoning_content"
	}
	return s
}

// Close stops the server.
func (s *Server) Close() {
	if s.srv != nil {
		s.srv.Close()
	}
}

// Requests lists the requests received so far, oldest first.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Request, len(s.requests))
	for i, r := range s.requests {
		out[i] = *r
	}
	return out
}

// LastRequest is the newest request to path ("/v1/chat/completions").
func (s *Server) LastRequest(path string) (Request, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := len(s.requests) - 1; i >= 0; i-- {
		if s.requests[i].Path == path {
			return *s.requests[i], true
		}
	}
	return Request{}, false
}

// Reset forgets the recorded requests.
func (s *Server) Reset() {
	s.mu.Lock()
	s.requests = nil
	s.mu.Unlock()
}

// APIError is an error answer in the API's format.
type APIError struct {
	Status  int
	Message string
	Type    string
	Param   string
	Code    string
	// Header is added to the answer (Retry-After, x-ratelimit-*...).
	Header http.Header
}

func (e *APIError) Error() string { return fmt.Sprintf("%d %s: %s", e.Status, e.Code, e.Message) }

func invalid(param, format string, args ...any) *APIError {
	return &APIError{Status: http.StatusBadRequest, Type: "invalid_request_error", Param: param,
		Message: fmt.Sprintf(format, args...)}
}

func modelNotFound(model string) *APIError {
	return &APIError{Status: http.StatusNotFound, Type: "invalid_request_error", Code: "model_not_found",
		Message: fmt.Sprintf("The model `%s` does not exist or you do not have access to it.", model)}
}

func writeError(w http.ResponseWriter, e *APIError) {
	for k, vs := range e.Header {
		for _, v := range vs {
			w.Header().Add(k, v)
		}
	}
	typ := e.Type
	if typ == "" {
		typ = "invalid_request_error"
	}
	nullable := func(s string) any {
		if s == "" {
			return nil
		}
		return s
	}
	writeJSON(w, e.Status, map[string]any{"error": map[string]any{
		"message": e.Message, "type": typ, "param": nullable(e.Param), "code": nullable(e.Code),
	}})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
}

func (s *Server) hasModel(m string) bool { return slices.Contains(s.models, m) }

// ServeHTTP routes a request.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("X-Request-Id", "req_"+randomID(12))
	w.Header().Set("Openai-Version", "2020-10-01")
	if strings.HasPrefix(r.URL.Path, "/files/") && r.Method == http.MethodGet {
		s.serveFile(w, r)
		return
	}
	if s.opts.Anthropic {
		s.serveAnthropic(w, r)
		return
	}
	key, authErr := s.authenticate(r)
	rec, err := s.record(r, key)
	if err != nil {
		writeError(w, err)
		return
	}
	if authErr != nil {
		writeError(w, authErr)
		return
	}
	if s.opts.Intercept != nil {
		if e := s.opts.Intercept(r, key); e != nil {
			writeError(w, e)
			return
		}
	}
	route := r.Method + " " + r.URL.Path
	switch {
	case route == "GET /v1/models":
		s.listModels(w)
	case r.Method == http.MethodGet && strings.HasPrefix(r.URL.Path, "/v1/models/"):
		s.getModel(w, strings.TrimPrefix(r.URL.Path, "/v1/models/"))
	case route == "POST /v1/chat/completions":
		s.chat(w, r, rec)
	case route == "POST /v1/completions":
		s.completions(w, r, rec)
	case route == "POST /v1/embeddings":
		s.embeddings(w, rec)
	case route == "POST /v1/images/generations":
		s.images(w, rec)
	case route == "POST /v1/images/edits":
		s.edits(w, rec)
	case route == "POST /v1/audio/speech":
		s.speech(w, r, rec)
	case route == "POST /v1/audio/transcriptions":
		s.transcriptions(w, rec)
	default:
		writeError(w, &APIError{Status: http.StatusNotFound, Type: "invalid_request_error",
			Message: fmt.Sprintf("Invalid URL (%s %s)", r.Method, r.URL.Path)})
	}
}

// authenticate checks the Bearer key as the API does.
func (s *Server) authenticate(r *http.Request) (string, *APIError) {
	auth := r.Header.Get("Authorization")
	key, ok := strings.CutPrefix(auth, "Bearer ")
	key = strings.TrimSpace(key)
	if !ok || key == "" {
		if s.opts.NoAuth {
			return "", nil
		}
		return "", &APIError{Status: http.StatusUnauthorized, Type: "invalid_request_error",
			Message: "You didn't provide an API key. You need to provide your API key in an Authorization header " +
				"using Bearer auth (i.e. Authorization: Bearer YOUR_KEY)."}
	}
	if len(s.opts.Keys) == 0 || slices.Contains(s.opts.Keys, key) {
		return key, nil
	}
	return key, &APIError{Status: http.StatusUnauthorized, Type: "invalid_request_error", Code: "invalid_api_key",
		Message: fmt.Sprintf("Incorrect API key provided: %s. You can find your API key at "+
			"https://platform.openai.com/account/api-keys.", starKey(key))}
}

// starKey shows a key as the API's 401 message does: a few leading
// characters, stars, the last four.
func starKey(k string) string {
	if len(k) < 12 {
		return strings.Repeat("*", len(k))
	}
	return k[:6] + strings.Repeat("*", len(k)-10) + k[len(k)-4:]
}

// maxUpload is the API's limit for audio uploads (25 MB).
const maxUpload = 25 << 20

// call is one request being served.
type call struct {
	rec  *Request
	key  string
	body []byte
}

// record reads the body and remembers the request.
func (s *Server) record(r *http.Request, key string) (*call, *APIError) {
	body, err := io.ReadAll(io.LimitReader(r.Body, maxUpload+1<<20))
	if err != nil {
		return nil, invalid("", "could not read the request body: %v", err)
	}
	rec := Request{Time: time.Now(), Method: r.Method, Path: r.URL.Path, Key: key,
		ContentType: r.Header.Get("Content-Type"), Header: r.Header.Clone(), Body: body}
	rec.Header.Del("Authorization")
	r.Body = io.NopCloser(bytes.NewReader(body))
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests = append(s.requests, &rec)
	return &call{rec: &rec, key: key, body: body}, nil
}

// recordUpload stores the multipart fields and file of a request.
func (s *Server) recordUpload(c *call, form map[string][]string, name string, data []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c.rec.Form, c.rec.FileName, c.rec.FileData = form, name, data
}

func (s *Server) listModels(w http.ResponseWriter) {
	data := make([]map[string]any, 0, len(s.models))
	for _, m := range s.models {
		data = append(data, modelObject(m))
	}
	writeJSON(w, http.StatusOK, map[string]any{"object": "list", "data": data})
}

func (s *Server) getModel(w http.ResponseWriter, id string) {
	if !s.hasModel(id) {
		writeError(w, modelNotFound(id))
		return
	}
	writeJSON(w, http.StatusOK, modelObject(id))
}

func modelObject(id string) map[string]any {
	return map[string]any{"id": id, "object": "model", "created": 1700000000, "owned_by": "system"}
}

func decodeJSON(body []byte, v any) *APIError {
	if err := json.Unmarshal(body, v); err != nil {
		return &APIError{Status: http.StatusBadRequest, Type: "invalid_request_error",
			Message: "We could not parse the JSON body of your request. (HINT: This likely means you aren't using " +
				"your HTTP library correctly. The OpenAI API expects a JSON payload, but what was sent was not valid JSON.)"}
	}
	return nil
}

func randomID(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)[:n]
}
