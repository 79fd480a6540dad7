package main

import (
	"context"

	"github.com/ollama/ollama/api"

	"github.com/roundhouse-ai/roundhouse/sdk"
)

// Embed turns texts into vectors, one per input, in order.
func (p *plugin) Embed(ctx context.Context, req *sdk.EmbedRequest) (*sdk.EmbedResponse, error) {
	if req == nil {
		return nil, sdk.FieldError("input", "required")
	}
	if err := validateModelName(req.Model); err != nil {
		return nil, err
	}
	if len(req.Input) == 0 {
		return nil, sdk.FieldError("input", "at least one text is required")
	}
	if req.Dimensions < 0 {
		return nil, sdk.FieldError("dimensions", "must be >= 0, got %d", req.Dimensions)
	}
	g, err := mapOptions(nil, req.Extra)
	if err != nil {
		return nil, err
	}
	oreq := &api.EmbedRequest{
		Model:      req.Model,
		Input:      req.Input,
		Dimensions: req.Dimensions,
		Options:    g.options,
	}
	// false is also the zero value, so it cannot mean "refuse to
	// truncate": leave it to Ollama's default (truncate) unless asked.
	if req.Truncate {
		t := true
		oreq.Truncate = &t
	}
	client, err := p.engine(ctx)
	if err != nil {
		return nil, err
	}
	resp, err := client.Embed(ctx, oreq)
	if err != nil {
		return nil, p.mapError(ctx, err, op{what: "embed", model: req.Model})
	}
	if len(resp.Embeddings) != len(req.Input) {
		return nil, sdk.Errorf(sdk.CodeUpstreamError, "ollama returned %d embeddings for %d inputs", len(resp.Embeddings), len(req.Input))
	}
	out := &sdk.EmbedResponse{Model: req.Model, Embeddings: resp.Embeddings}
	if resp.PromptEvalCount > 0 {
		out.Usage = &sdk.Usage{PromptTokens: resp.PromptEvalCount, TotalTokens: resp.PromptEvalCount}
	}
	return out, nil
}
