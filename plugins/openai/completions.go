package main

import (
	"context"
	"net/http"

	"github.com/roundhouse-ai/roundhouse/sdk"
)

// Wire types of POST /completions (the legacy text completion API, which
// compatible servers keep serving; max_tokens is its own, current field).

type completionRequest struct {
	Model            string         `json:"model"`
	Prompt           string         `json:"prompt"`
	Suffix           string         `json:"suffix,omitempty"`
	MaxTokens        *int           `json:"max_tokens,omitempty"`
	Temperature      *float64       `json:"temperature,omitempty"`
	TopP             *float64       `json:"top_p,omitempty"`
	Stop             []string       `json:"stop,omitempty"`
	Seed             *int64         `json:"seed,omitempty"`
	PresencePenalty  *float64       `json:"presence_penalty,omitempty"`
	FrequencyPenalty *float64       `json:"frequency_penalty,omitempty"`
	Stream           bool           `json:"stream,omitempty"`
	StreamOptions    *streamOptions `json:"stream_options,omitempty"`
}

type completionResponse struct {
	Model   string `json:"model"`
	Choices []struct {
		Index        int        `json:"index"`
		Text         string     `json:"text"`
		FinishReason flexString `json:"finish_reason"`
		Reasoning    flexString `json:"reasoning"`
	} `json:"choices"`
	Usage *usage `json:"usage"`
}

// buildCompletion maps a GenerateRequest. The completions API has no
// system prompt: System is put before the prompt, separated by a blank
// line. Images and response formats need the chat API.
func buildCompletion(req *sdk.GenerateRequest, stream bool) ([]byte, error) {
	if len(req.Images) > 0 {
		return nil, sdk.FieldError("images", "the completions API takes no images; use the chat service")
	}
	slots := &bodySlots{} // see spliceMin
	w := completionRequest{Model: modelOr(req.Model, sdk.ServiceGenerate), Prompt: slots.text(req.Prompt), Suffix: req.Suffix, Stream: stream}
	if req.System != "" {
		w.Prompt = slots.text(req.System + "\n\n" + req.Prompt)
	}
	if stream {
		w.StreamOptions = &streamOptions{IncludeUsage: true}
	}
	if o := req.Options; o != nil {
		if o.ResponseFormat != nil && o.ResponseFormat.Type != "" && o.ResponseFormat.Type != "text" {
			return nil, sdk.FieldError("options.response_format", "the completions API has no response format; use the chat service")
		}
		w.MaxTokens, w.Temperature, w.TopP, w.Seed = o.MaxTokens, o.Temperature, o.TopP, o.Seed
		w.PresencePenalty, w.FrequencyPenalty, w.Stop = o.PresencePenalty, o.FrequencyPenalty, o.Stop
	}
	skeleton, err := encodeBody(w, req.Extra, "stream")
	if err != nil {
		return nil, err
	}
	return slots.splice(skeleton), nil
}

func (p *plugin) Generate(ctx context.Context, req *sdk.GenerateRequest) (*sdk.GenerateResponse, error) {
	pr, err := p.route(ctx, req.Model, req.Provider)
	if err != nil {
		return nil, err
	}
	body, err := buildCompletion(req, false)
	if err != nil {
		return nil, err
	}
	u, err := p.postJSON(ctx, pr, "/completions", modelOr(req.Model, sdk.ServiceGenerate), body)
	if err != nil {
		return nil, err
	}
	defer u.Close()
	return completionAnswer(pr, req, u.data)
}

// completionAnswer reads a whole (non-streamed) completion.
func completionAnswer(pr *provider, req *sdk.GenerateRequest, data []byte) (*sdk.GenerateResponse, error) {
	var r completionResponse
	if err := decodeAnswer(pr, "/completions", data, &r); err != nil {
		return nil, err
	}
	if len(r.Choices) == 0 {
		return nil, badAnswer(pr, "/completions", errNoChoices)
	}
	model := r.Model
	if model == "" {
		model = modelOr(req.Model, sdk.ServiceGenerate)
	}
	c := r.Choices[0]
	return &sdk.GenerateResponse{Model: model, Text: c.Text, Thinking: string(c.Reasoning),
		FinishReason: finishReason(c.FinishReason), Usage: r.Usage.toSDK()}, nil
}

func (p *plugin) GenerateStream(ctx context.Context, req *sdk.GenerateRequest, send func(*sdk.GenerateChunk) error) error {
	pr, err := p.route(ctx, req.Model, req.Provider)
	if err != nil {
		return err
	}
	body, err := buildCompletion(req, true)
	if err != nil {
		return err
	}
	u, err := p.send(ctx, pr, &request{method: http.MethodPost, path: "/completions", model: modelOr(req.Model, sdk.ServiceGenerate), body: body,
		contentType: "application/json", accept: "text/event-stream", stream: true})
	if err != nil {
		return err
	}
	defer u.Close()
	if isJSON(u.header) {
		// A server that ignores "stream": relay its whole answer.
		data, err := readStreamBody(ctx, pr, u)
		if err != nil {
			return err
		}
		resp, err := completionAnswer(pr, req, data)
		if err != nil {
			return err
		}
		if resp.Text != "" || resp.Thinking != "" {
			if err := send(&sdk.GenerateChunk{Model: resp.Model, Text: resp.Text, Thinking: resp.Thinking}); err != nil {
				return err
			}
		}
		return send(&sdk.GenerateChunk{Model: resp.Model, Done: true, FinishReason: resp.FinishReason, Usage: resp.Usage})
	}
	var (
		model  = modelOr(req.Model, sdk.ServiceGenerate)
		finish string
		use    *usage
	)
	sawDone, err := readEvents(ctx, p, pr, u, func(c *completionResponse) error {
		if c.Model != "" {
			model = c.Model
		}
		if c.Usage != nil {
			use = c.Usage
		}
		for _, ch := range c.Choices {
			if ch.Index != 0 {
				continue
			}
			if ch.Text != "" || ch.Reasoning != "" {
				if err := send(&sdk.GenerateChunk{Model: model, Text: ch.Text, Thinking: string(ch.Reasoning)}); err != nil {
					return err
				}
			}
			if ch.FinishReason != "" {
				finish = finishReason(ch.FinishReason)
			}
		}
		return nil
	})
	if err != nil {
		u.lease.failed(sdk.AsError(err))
		return err
	}
	if !sawDone && finish == "" {
		e := incomplete(pr)
		u.lease.failed(e)
		return e
	}
	return send(&sdk.GenerateChunk{Model: model, Done: true, FinishReason: finish, Usage: use.toSDK()})
}
