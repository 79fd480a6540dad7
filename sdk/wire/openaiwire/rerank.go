package openaiwire

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"

	"github.com/roundhouse-ai/roundhouse/types"
)

// OpenAI has no rerank endpoint; the servers that copy its API and rank
// (OpenVINO Model Server, vLLM, Jina, Xinference...) take Cohere's shape
// at POST {base}/rerank (OVMS: https://docs.openvino.ai/2025/model-server/ovms_docs_rest_api_rerank.html):
//
//	{"model": "...", "query": "...", "documents": ["..."], "top_n": 2, "return_documents": true}
//	{"results": [{"index": 0, "relevance_score": 0.39, "document": {"text": "..."}}], "usage": {...}}

type rerankRequest struct {
	Model           string   `json:"model"`
	Query           string   `json:"query"`
	Documents       []string `json:"documents"`
	TopN            int      `json:"top_n,omitempty"`
	ReturnDocuments bool     `json:"return_documents"`
}

type rerankResponse struct {
	Model   string `json:"model"`
	Results []struct {
		Index          int             `json:"index"`
		RelevanceScore float64         `json:"relevance_score"`
		Document       json.RawMessage `json:"document"`
	} `json:"results"`
	Usage *usage `json:"usage"`
}

// Rerank calls POST /rerank and returns the results best first, each
// with its document's text (from the request: servers answer the
// document as a string, as {"text": ...}, or not at all).
func (c *Client) Rerank(ctx context.Context, req *types.RerankRequest) (*types.RerankResponse, error) {
	switch {
	case req.Query == "":
		return nil, types.FieldError("query", "required")
	case len(req.Documents) == 0:
		return nil, types.FieldError("documents", "at least one document is required")
	case req.TopN < 0:
		return nil, types.FieldError("top_n", "must be >= 0")
	}
	body, err := EncodeBody(rerankRequest{Model: req.Model, Query: req.Query, Documents: req.Documents, TopN: req.TopN}, req.Extra)
	if err != nil {
		return nil, err
	}
	u, err := c.PostJSON(ctx, "/rerank", req.Model, body)
	if err != nil {
		return nil, err
	}
	defer u.Close()
	var r rerankResponse
	if err := c.DecodeAnswer("/rerank", u.Data, &r); err != nil {
		return nil, err
	}
	out := &types.RerankResponse{Model: r.Model, Usage: r.Usage.toSDK(), Results: make([]types.RerankResult, 0, len(r.Results))}
	if out.Model == "" {
		out.Model = req.Model
	}
	for _, x := range r.Results {
		if x.Index < 0 || x.Index >= len(req.Documents) {
			return nil, c.BadAnswer("/rerank", fmt.Errorf("result index %d is outside the %d documents", x.Index, len(req.Documents)))
		}
		out.Results = append(out.Results, types.RerankResult{Index: x.Index, RelevanceScore: x.RelevanceScore, Document: req.Documents[x.Index]})
	}
	sort.SliceStable(out.Results, func(i, j int) bool { return out.Results[i].RelevanceScore > out.Results[j].RelevanceScore })
	if req.TopN > 0 && len(out.Results) > req.TopN {
		out.Results = out.Results[:req.TopN]
	}
	return out, nil
}
