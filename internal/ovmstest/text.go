package ovmstest

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"sort"
	"strings"
	"unicode"
)

// forwardText serves an OpenAI-shaped route by forwarding it to the real
// upstream (docs/model_server_rest_api_chat.md, _completions.md and
// _embeddings.md are OpenAI's shapes), with the servable's name swapped
// for the upstream model and swapped back in every answer, streamed
// chunks included.
func (s *Server) forwardText(task, upstreamPath string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var body map[string]any
		if err := json.NewDecoder(io.LimitReader(r.Body, 64<<20)).Decode(&body); err != nil {
			writeError(w, http.StatusBadRequest, "Cannot parse JSON body")
			return
		}
		name, _ := body["model"].(string)
		if s.servableFor(w, name, task) == nil {
			return
		}
		if s.opts.Upstream == "" {
			writeError(w, http.StatusInternalServerError, "fake OVMS: no upstream configured for "+task)
			return
		}
		if s.opts.UpstreamModel != "" {
			body["model"] = s.opts.UpstreamModel
		}
		data, _ := json.Marshal(body)
		req, err := http.NewRequestWithContext(r.Context(), http.MethodPost, strings.TrimSuffix(s.opts.Upstream, "/")+upstreamPath, bytes.NewReader(data))
		if err != nil {
			writeError(w, http.StatusInternalServerError, err.Error())
			return
		}
		req.Header.Set("Content-Type", "application/json")
		resp, err := s.client.Do(req)
		if err != nil {
			writeError(w, http.StatusBadGateway, "upstream: "+err.Error())
			return
		}
		defer resp.Body.Close()
		ct := resp.Header.Get("Content-Type")
		w.Header().Set("Content-Type", ct)
		if resp.StatusCode != http.StatusOK {
			// OVMS's own error shape, not the upstream's.
			msg, _ := io.ReadAll(io.LimitReader(resp.Body, 4<<10))
			writeError(w, resp.StatusCode, strings.TrimSpace(string(msg)))
			return
		}
		if strings.HasPrefix(ct, "text/event-stream") {
			w.WriteHeader(http.StatusOK)
			relaySSE(w, resp.Body, name)
			return
		}
		var out map[string]any
		if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
			writeError(w, http.StatusBadGateway, "upstream answer: "+err.Error())
			return
		}
		out["model"] = name
		writeJSON(w, http.StatusOK, out)
	}
}

// relaySSE copies an SSE stream line by line, renaming the model in each
// data event, and flushes per event so streaming stays streaming.
func relaySSE(w http.ResponseWriter, r io.Reader, name string) {
	fl, _ := w.(http.Flusher)
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 8<<20)
	for sc.Scan() {
		line := sc.Text()
		if payload, ok := strings.CutPrefix(line, "data: "); ok && payload != "[DONE]" {
			var ev map[string]any
			if json.Unmarshal([]byte(payload), &ev) == nil {
				ev["model"] = name
				b, _ := json.Marshal(ev)
				line = "data: " + string(b)
			}
		}
		if _, err := io.WriteString(w, line+"\n"); err != nil {
			return
		}
		if line == "" && fl != nil {
			fl.Flush()
		}
	}
	if fl != nil {
		fl.Flush()
	}
}

// rerankRequest is docs/model_server_rest_api_rerank.md's request (Cohere's).
type rerankRequest struct {
	Model           string   `json:"model"`
	Query           string   `json:"query"`
	Documents       []string `json:"documents"`
	TopN            *int     `json:"top_n"`
	ReturnDocuments bool     `json:"return_documents"`
}

type rerankResult struct {
	Index          int     `json:"index"`
	RelevanceScore float64 `json:"relevance_score"`
	Document       string  `json:"document,omitempty"`
}

// maxRerankDocuments is OVMS's default limit ("Amount of documents
// exceeds allowed configured value - default 100").
const maxRerankDocuments = 100

// rerank scores each document by the share of the query's words it
// contains: not a model, but an order a test can predict.
func (s *Server) rerank(w http.ResponseWriter, r *http.Request) {
	var req rerankRequest
	if err := json.NewDecoder(io.LimitReader(r.Body, 64<<20)).Decode(&req); err != nil {
		writeError(w, http.StatusBadRequest, "Cannot parse JSON body")
		return
	}
	if s.servableFor(w, req.Model, "rerank") == nil {
		return
	}
	switch {
	case req.Query == "":
		writeError(w, http.StatusBadRequest, "query field is missing in JSON body")
		return
	case req.Documents == nil:
		writeError(w, http.StatusBadRequest, "documents field is missing in JSON body")
		return
	case len(req.Documents) > maxRerankDocuments:
		writeError(w, http.StatusBadRequest, "Number of documents exceeds max_allowed_chunks")
		return
	case req.TopN != nil && *req.TopN <= 0:
		writeError(w, http.StatusBadRequest, "top_n accepts integer values greater than 0")
		return
	}
	q := words(req.Query)
	res := make([]rerankResult, len(req.Documents))
	for i, d := range req.Documents {
		dw := words(d)
		hit := 0
		for word := range q {
			if dw[word] {
				hit++
			}
		}
		res[i] = rerankResult{Index: i, RelevanceScore: float64(hit) / float64(max(len(q), 1))}
		if req.ReturnDocuments {
			res[i].Document = d
		}
	}
	sort.SliceStable(res, func(a, b int) bool { return res[a].RelevanceScore > res[b].RelevanceScore })
	if req.TopN != nil && *req.TopN < len(res) {
		res = res[:*req.TopN]
	}
	writeJSON(w, http.StatusOK, map[string]any{"results": res})
}

func words(s string) map[string]bool {
	out := map[string]bool{}
	for _, f := range strings.FieldsFunc(strings.ToLower(s), func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) }) {
		out[f] = true
	}
	return out
}
