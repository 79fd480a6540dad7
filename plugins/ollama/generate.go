package main

import (
	"context"
	"strings"

	"github.com/ollama/ollama/api"

	"github.com/roundhouse-ai/roundhouse/sdk"
)

// toOllamaGenerate validates and converts a completion request.
func toOllamaGenerate(req *sdk.GenerateRequest, stream bool) (*api.GenerateRequest, error) {
	if req == nil {
		return nil, sdk.FieldError("prompt", "required")
	}
	if err := validateModelName(req.Model); err != nil {
		return nil, err
	}
	g, err := mapOptions(req.Options, req.Extra)
	if err != nil {
		return nil, err
	}
	images := make([]api.ImageData, 0, len(req.Images))
	for _, img := range req.Images {
		images = append(images, api.ImageData(img))
	}
	if len(images) == 0 {
		images = nil
	}
	return &api.GenerateRequest{
		Model:     req.Model,
		Prompt:    req.Prompt,
		Suffix:    req.Suffix,
		System:    req.System,
		Raw:       req.Raw,
		Images:    images,
		Stream:    &stream,
		Format:    g.format,
		KeepAlive: mapKeepAlive(req.KeepAlive),
		Options:   g.options,
		Think:     g.think,
	}, nil
}

// Generate completes a prompt in one piece.
func (p *plugin) Generate(ctx context.Context, req *sdk.GenerateRequest) (*sdk.GenerateResponse, error) {
	oreq, err := toOllamaGenerate(req, false)
	if err != nil {
		return nil, err
	}
	client, err := p.engine(ctx)
	if err != nil {
		return nil, err
	}
	out := &sdk.GenerateResponse{Model: req.Model}
	var text, thinking strings.Builder
	done := false
	err = client.generateTokens(ctx, oreq, func(r *answerLine) error {
		text.WriteString(r.Message.Content)
		thinking.WriteString(r.Message.Thinking)
		if r.Done {
			done = true
			out.Usage = usage(r.Metrics)
			out.TotalDurationNS = int64(r.TotalDuration)
			out.FinishReason = finishReason(r.DoneReason, false)
		}
		return nil
	})
	if err := p.finishCall(ctx, err, done, op{what: "generate", model: req.Model}); err != nil {
		return nil, err
	}
	out.Text, out.Thinking = text.String(), thinking.String()
	return out, nil
}

// GenerateStream streams the completion token by token.
func (p *plugin) GenerateStream(ctx context.Context, req *sdk.GenerateRequest, send func(*sdk.GenerateChunk) error) error {
	oreq, err := toOllamaGenerate(req, true)
	if err != nil {
		return err
	}
	client, err := p.engine(ctx)
	if err != nil {
		return err
	}
	done := false
	var sendErr error
	err = client.generateTokens(ctx, oreq, func(r *answerLine) error {
		c := &sdk.GenerateChunk{Model: req.Model, Text: r.Message.Content, Thinking: r.Message.Thinking, Done: r.Done}
		if r.Done {
			done = true
			c.FinishReason = finishReason(r.DoneReason, false)
			c.Usage = usage(r.Metrics)
		} else if c.Text == "" && c.Thinking == "" {
			return nil
		}
		sendErr = send(c)
		return sendErr
	})
	if sendErr != nil {
		return sendErr
	}
	return p.finishCall(ctx, err, done, op{what: "generate", model: req.Model})
}
