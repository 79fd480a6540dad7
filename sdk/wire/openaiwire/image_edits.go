package openaiwire

import (
	"bytes"
	"context"
	"mime/multipart"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/roundhouse-ai/roundhouse/types"
)

// imageExt names an upload's extension from its type: the API reads the
// format from the file name.
var imageExt = map[string]string{"image/png": "png", "image/jpeg": "jpg", "image/webp": "webp"}

// BuildImageEdit builds the multipart/form-data body of POST /images/edits
// (per OpenAI's API reference: image, mask, prompt, model, n, size,
// quality, response_format). response_format=b64_json goes to every model
// but gpt-image-* (which always answer in base64 and refuse the field).
// Strength and seed have no OpenAI field: they go to compatible servers
// only (OVMS takes strength). Extra adds form fields.
func (c *Client) BuildImageEdit(req *types.ImageToImageRequest) (body []byte, contentType, model string, err error) {
	switch {
	case strings.TrimSpace(req.Prompt) == "":
		return nil, "", "", types.FieldError("prompt", "required")
	case len(req.Image) == 0:
		return nil, "", "", types.FieldError("image", "required: the source image")
	case req.N < 0:
		return nil, "", "", types.FieldError("n", "must be >= 0")
	}
	model = modelOr(req.Model, types.ServiceImageToImage)
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	mt := req.ImageMIMEType
	if mt == "" {
		mt = sniffImageMIME(req.Image)
	}
	if err := writeFile(mw, "image", "image."+extOr(mt), mt, req.Image); err != nil {
		return nil, "", "", err
	}
	if len(req.Mask) > 0 {
		if err := writeFile(mw, "mask", "mask.png", "image/png", req.Mask); err != nil {
			return nil, "", "", err
		}
	}
	fields := [][2]string{{"model", model}, {"prompt", req.Prompt}}
	if req.N > 0 {
		fields = append(fields, [2]string{"n", strconv.Itoa(req.N)})
	}
	for _, f := range [][2]string{{"size", req.Size}, {"quality", req.Quality}} {
		if f[1] != "" {
			fields = append(fields, f)
		}
	}
	if _, set := req.Extra["response_format"]; !set && !strings.HasPrefix(model, "gpt-image") {
		fields = append(fields, [2]string{"response_format", "b64_json"})
	}
	if !c.Official {
		if req.Strength != nil {
			fields = append(fields, [2]string{"strength", strconv.FormatFloat(*req.Strength, 'f', -1, 64)})
		}
		if req.Seed != nil {
			fields = append(fields, [2]string{"seed", strconv.FormatInt(*req.Seed, 10)})
		}
		if req.NegativePrompt != "" {
			fields = append(fields, [2]string{"negative_prompt", req.NegativePrompt})
		}
	}
	if err := writeFields(mw, fields, req.Extra); err != nil {
		return nil, "", "", err
	}
	return buf.Bytes(), mw.FormDataContentType(), model, nil
}

func extOr(mime string) string {
	if e, ok := imageExt[mime]; ok {
		return e
	}
	return "png"
}

// ImageToImage calls POST /images/edits and returns image bytes (b64_json)
// or, when the upstream only gives one, a URL.
func (c *Client) ImageToImage(ctx context.Context, req *types.ImageToImageRequest) (*types.ImageToImageResponse, error) {
	body, ctype, model, err := c.BuildImageEdit(req)
	if err != nil {
		return nil, err
	}
	u, err := c.Send(ctx, &Request{Method: http.MethodPost, Path: "/images/edits", Model: model, Body: body, Slow: 3 * time.Minute,
		ContentType: ctype, Accept: "application/json"})
	if err != nil {
		return nil, err
	}
	defer u.Close()
	images, err := c.imagesAnswer("/images/edits", u.Data)
	if err != nil {
		return nil, err
	}
	return &types.ImageToImageResponse{Model: model, Images: images}, nil
}
