package main

import (
	"context"
	"net/http"
	"strings"

	"github.com/roundhouse-ai/roundhouse/sdk"
	"github.com/roundhouse-ai/roundhouse/sdk/wire/openaiwire"
)

// Every service goes through OVMS's OpenAI-compatible API under /v3
// (docs/model_server_rest_api_chat.md and its siblings) with the shared
// OpenAI-wire client: request building, SSE reading, error mapping and
// retries are openaiwire's; this file only starts the engine, loads a
// pulled model on first use and adapts what OVMS does differently.

// client is an openaiwire client for the engine's /v3 API.
func (p *plugin) client(s settings) *openaiwire.Client {
	c := &openaiwire.Client{HTTP: p.http, BaseURL: "http://" + s.hostPort + "/v3", Name: "ovms", Auth: openaiwire.AuthNone,
		// OVMS's chat API takes max_tokens (docs/model_server_rest_api_chat.md).
		MaxTokensField: "max_tokens", MaxRetries: 1, UserAgent: "roundhouse-plugin-openvino/" + pluginVersion}
	if s.apiKey != "" {
		// --api_key_file: a bearer token on /v3 (docs/parameters.md).
		c.Header = http.Header{"Authorization": {"Bearer " + s.apiKey}}
		key := s.apiKey
		c.Scrub = func(t string) string { return strings.ReplaceAll(t, key, "***") }
	}
	return c
}

// prepare starts the engine and loads the model when needed.
func (p *plugin) prepare(ctx context.Context, model string) (*openaiwire.Client, error) {
	s, err := p.ensureLoaded(ctx, model)
	if err != nil {
		return nil, err
	}
	return p.client(s), nil
}

func (p *plugin) Chat(ctx context.Context, req *sdk.ChatRequest) (*sdk.ChatResponse, error) {
	c, err := p.prepare(ctx, req.Model)
	if err != nil {
		return nil, err
	}
	return c.Chat(ctx, req)
}

func (p *plugin) ChatStream(ctx context.Context, req *sdk.ChatRequest, send func(*sdk.ChatChunk) error) error {
	c, err := p.prepare(ctx, req.Model)
	if err != nil {
		return err
	}
	return c.ChatStream(ctx, req, send)
}

func (p *plugin) Generate(ctx context.Context, req *sdk.GenerateRequest) (*sdk.GenerateResponse, error) {
	c, err := p.prepare(ctx, req.Model)
	if err != nil {
		return nil, err
	}
	return c.Generate(ctx, req)
}

func (p *plugin) GenerateStream(ctx context.Context, req *sdk.GenerateRequest, send func(*sdk.GenerateChunk) error) error {
	c, err := p.prepare(ctx, req.Model)
	if err != nil {
		return err
	}
	return c.GenerateStream(ctx, req, send)
}

func (p *plugin) Embed(ctx context.Context, req *sdk.EmbedRequest) (*sdk.EmbedResponse, error) {
	c, err := p.prepare(ctx, req.Model)
	if err != nil {
		return nil, err
	}
	return c.Embed(ctx, req)
}

// Rerank is POST /v3/rerank, Cohere's shape (docs/model_server_rest_api_
// rerank.md), through openaiwire's Rerank.
func (p *plugin) Rerank(ctx context.Context, req *sdk.RerankRequest) (*sdk.RerankResponse, error) {
	c, err := p.prepare(ctx, req.Model)
	if err != nil {
		return nil, err
	}
	return c.Rerank(ctx, req)
}

// TextToImage is POST /v3/images/generations. OVMS takes the seed as
// rng_seed and the negative prompt at the top level ("Parameters
// supported via extra_body", docs/model_server_rest_api_image_generation.md).
func (p *plugin) TextToImage(ctx context.Context, req *sdk.TextToImageRequest) (*sdk.TextToImageResponse, error) {
	c, err := p.prepare(ctx, req.Model)
	if err != nil {
		return nil, err
	}
	r := *req
	r.Extra = ovmsImageExtra(req.Extra, req.Seed, req.NegativePrompt)
	r.Seed, r.NegativePrompt = nil, ""
	return c.TextToImage(ctx, &r)
}

func ovmsImageExtra(extra map[string]any, seed *int64, negative string) map[string]any {
	out := map[string]any{}
	for k, v := range extra {
		out[k] = v
	}
	if seed != nil {
		out["rng_seed"] = *seed
	}
	if negative != "" {
		out["negative_prompt"] = negative
	}
	return out
}

func (p *plugin) TextToSpeech(ctx context.Context, req *sdk.TextToSpeechRequest) (*sdk.TextToSpeechResponse, error) {
	c, err := p.prepare(ctx, req.Model)
	if err != nil {
		return nil, err
	}
	return c.TextToSpeech(ctx, req)
}

func (p *plugin) SpeechToText(ctx context.Context, req *sdk.SpeechToTextRequest) (*sdk.SpeechToTextResponse, error) {
	c, err := p.prepare(ctx, req.Model)
	if err != nil {
		return nil, err
	}
	return c.SpeechToText(ctx, req)
}

// ImageToImage is POST /v3/images/edits, multipart (docs/
// model_server_rest_api_image_edit.md): image, optional mask (inpainting),
// prompt, n, size, strength; the seed travels as rng_seed.
func (p *plugin) ImageToImage(ctx context.Context, req *sdk.ImageToImageRequest) (*sdk.ImageToImageResponse, error) {
	c, err := p.prepare(ctx, req.Model)
	if err != nil {
		return nil, err
	}
	r := *req
	if req.Seed != nil {
		r.Extra = ovmsImageExtra(req.Extra, req.Seed, "")
		r.Seed = nil
	}
	return c.ImageToImage(ctx, &r)
}
