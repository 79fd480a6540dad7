package openai

import (
	"io"
	"mime/multipart"
	"net/http"
	"strconv"

	"github.com/roundhouse-ai/roundhouse/host/httpx"
	"github.com/roundhouse-ai/roundhouse/sdk"
)

// imageEdits serves POST /v1/images/edits: OpenAI's image edit, a
// multipart/form-data upload (image, optional mask, prompt, model, n,
// size, response_format, quality), answered like images/generations.
func (h *handler) imageEdits(w http.ResponseWriter, r *http.Request) {
	rt, ok := h.parseMultipart(w, r, "image")
	if !ok {
		return
	}
	defer func() { _ = r.MultipartForm.RemoveAll() }()
	sreq, format, err := EditRequestToSDK(r.MultipartForm)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	resp, err := h.b.ImageToImage(r.Context(), rt, sreq)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	list := ImagesToOpenAI(&sdk.TextToImageResponse{Model: resp.Model, Images: resp.Images}, format, now().Unix())
	httpx.WriteJSON(w, http.StatusOK, list)
}

// EditRequestToSDK reads a parsed images/edits form; it also returns the
// response format ("b64_json" or "url"). The image part is "image" (or,
// as gpt-image-1 takes several, the first "image[]"); the mask is optional.
func EditRequestToSDK(form *multipart.Form) (*sdk.ImageToImageRequest, string, error) {
	value := func(k string) string {
		if vs := form.Value[k]; len(vs) > 0 {
			return vs[0]
		}
		return ""
	}
	imgPart := firstFile(form, "image", "image[]")
	if imgPart == nil {
		return nil, "", sdk.FieldError("image", "is required (an image file part: PNG, JPEG or WebP)")
	}
	img, err := readPart(imgPart, "image")
	if err != nil {
		return nil, "", err
	}
	out := &sdk.ImageToImageRequest{Model: value("model"), Prompt: value("prompt"), Image: img,
		ImageMIMEType: partType(imgPart, img), N: 1, Size: value("size"), Quality: value("quality")}
	if out.Prompt == "" {
		return nil, "", sdk.FieldError("prompt", "is required")
	}
	if m := firstFile(form, "mask"); m != nil {
		if out.Mask, err = readPart(m, "mask"); err != nil {
			return nil, "", err
		}
	}
	if n := value("n"); n != "" {
		v, err := strconv.Atoi(n)
		if err != nil || v < 1 || v > 10 {
			return nil, "", sdk.FieldError("n", "must be a whole number between 1 and 10, got %q", n)
		}
		out.N = v
	}
	format := value("response_format")
	switch format {
	case "", "b64_json", "url":
	default:
		return nil, "", sdk.FieldError("response_format", "must be b64_json or url, got %q", format)
	}
	return out, format, nil
}

func firstFile(form *multipart.Form, names ...string) *multipart.FileHeader {
	for _, n := range names {
		if fs := form.File[n]; len(fs) > 0 {
			return fs[0]
		}
	}
	return nil
}

func readPart(fh *multipart.FileHeader, field string) ([]byte, error) {
	f, err := fh.Open()
	if err != nil {
		return nil, sdk.FieldError(field, "could not be read: %v", err)
	}
	defer f.Close()
	data, err := io.ReadAll(f)
	if err != nil {
		return nil, sdk.FieldError(field, "could not be read: %v", err)
	}
	if len(data) == 0 {
		return nil, sdk.FieldError(field, "is empty")
	}
	return data, nil
}

// partType is the part's declared image type, else the sniffed one.
func partType(fh *multipart.FileHeader, data []byte) string {
	if ct := fh.Header.Get("Content-Type"); ct != "" && ct != "application/octet-stream" {
		return ct
	}
	return http.DetectContentType(data)
}
