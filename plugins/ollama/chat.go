package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/ollama/ollama/api"

	"github.com/roundhouse-ai/roundhouse/sdk"
)

// toOllamaChat validates and converts a chat request. It runs before the
// engine is touched, so a bad request never starts one.
func toOllamaChat(req *sdk.ChatRequest, stream bool) (*api.ChatRequest, error) {
	if req == nil {
		return nil, sdk.FieldError("messages", "required")
	}
	if err := validateModelName(req.Model); err != nil {
		return nil, err
	}
	if len(req.Messages) == 0 {
		return nil, sdk.FieldError("messages", "at least one message is required")
	}
	msgs := make([]api.Message, 0, len(req.Messages))
	for i, m := range req.Messages {
		field := fmt.Sprintf("messages[%d]", i)
		role := strings.ToLower(m.Role)
		switch role {
		case "system", "user", "assistant", "tool":
		case "developer": // OpenAI's newer name for system
			role = "system"
		default:
			return nil, sdk.FieldError(field+".role", "unknown role %q (want system, user, assistant or tool)", m.Role)
		}
		calls, err := toOllamaToolCalls(m.ToolCalls, field)
		if err != nil {
			return nil, err
		}
		om := api.Message{
			Role:       role,
			Content:    m.Content,
			Thinking:   m.Thinking,
			ToolCalls:  calls,
			ToolCallID: m.ToolCallID,
		}
		if role == "tool" {
			om.ToolName = m.Name
		}
		for _, img := range m.Images {
			om.Images = append(om.Images, api.ImageData(img))
		}
		msgs = append(msgs, om)
	}
	tools, err := mapTools(req.Tools)
	if err != nil {
		return nil, err
	}
	g, err := mapOptions(req.Options, req.Extra)
	if err != nil {
		return nil, err
	}
	return &api.ChatRequest{
		Model:     req.Model,
		Messages:  msgs,
		Stream:    &stream,
		Format:    g.format,
		KeepAlive: mapKeepAlive(req.KeepAlive),
		Tools:     tools,
		Options:   g.options,
		Think:     g.think,
	}, nil
}

// Chat answers a conversation in one piece.
func (p *plugin) Chat(ctx context.Context, req *sdk.ChatRequest) (*sdk.ChatResponse, error) {
	oreq, err := toOllamaChat(req, false)
	if err != nil {
		return nil, err
	}
	client, err := p.engine(ctx)
	if err != nil {
		return nil, err
	}
	out := &sdk.ChatResponse{Model: req.Model, Message: sdk.Message{Role: "assistant"}}
	var content, thinking strings.Builder
	done := false
	err = client.chatTokens(ctx, oreq, func(r *answerLine) error {
		content.WriteString(r.Message.Content)
		thinking.WriteString(r.Message.Thinking)
		out.Message.ToolCalls = append(out.Message.ToolCalls, fromOllamaToolCalls(r.Message.ToolCalls)...)
		if r.Done {
			done = true
			out.Usage = usage(r.Metrics)
			out.TotalDurationNS = int64(r.TotalDuration)
			out.FinishReason = r.DoneReason
		}
		return nil
	})
	if err := p.finishCall(ctx, err, done, op{what: "chat", model: req.Model}); err != nil {
		return nil, err
	}
	out.Message.Content, out.Message.Thinking = content.String(), thinking.String()
	out.FinishReason = finishReason(out.FinishReason, len(out.Message.ToolCalls) > 0)
	return out, nil
}

// ChatStream streams the answer as Ollama produces it, one chunk per
// token (or tool call); the last chunk carries the finish reason and usage.
// Cancelling ctx aborts the request to Ollama, which stops generating.
func (p *plugin) ChatStream(ctx context.Context, req *sdk.ChatRequest, send func(*sdk.ChatChunk) error) error {
	oreq, err := toOllamaChat(req, true)
	if err != nil {
		return err
	}
	client, err := p.engine(ctx)
	if err != nil {
		return err
	}
	first, done := true, false
	var sendErr error
	err = client.chatTokens(ctx, oreq, func(r *answerLine) error {
		c := &sdk.ChatChunk{
			Model:     req.Model,
			Content:   r.Message.Content,
			Thinking:  r.Message.Thinking,
			ToolCalls: fromOllamaToolCalls(r.Message.ToolCalls),
			Done:      r.Done,
		}
		if r.Done {
			done = true
			c.FinishReason = finishReason(r.DoneReason, len(c.ToolCalls) > 0)
			c.Usage = usage(r.Metrics)
		} else if c.Content == "" && c.Thinking == "" && len(c.ToolCalls) == 0 {
			return nil // Ollama's keep-alive style empty chunks carry nothing
		}
		if first {
			c.Role, first = "assistant", false
		}
		if sendErr = send(c); sendErr != nil {
			return sendErr
		}
		return nil
	})
	if sendErr != nil {
		return sendErr // the caller is gone; nothing to report to it
	}
	return p.finishCall(ctx, err, done, op{what: "chat", model: req.Model})
}

// finishCall turns the end of a streamed call into an error or nil. The
// Ollama client ends a stream that broke off (the engine died) without an
// error, so an answer that never said done is treated as one.
func (p *plugin) finishCall(ctx context.Context, err error, done bool, o op) error {
	if err != nil {
		return p.mapError(ctx, err, o)
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if !done {
		return p.unavailable(fmt.Errorf("the %s answer from %q broke off before it was done", o.what, o.model))
	}
	return nil
}
