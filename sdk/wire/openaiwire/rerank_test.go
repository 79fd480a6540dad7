package openaiwire_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/roundhouse-ai/roundhouse/sdk/wire/openaiwire"
	"github.com/roundhouse-ai/roundhouse/types"
)

// Rerank speaks Cohere's shape, as OVMS serves it under /v3/rerank: the
// results come back in the server's order and leave sorted best first,
// with their documents.
func TestRerank(t *testing.T) {
	var got map[string]any
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/v3/rerank" {
			http.NotFound(w, r)
			return
		}
		b, _ := io.ReadAll(r.Body)
		_ = json.Unmarshal(b, &got)
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"results":[{"index":1,"relevance_score":0.01},{"index":0,"relevance_score":0.39,"document":{"text":"Welcome"}},{"index":2,"relevance_score":0.2}]}`)
	}))
	defer srv.Close()
	c := &openaiwire.Client{BaseURL: srv.URL + "/v3", Name: "ovms", Auth: openaiwire.AuthNone}
	resp, err := c.Rerank(context.Background(), &types.RerankRequest{Model: "bge", Query: "Hello",
		Documents: []string{"Welcome", "Farewell", "Hi"}, TopN: 2})
	if err != nil {
		t.Fatal(err)
	}
	if got["model"] != "bge" || got["query"] != "Hello" || got["top_n"] != 2.0 || len(got["documents"].([]any)) != 3 {
		t.Fatalf("request %v", got)
	}
	if len(resp.Results) != 2 || resp.Results[0].Index != 0 || resp.Results[0].Document != "Welcome" ||
		resp.Results[1].Index != 2 || resp.Model != "bge" {
		t.Fatalf("results %+v", resp)
	}
	if _, err := c.Rerank(context.Background(), &types.RerankRequest{Model: "bge", Query: "q"}); types.AsError(err).Field != "documents" {
		t.Fatalf("no documents: %v", err)
	}
}
