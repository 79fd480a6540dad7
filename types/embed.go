package types

// EmbedRequest turns texts into vectors.
type EmbedRequest struct {
	Model string   `json:"model,omitempty"`
	Input []string `json:"input"`
	// Dimensions reduces the vectors where the model supports it.
	Dimensions int            `json:"dimensions,omitempty"`
	Truncate   bool           `json:"truncate,omitempty"`
	Extra      map[string]any `json:"extra,omitempty"`
	Provider   string         `json:"provider,omitempty"`
}

// EmbedResponse holds one vector per input, in input order.
type EmbedResponse struct {
	Model      string      `json:"model"`
	Embeddings [][]float32 `json:"embeddings"`
	Usage      *Usage      `json:"usage,omitempty"`
}

// RerankRequest orders Documents by relevance to Query.
type RerankRequest struct {
	Model     string         `json:"model,omitempty"`
	Query     string         `json:"query"`
	Documents []string       `json:"documents"`
	TopN      int            `json:"top_n,omitempty"`
	Extra     map[string]any `json:"extra,omitempty"`
	Provider  string         `json:"provider,omitempty"`
}

// RerankResult scores one document; Index points into the request.
type RerankResult struct {
	Index          int     `json:"index"`
	RelevanceScore float64 `json:"relevance_score"`
	Document       string  `json:"document,omitempty"`
}

// RerankResponse lists results best first.
type RerankResponse struct {
	Model   string         `json:"model"`
	Results []RerankResult `json:"results"`
	Usage   *Usage         `json:"usage,omitempty"`
}
