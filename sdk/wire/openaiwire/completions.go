package openaiwire

import (
	"context"
	"net/http"

	"github.com/roundhouse-ai/roundhouse/types"
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
	Model   string             `json:"model"`
	Choices []completionChoice `json:"choices"`
	Usage   *usage             `json:"usage"`
}

type completionChoice struct {
	Index        int        `json:"index"`
	Text         string     `json:"text"`
	FinishReason flexString `json:"finish_reason"`
	Reasoning    flexString `json:"reasoning"`
}

// buildCompletion maps a GenerateRequest. The completions API has no
// system prompt: System is put before the prompt, separated by a blank
// line. Images and response formats need the chat API.
// BuildCompletion maps a GenerateRequest to the body of POST /completions.
func BuildCompletion(req *types.GenerateRequest, stream bool) ([]byte, error) {
	if len(req.Images) > 0 {
		return nil, types.FieldError("images", "the completions API takes no images; use the chat service")
	}
	slots := &bodySlots{} // see spliceMin
	w := completionRequest{Model: modelOr(req.Model, types.ServiceGenerate), Prompt: slots.text(req.Prompt), Suffix: req.Suffix, Stream: stream}
	if req.System != "" {
		w.Prompt = slots.text(req.System + "\n\n" + req.Prompt)
	}
	if stream {
		w.StreamOptions = &streamOptions{IncludeUsage: true}
	}
	if o := req.Options; o != nil {
		if o.ResponseFormat != nil && o.ResponseFormat.Type != "" && o.ResponseFormat.Type != "text" {
			return nil, types.FieldError("options.response_format", "the completions API has no response format; use the chat service")
		}
		w.MaxTokens, w.Temperature, w.TopP, w.Seed = o.MaxTokens, o.Temperature, o.TopP, o.Seed
		w.PresencePenalty, w.FrequencyPenalty, w.Stop = o.PresencePenalty, o.FrequencyPenalty, o.Stop
	}
	skeleton, err := EncodeBody(w, req.Extra, "stream")
	if err != nil {
		return nil, err
	}
	return slots.splice(skeleton), nil
}

// Generate calls POST /completions and reads the whole answer.
func (c *Client) Generate(ctx context.Context, req *types.GenerateRequest) (*types.GenerateResponse, error) {
	body, err := BuildCompletion(req, false)
	if err != nil {
		return nil, err
	}
	u, err := c.PostJSON(ctx, "/completions", modelOr(req.Model, types.ServiceGenerate), body)
	if err != nil {
		return nil, err
	}
	defer u.Close()
	return c.completionAnswer(req, u.Data)
}

// completionAnswer reads a whole (non-streamed) completion.
func (c *Client) completionAnswer(req *types.GenerateRequest, data []byte) (*types.GenerateResponse, error) {
	var r completionResponse
	if err := decodeAnswer(c, "/completions", data, &r); err != nil {
		return nil, err
	}
	if len(r.Choices) == 0 {
		return nil, c.BadAnswer("/completions", errNoChoices)
	}
	model := r.Model
	if model == "" {
		model = modelOr(req.Model, types.ServiceGenerate)
	}
	ch := r.Choices[0]
	return &types.GenerateResponse{Model: model, Text: ch.Text, Thinking: string(ch.Reasoning),
		FinishReason: finishReason(ch.FinishReason), Usage: r.Usage.toSDK()}, nil
}

// GenerateStream streams POST /completions.
func (c *Client) GenerateStream(ctx context.Context, req *types.GenerateRequest, send func(*types.GenerateChunk) error) error {
	body, err := BuildCompletion(req, true)
	if err != nil {
		return err
	}
	u, err := c.Send(ctx, &Request{Method: http.MethodPost, Path: "/completions", Model: modelOr(req.Model, types.ServiceGenerate), Body: body,
		ContentType: "application/json", Accept: "text/event-stream", Stream: true})
	if err != nil {
		return err
	}
	defer u.Close()
	if IsJSON(u.Header) {
		// A server that ignores "stream": relay its whole answer.
		data, err := c.readStreamBody(ctx, u)
		if err != nil {
			return err
		}
		resp, err := c.completionAnswer(req, data)
		if err != nil {
			return err
		}
		if resp.Text != "" || resp.Thinking != "" {
			if err := send(&types.GenerateChunk{Model: resp.Model, Text: resp.Text, Thinking: resp.Thinking}); err != nil {
				return err
			}
		}
		return send(&types.GenerateChunk{Model: resp.Model, Done: true, FinishReason: resp.FinishReason, Usage: resp.Usage})
	}
	var (
		model  = modelOr(req.Model, types.ServiceGenerate)
		finish string
		use    *usage
	)
	sawDone, err := ReadEvents(ctx, c, u, func(cr *completionResponse) error {
		if cr.Model != "" {
			model = cr.Model
		}
		if cr.Usage != nil {
			use = cr.Usage
		}
		for _, ch := range cr.Choices {
			if ch.Index != 0 {
				continue
			}
			if ch.Text != "" || ch.Reasoning != "" {
				if err := send(&types.GenerateChunk{Model: model, Text: ch.Text, Thinking: string(ch.Reasoning)}); err != nil {
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
		u.Failed(types.AsError(err))
		return err
	}
	if !sawDone && finish == "" {
		e := c.incomplete()
		u.Failed(e)
		return e
	}
	return send(&types.GenerateChunk{Model: model, Done: true, FinishReason: finish, Usage: use.toSDK()})
}
