package fake

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"strings"
	"time"
)

// completionRequest is a POST /v1/completions body.
type completionRequest struct {
	Model         string          `json:"model"`
	Prompt        json.RawMessage `json:"prompt"`
	Suffix        string          `json:"suffix"`
	MaxTokens     *int            `json:"max_tokens"`
	Stream        bool            `json:"stream"`
	StreamOptions *struct {
		IncludeUsage bool `json:"include_usage"`
	} `json:"stream_options"`
}

func (s *Server) completions(w http.ResponseWriter, r *http.Request, c *call) {
	var req completionRequest
	if e := decodeJSON(c.body, &req); e != nil {
		writeError(w, e)
		return
	}
	if req.Model == "" {
		writeError(w, invalid("model", "you must provide a model parameter"))
		return
	}
	var prompt string
	if err := json.Unmarshal(req.Prompt, &prompt); err != nil {
		var list []string
		if json.Unmarshal(req.Prompt, &list) != nil || len(list) == 0 {
			writeError(w, invalid("prompt", "Invalid type for 'prompt': expected a string or an array of strings."))
			return
		}
		prompt = list[0]
	}
	if req.StreamOptions != nil && !req.Stream {
		writeError(w, invalid("stream_options", "The 'stream_options' parameter is only allowed when 'stream' is enabled."))
		return
	}
	if !s.hasModel(req.Model) {
		writeError(w, modelNotFound(req.Model))
		return
	}
	if len(prompt) > s.opts.ContextLimit {
		writeError(w, &APIError{Status: 400, Param: "prompt", Code: "context_length_exceeded",
			Message: fmt.Sprintf("This model's maximum context length is %d tokens, however you requested %d tokens.",
				s.opts.ContextLimit/4, len(prompt)/4)})
		return
	}
	text := "echo: " + lastLine(prompt)
	finish := "stop"
	limit := 16 // the API's default max_tokens for completions
	if req.MaxTokens != nil {
		limit = *req.MaxTokens
	}
	if cut, ok := truncateWords(text, limit); ok {
		text, finish = cut, "length"
	}
	pt, ct := countWords(prompt), countWords(text)
	use := map[string]any{"prompt_tokens": pt, "completion_tokens": ct, "total_tokens": pt + ct}
	id := "cmpl-" + randomID(24)
	created := time.Now().Unix()
	if !req.Stream {
		writeJSON(w, http.StatusOK, map[string]any{"id": id, "object": "text_completion", "created": created,
			"model": req.Model, "choices": []any{map[string]any{"text": text, "index": 0, "logprobs": nil, "finish_reason": finish}},
			"usage": use})
		return
	}
	sw := newSSE(w)
	includeUsage := req.StreamOptions != nil && req.StreamOptions.IncludeUsage
	chunk := func(t string, finish any) map[string]any {
		ch := map[string]any{"id": id, "object": "text_completion", "created": created, "model": req.Model,
			"choices": []any{map[string]any{"text": t, "index": 0, "logprobs": nil, "finish_reason": finish}}}
		if includeUsage {
			ch["usage"] = nil
		}
		return ch
	}
	for _, p := range pieces(text) {
		if s.opts.StreamDelay > 0 {
			time.Sleep(s.opts.StreamDelay)
		}
		if sw.send(chunk(p, nil)) != nil || r.Context().Err() != nil {
			return
		}
	}
	if sw.send(chunk("", finish)) != nil {
		return
	}
	if includeUsage && sw.send(map[string]any{"id": id, "object": "text_completion", "created": created,
		"model": req.Model, "choices": []any{}, "usage": use}) != nil {
		return
	}
	_ = sw.done()
}

func lastLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.LastIndexByte(s, '\n'); i >= 0 {
		return s[i+1:]
	}
	return s
}

// embeddingDims are the native sizes of the API's embedding models.
var embeddingDims = map[string]int{
	"text-embedding-3-small": 1536, "text-embedding-3-large": 3072, "text-embedding-ada-002": 1536,
}

