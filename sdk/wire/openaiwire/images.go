package openaiwire

import (
	"context"
	"encoding/base64"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/roundhouse-ai/roundhouse/types"
)

type imageRequest struct {
	Model          string `json:"model"`
	Prompt         string `json:"prompt"`
	N              int    `json:"n,omitempty"`
	Size           string `json:"size,omitempty"`
	Quality        string `json:"quality,omitempty"`
	Style          string `json:"style,omitempty"`
	ResponseFormat string `json:"response_format,omitempty"`
	Seed           *int64 `json:"seed,omitempty"`
}

type imageResponse struct {
	Data []struct {
		B64JSON       string `json:"b64_json"`
		URL           string `json:"url"`
		RevisedPrompt string `json:"revised_prompt"`
	} `json:"data"`
	// OutputFormat is set by the GPT image models: png, jpeg or webp.
	OutputFormat string `json:"output_format"`
}

// TextToImage calls POST /images/generations and returns image bytes
// (b64_json) or, when the upstream only gives one, a URL.
//
// Per the API reference, dall-e-2/3 answer with URLs unless response_format
// is b64_json, while the GPT image models always answer in base64 and do
// not take response_format; so response_format=b64_json is sent for every
// model but gpt-image-* (compatible servers such as Ollama take it too).
// The seed goes to compatible servers only (OpenAI has no seed for
// images). NegativePrompt has no OpenAI field and is not sent (Extra can
// carry a server-specific one); Extra {"response_format": "url"} asks
// for links.
func (c *Client) TextToImage(ctx context.Context, req *types.TextToImageRequest) (*types.TextToImageResponse, error) {
	if strings.TrimSpace(req.Prompt) == "" {
		return nil, types.FieldError("prompt", "required")
	}
	if req.N < 0 {
		return nil, types.FieldError("n", "must be >= 0")
	}
	model := modelOr(req.Model, types.ServiceTextToImage)
	w := imageRequest{Model: model, Prompt: req.Prompt, N: req.N, Size: req.Size, Quality: req.Quality, Style: req.Style}
	if !strings.HasPrefix(model, "gpt-image") {
		w.ResponseFormat = "b64_json"
	}
	if !c.Official {
		w.Seed = req.Seed
	}
	body, err := EncodeBody(w, req.Extra)
	if err != nil {
		return nil, err
	}
	u, err := c.Send(ctx, &Request{Method: http.MethodPost, Path: "/images/generations", Model: model, Body: body, Slow: 3 * time.Minute,
		ContentType: "application/json", Accept: "application/json"})
	if err != nil {
		return nil, err
	}
	defer u.Close()
	images, err := c.imagesAnswer("/images/generations", u.Data)
	if err != nil {
		return nil, err
	}
	return &types.TextToImageResponse{Model: model, Images: images}, nil
}

// imagesAnswer reads the answer of /images/generations or /images/edits.
func (c *Client) imagesAnswer(path string, body []byte) ([]types.Image, error) {
	var r imageResponse
	if err := c.DecodeAnswer(path, body, &r); err != nil {
		return nil, err
	}
	if len(r.Data) == 0 {
		return nil, c.BadAnswer(path, errorString("the answer holds no image"))
	}
	out := make([]types.Image, 0, len(r.Data))
	for i, d := range r.Data {
		img := types.Image{URL: d.URL, RevisedPrompt: d.RevisedPrompt}
		if d.B64JSON != "" {
			data, err := base64.StdEncoding.DecodeString(d.B64JSON)
			if err != nil {
				return nil, c.BadAnswer(path, fmt.Errorf("image %d: %w", i, err))
			}
			img.Data = data
			img.MIMEType = imageMIME(r.OutputFormat, data)
		}
		if img.Data == nil && img.URL == "" {
			return nil, c.BadAnswer(path, fmt.Errorf("image %d has neither b64_json nor url", i))
		}
		out = append(out, img)
	}
	return out, nil
}

func imageMIME(format string, data []byte) string {
	switch strings.ToLower(format) {
	case "png":
		return "image/png"
	case "jpeg", "jpg":
		return "image/jpeg"
	case "webp":
		return "image/webp"
	}
	if m := http.DetectContentType(data); strings.HasPrefix(m, "image/") {
		return m
	}
	return "application/octet-stream"
}
