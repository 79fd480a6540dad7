package main

import (
	"context"

	"github.com/roundhouse-ai/roundhouse/sdk"
)

// The services route the request to a provider and let that provider's
// wire client (sdk/wire/openaiwire) do the rest.

func (p *plugin) Chat(ctx context.Context, req *sdk.ChatRequest) (*sdk.ChatResponse, error) {
	pr, err := p.route(ctx, req.Model, req.Provider)
	if err != nil {
		return nil, err
	}
	return p.chatOn(ctx, pr, req)
}

func (p *plugin) chatOn(ctx context.Context, pr *provider, req *sdk.ChatRequest) (*sdk.ChatResponse, error) {
	return p.wire(pr).Chat(ctx, req)
}

// ChatStream streams an answer: content and thinking as they arrive, then
// the accumulated tool calls (complete, one chunk), then a final chunk
// with Done, the finish reason and the usage.
func (p *plugin) ChatStream(ctx context.Context, req *sdk.ChatRequest, send func(*sdk.ChatChunk) error) error {
	pr, err := p.route(ctx, req.Model, req.Provider)
	if err != nil {
		return err
	}
	return p.wire(pr).ChatStream(ctx, req, send)
}

func (p *plugin) Generate(ctx context.Context, req *sdk.GenerateRequest) (*sdk.GenerateResponse, error) {
	c, err := p.routeWire(ctx, req.Model, req.Provider)
	if err != nil {
		return nil, err
	}
	return c.Generate(ctx, req)
}

func (p *plugin) GenerateStream(ctx context.Context, req *sdk.GenerateRequest, send func(*sdk.GenerateChunk) error) error {
	c, err := p.routeWire(ctx, req.Model, req.Provider)
	if err != nil {
		return err
	}
	return c.GenerateStream(ctx, req, send)
}

func (p *plugin) Embed(ctx context.Context, req *sdk.EmbedRequest) (*sdk.EmbedResponse, error) {
	c, err := p.routeWire(ctx, req.Model, req.Provider)
	if err != nil {
		return nil, err
	}
	return c.Embed(ctx, req)
}

func (p *plugin) TextToImage(ctx context.Context, req *sdk.TextToImageRequest) (*sdk.TextToImageResponse, error) {
	c, err := p.routeWire(ctx, req.Model, req.Provider)
	if err != nil {
		return nil, err
	}
	return c.TextToImage(ctx, req)
}

func (p *plugin) TextToSpeech(ctx context.Context, req *sdk.TextToSpeechRequest) (*sdk.TextToSpeechResponse, error) {
	c, err := p.routeWire(ctx, req.Model, req.Provider)
	if err != nil {
		return nil, err
	}
	return c.TextToSpeech(ctx, req)
}

func (p *plugin) TextToSpeechStream(ctx context.Context, req *sdk.TextToSpeechRequest, send func(*sdk.AudioChunk) error) error {
	c, err := p.routeWire(ctx, req.Model, req.Provider)
	if err != nil {
		return err
	}
	return c.TextToSpeechStream(ctx, req, send)
}

func (p *plugin) SpeechToText(ctx context.Context, req *sdk.SpeechToTextRequest) (*sdk.SpeechToTextResponse, error) {
	c, err := p.routeWire(ctx, req.Model, req.Provider)
	if err != nil {
		return nil, err
	}
	return c.SpeechToText(ctx, req)
}