type embeddingRequest struct {
	Model          string          `json:"model"`
	Input          json.RawMessage `json:"input"`
	EncodingFormat string          `json:"encoding_format"`
	Dimensions     *int            `json:"dimensions"`
}

// embeddingInputs reads input: a string, a list of strings, a token list
// or a list of token lists (tokens are hashed as their text).
func embeddingInputs(raw json.RawMessage) ([]string, bool) {
	var one string
	if json.Unmarshal(raw, &one) == nil {
		return []string{one}, true
	}
	var many []string
	if json.Unmarshal(raw, &many) == nil {
		return many, true
	}
	var tokens []int
	if json.Unmarshal(raw, &tokens) == nil {
		return []string{fmt.Sprint(tokens)}, true
	}
	var tokenLists [][]int
	if json.Unmarshal(raw, &tokenLists) == nil {
		out := make([]string, len(tokenLists))
		for i, t := range tokenLists {
			out[i] = fmt.Sprint(t)
		}
		return out, true
	}
	return nil, false
}

func (s *Server) embeddings(w http.ResponseWriter, c *call) {
	var req embeddingRequest
	if e := decodeJSON(c.body, &req); e != nil {
		writeError(w, e)
		return
	}
	if req.Model == "" {
		writeError(w, invalid("model", "you must provide a model parameter"))
		return
	}
	inputs, ok := embeddingInputs(req.Input)
	if !ok || len(inputs) == 0 || len(inputs) > 2048 {
		writeError(w, invalid("input", "'$.input' is invalid. Please check the API reference: https://platform.openai.com/docs/api-reference."))
		return
	}
	for _, in := range inputs {
		if in == "" {
			writeError(w, invalid("input", "'$.input' is invalid. Please check the API reference: https://platform.openai.com/docs/api-reference."))
			return
		}
	}
	switch req.EncodingFormat {
	case "", "float", "base64":
	default:
		writeError(w, invalid("encoding_format", "Invalid value: '%s'. Supported values are: 'float' and 'base64'.", req.EncodingFormat))
		return
	}
	if !s.hasModel(req.Model) {
		writeError(w, modelNotFound(req.Model))
		return
	}
	dims, known := embeddingDims[req.Model]
	if !known {
		dims = 16
	}
	if req.Dimensions != nil {
		if req.Model == "text-embedding-ada-002" {
			writeError(w, invalid("dimensions", "This model does not support specifying dimensions."))
			return
		}
		if *req.Dimensions < 1 || *req.Dimensions > dims {
			writeError(w, invalid("dimensions", "Invalid 'dimensions': must be between 1 and %d.", dims))
			return
		}
		dims = *req.Dimensions
	}
	data := make([]any, len(inputs))
	tokens := 0
	for i, in := range inputs {
		v := Vector(in, dims)
		tokens += countWords(in)
		var emb any = v
		if req.EncodingFormat == "base64" {
			b := make([]byte, 4*len(v))
			for j, f := range v {
				binary.LittleEndian.PutUint32(b[4*j:], math.Float32bits(f))
			}
			emb = base64.StdEncoding.EncodeToString(b)
		}
		data[i] = map[string]any{"object": "embedding", "index": i, "embedding": emb}
	}
	writeJSON(w, http.StatusOK, map[string]any{"object": "list", "data": data, "model": req.Model,
		"usage": map[string]any{"prompt_tokens": tokens, "total_tokens": tokens}})
}

// Vector is the fake's embedding of text: a deterministic unit vector of
// dims values derived from the text's SHA-256.
func Vector(text string, dims int) []float32 {
	seed := sha256.Sum256([]byte(text))
	state := binary.LittleEndian.Uint64(seed[:8])
	v := make([]float32, dims)
	var norm float64
	for i := range v {
		// splitmix64
		state += 0x9e3779b97f4a7c15
		z := state
		z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
		z = (z ^ (z >> 27)) * 0x94d049bb133111eb
		z ^= z >> 31
		f := float64(z>>11)/float64(1<<53)*2 - 1
		v[i] = float32(f)
		norm += f * f
	}
	norm = math.Sqrt(norm)
	for i := range v {
		v[i] = float32(float64(v[i]) / norm)
	}
	return v
}
