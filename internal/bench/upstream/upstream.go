// Package upstream is the benchmarks' fast OpenAI-compatible upstream: it
// answers POST /v1/chat/completions with a fixed completion (or an SSE
// stream of numbered chunks) and GET /v1/models with one model, with no
// sleeps, so that what a benchmark measures is the layers in front of it.
package upstream

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"sync"

	"github.com/roundhouse-ai/roundhouse/internal/bench/load"
)

// Model is the one model the upstream lists and answers as.
const Model = "bench"

// Reply is the content of every non-streamed answer.
const Reply = "pong"

// MaxChunks caps a stream's length.
const MaxChunks = 100_000

// Options configure the upstream.
type Options struct {
	// APIKey, when set, must arrive as "Authorization: Bearer <key>".
	APIKey string
	// DefaultChunks is a stream's length when the request sets neither
	// max_tokens nor max_completion_tokens (default 16). Otherwise the
	// stream has exactly that many content chunks.
	DefaultChunks int
}

// Server is the upstream handler.
type Server struct {
	opts   Options
	auth   string
	unary  []byte
	models []byte
}

// New builds the upstream.
func New(o Options) *Server {
	if o.DefaultChunks <= 0 {
		o.DefaultChunks = 16
	}
	s := &Server{opts: o}
	if o.APIKey != "" {
		s.auth = "Bearer " + o.APIKey
	}
	s.unary = []byte(`{"id":"chatcmpl-bench","object":"chat.completion","created":1700000000,"model":"` + Model +
		`","choices":[{"index":0,"message":{"role":"assistant","content":"` + Reply + `"},"finish_reason":"stop"}],` +
		`"usage":{"prompt_tokens":1,"completion_tokens":1,"total_tokens":2}}`)
	s.models = []byte(`{"object":"list","data":[{"id":"` + Model + `","object":"model","created":1700000000,"owned_by":"roundhouse-bench"}]}`)
	return s
}

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if s.auth != "" && r.Header.Get("Authorization") != s.auth {
		writeJSON(w, http.StatusUnauthorized, []byte(`{"error":{"message":"Incorrect API key provided","type":"invalid_request_error","code":"invalid_api_key"}}`))
		return
	}
	switch {
	case r.Method == http.MethodPost && r.URL.Path == "/v1/chat/completions":
		s.chat(w, r)
	case r.Method == http.MethodGet && r.URL.Path == "/v1/models":
		writeJSON(w, http.StatusOK, s.models)
	default:
		writeJSON(w, http.StatusNotFound, []byte(`{"error":{"message":"no such route","type":"invalid_request_error"}}`))
	}
}

func writeJSON(w http.ResponseWriter, status int, b []byte) {
	h := w.Header()
	h["Content-Type"] = []string{"application/json"}
	h["Content-Length"] = []string{strconv.Itoa(len(b))}
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// chatReq is what the upstream reads of a request.
type chatReq struct {
	Stream              bool `json:"stream"`
	MaxTokens           *int `json:"max_tokens"`
	MaxCompletionTokens *int `json:"max_completion_tokens"`
	StreamOptions       *struct {
		IncludeUsage bool `json:"include_usage"`
	} `json:"stream_options"`
}

var bodyPool = sync.Pool{New: func() any { return new(bytes.Buffer) }}

func (s *Server) chat(w http.ResponseWriter, r *http.Request) {
	buf := bodyPool.Get().(*bytes.Buffer)
	buf.Reset()
	defer bodyPool.Put(buf)
	if _, err := buf.ReadFrom(io.LimitReader(r.Body, 8<<20)); err != nil {
		writeJSON(w, http.StatusBadRequest, []byte(`{"error":{"message":"unreadable body","type":"invalid_request_error"}}`))
		return
	}
	var req chatReq
	if err := json.Unmarshal(buf.Bytes(), &req); err != nil {
		writeJSON(w, http.StatusBadRequest, []byte(`{"error":{"message":"malformed JSON","type":"invalid_request_error"}}`))
		return
	}
	if !req.Stream {
		writeJSON(w, http.StatusOK, s.unary)
		return
	}
	n := s.opts.DefaultChunks
	if req.MaxCompletionTokens != nil {
		n = *req.MaxCompletionTokens
	} else if req.MaxTokens != nil {
		n = *req.MaxTokens
	}
	n = max(1, min(n, MaxChunks))
	s.stream(w, n, req.StreamOptions != nil && req.StreamOptions.IncludeUsage)
}

const (
	chunkHead = `data: {"id":"chatcmpl-bench","object":"chat.completion.chunk","created":1700000000,"model":"` + Model +
		`","choices":[{"index":0,"delta":{`
	chunkTail = `"},"finish_reason":null}]}` + "\n\n"
)

// stream writes n numbered content chunks (load.ChunkToken), each flushed
// on its own as a token server does, then the finish chunk, the usage
// chunk when asked, and [DONE].
func (s *Server) stream(w http.ResponseWriter, n int, usage bool) {
	h := w.Header()
	h["Content-Type"] = []string{"text/event-stream"}
	h["Cache-Control"] = []string{"no-cache"}
	w.WriteHeader(http.StatusOK)
	rc := http.NewResponseController(w)
	b := make([]byte, 0, 512)
	for i := range n {
		b = append(b[:0], chunkHead...)
		if i == 0 {
			b = append(b, `"role":"assistant",`...)
		}
		b = append(b, `"content":"`...)
		b = load.AppendChunkToken(b, i)
		b = append(b, chunkTail...)
		if _, err := w.Write(b); err != nil {
			return
		}
		if err := rc.Flush(); err != nil {
			return
		}
	}
	b = append(b[:0], `data: {"id":"chatcmpl-bench","object":"chat.completion.chunk","created":1700000000,"model":"`+Model+
		`","choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}`+"\n\n"...)
	if usage {
		b = append(b, `data: {"id":"chatcmpl-bench","object":"chat.completion.chunk","created":1700000000,"model":"`+Model+
			`","choices":[],"usage":{"prompt_tokens":1,"completion_tokens":`...)
		b = strconv.AppendInt(b, int64(n), 10)
		b = append(b, `,"total_tokens":`...)
		b = strconv.AppendInt(b, int64(n+1), 10)
		b = append(b, "}}\n\n"...)
	}
	b = append(b, "data: [DONE]\n\n"...)
	_, _ = w.Write(b)
	_ = rc.Flush()
}
