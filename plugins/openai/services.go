package main

import (
	"context"

	"github.com/roundhouse-ai/roundhouse/sdk"
	"github.com/roundhouse-ai/roundhouse/sdk/wire/openaiwire"
)

// The services route the request to a provider and let that provider's
// wire client (sdk/wire/openaiwire, or sdk/wire/anthropicwire for a
// provider in the anthropic format) do the rest.

func (p *plugin) Chat(ctx context.Context, req *sdk.ChatRequest) (*sdk.ChatResponse, error) {
	pr, err := p.route(ctx, req.Model, req.Provider)
	if err != nil {
		return nil, err
	}
	return p.chatOn(ctx, pr, req)
}

func (p *plugin) chatOn(ctx context.Context, pr *provider, req *sdk.ChatRequest) (*sdk.ChatResponse, error) {
	if pr.format == formatAnthropic {
		return p.claude(pr).Chat(ctx, req)
	}
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
	if pr.format == formatAnthropic {
		return p.claude(pr).ChatStream(ctx, req, send)
	}
	return p.wire(pr).ChatStream(ctx, req, send)
}

func (p *plugin) Generate(ctx context.Context, req *sdk.GenerateRequest) (*sdk.GenerateResponse, error) {
	pr, err := p.route(ctx, req.Model, req.Provider)
	if err != nil {
		return nil, err
	}
	if pr.format == formatAnthropic {
		return p.claude(pr).Generate(ctx, req)
	}
	return p.wire(pr).Generate(ctx, req)
}

func (p *plugin) GenerateStream(ctx context.Context, req *sdk.GenerateRequest, send func(*sdk.GenerateChunk) error) error {
	pr, err := p.route(ctx, req.Model, req.Provider)
	if err != nil {
		return err
	}
	if pr.format == formatAnthropic {
		return p.claude(pr).GenerateStream(ctx, req, send)
	}
	return p.wire(pr).GenerateStream(ctx, req, send)
}

// unary routes a request of service and calls method on its provider's
// client; stream does the same for a streaming method.
func unary[Req, Resp any](ctx context.Context, p *plugin, service, model, pinned string, req *Req,
	method func(*openaiwire.Client, context.Context, *Req) (*Resp, error)) (*Resp, error) {
	c, err := p.routeWire(ctx, service, model, pinned)
	if err != nil {
		return nil, err
	}
	return method(c, ctx, req)
}

func stream[Req, Chunk any](ctx context.Context, p *plugin, service, model, pinned string, req *Req, send func(*Chunk) error,
	method func(*openaiwire.Client, context.Context, *Req, func(*Chunk) error) error) error {
	c, err := p.routeWire(ctx, service, model, pinned)
	if err != nil {
		return err
	}
	return method(c, ctx, req, send)
}

func (p *plugin) Embed(ctx context.Context, req *sdk.EmbedRequest) (*sdk.EmbedResponse, error) {
	return unary(ctx, p, sdk.ServiceEmbed, req.Model, req.Provider, req, (*openaiwire.Client).Embed)
}

func (p *plugin) TextToImage(ctx context.Context, req *sdk.TextToImageRequest) (*sdk.TextToImageResponse, error) {
	return unary(ctx, p, sdk.ServiceTextToImage, req.Model, req.Provider, req, (*openaiwire.Client).TextToImage)
}

func (p *plugin) ImageToImage(ctx context.Context, req *sdk.ImageToImageRequest) (*sdk.ImageToImageResponse, error) {
	return unary(ctx, p, sdk.ServiceImageToImage, req.Model, req.Provider, req, (*openaiwire.Client).ImageToImage)
}

func (p *plugin) TextToSpeech(ctx context.Context, req *sdk.TextToSpeechRequest) (*sdk.TextToSpeechResponse, error) {
	return unary(ctx, p, sdk.ServiceTextToSpeech, req.Model, req.Provider, req, (*openaiwire.Client).TextToSpeech)
}

func (p *plugin) TextToSpeechStream(ctx context.Context, req *sdk.TextToSpeechRequest, send func(*sdk.AudioChunk) error) error {
	return stream(ctx, p, sdk.ServiceTextToSpeech, req.Model, req.Provider, req, send, (*openaiwire.Client).TextToSpeechStream)
}

func (p *plugin) SpeechToText(ctx context.Context, req *sdk.SpeechToTextRequest) (*sdk.SpeechToTextResponse, error) {
	return unary(ctx, p, sdk.ServiceSpeechToText, req.Model, req.Provider, req, (*openaiwire.Client).SpeechToText)
}
