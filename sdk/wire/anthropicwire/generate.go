package anthropicwire

import (
	"context"

	"github.com/roundhouse-ai/roundhouse/types"
)

// The Messages API has no text completion: generate is a one-turn chat
// (System as the system prompt, Prompt and Images as the user turn).

func generateChat(req *types.GenerateRequest) (*types.ChatRequest, error) {
	if req.Suffix != "" {
		return nil, types.FieldError("suffix", "the Anthropic Messages API has no fill-in-the-middle; leave suffix empty")
	}
	cr := &types.ChatRequest{Model: req.Model, Options: req.Options, Extra: req.Extra, Provider: req.Provider}
	if req.System != "" {
		cr.Messages = append(cr.Messages, types.Message{Role: "system", Content: req.System})
	}
	cr.Messages = append(cr.Messages, types.Message{Role: "user", Content: req.Prompt, Images: req.Images})
	return cr, nil
}

// Generate answers a GenerateRequest with one Messages call.
func (c *Client) Generate(ctx context.Context, req *types.GenerateRequest) (*types.GenerateResponse, error) {
	cr, err := generateChat(req)
	if err != nil {
		return nil, err
	}
	resp, err := c.Chat(ctx, cr)
	if err != nil {
		return nil, err
	}
	return &types.GenerateResponse{Model: resp.Model, Text: resp.Message.Content, Thinking: resp.Message.Thinking,
		FinishReason: resp.FinishReason, Usage: resp.Usage}, nil
}

// GenerateStream streams a GenerateRequest as one Messages stream.
func (c *Client) GenerateStream(ctx context.Context, req *types.GenerateRequest, send func(*types.GenerateChunk) error) error {
	cr, err := generateChat(req)
	if err != nil {
		return err
	}
	return c.ChatStream(ctx, cr, func(ch *types.ChatChunk) error {
		if ch.Content == "" && ch.Thinking == "" && !ch.Done {
			return nil
		}
		return send(&types.GenerateChunk{Model: ch.Model, Text: ch.Content, Thinking: ch.Thinking,
			Done: ch.Done, FinishReason: ch.FinishReason, Usage: ch.Usage})
	})
}
