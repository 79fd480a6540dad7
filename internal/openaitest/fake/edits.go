package fake

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"image"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// editModels are the models POST /v1/images/edits takes, per the API
// reference (dall-e-2 is its default).
var editModels = []string{"dall-e-2", "gpt-image-1"}

// maxEditImage is the reference's limit for dall-e-2's image and for a
// mask (4 MB); the GPT image models take up to 50 MB.
const maxEditImage = 4 << 20

// edits serves POST /v1/images/edits: a multipart upload of image (or
// image[] for the GPT image models), an optional PNG mask of the same
// size, prompt, model, n, size, quality and response_format. The answer
// is images/generations' shape; its pictures derive from the prompt and
// the source image's hash, so a test can tell an edit of one image from
// another's.
func (s *Server) edits(w http.ResponseWriter, c *call) {
	form, files, e := readMultipart(c)
	if e != nil {
		writeError(w, e)
		return
	}
	img, ok := files["image"]
	if !ok {
		img, ok = files["image[]"]
	}
	s.recordUpload(c, form, img.name, img.data)
	get := formGetter(form)
	if !ok || len(img.data) == 0 {
		writeError(w, invalid("image", "Missing required parameter: 'image'."))
		return
	}
	prompt := get("prompt")
	if prompt == "" {
		writeError(w, invalid("prompt", "Missing required parameter: 'prompt'."))
		return
	}
	model := get("model")
	if model == "" {
		model = "dall-e-2"
	}
	if !slices.Contains(editModels, model) || !s.hasModel(model) {
		writeError(w, invalid("model", "Invalid value: '%s'. Supported values are: %s.", model, quoteList(editModels)))
		return
	}
	gpt := strings.HasPrefix(model, "gpt-image")
	if len(prompt) > promptLimits[model] {
		writeError(w, invalid("prompt", "Invalid 'prompt': string too long. Expected a string with maximum length %d, but got a string with length %d instead.",
			promptLimits[model], len(prompt)))
		return
	}
	cfg, kind, err := image.DecodeConfig(bytes.NewReader(img.data))
	switch {
	case err != nil || (kind != "png" && kind != "jpeg"):
		writeError(w, invalid("image", "Invalid image file or mode for image 1, please check your image file."))
		return
	case !gpt && (kind != "png" || cfg.Width != cfg.Height || len(img.data) > maxEditImage):
		writeError(w, invalid("image", "Invalid input image - format must be in ['RGBA', 'LA', 'L'], got RGB."+
			" dall-e-2 takes one square PNG under 4 MB."))
		return
	}
	if m, ok := files["mask"]; ok {
		mc, mkind, err := image.DecodeConfig(bytes.NewReader(m.data))
		if err != nil || mkind != "png" || len(m.data) > maxEditImage {
			writeError(w, invalid("mask", "Invalid mask file: it must be a PNG under 4 MB."))
			return
		}
		if mc.Width != cfg.Width || mc.Height != cfg.Height {
			writeError(w, invalid("mask", "Invalid mask image: the mask and the image must have the same dimensions (%dx%d vs %dx%d).",
				mc.Width, mc.Height, cfg.Width, cfg.Height))
			return
		}
	}
	n := 1
	if v := get("n"); v != "" {
		if n, err = strconv.Atoi(v); err != nil || n < 1 || n > 10 {
			writeError(w, invalid("n", "Invalid 'n': integer must be between 1 and 10."))
			return
		}
	}
	size := get("size")
	if size == "" {
		size = map[bool]string{true: "auto", false: "1024x1024"}[gpt]
	}
	if !slices.Contains(imageSizes[model], size) {
		writeError(w, invalid("size", "Invalid value: '%s'. Supported values are: %s.", size, quoteList(imageSizes[model])))
		return
	}
	if q := get("quality"); q != "" && !slices.Contains(imageQualities[model], q) {
		writeError(w, invalid("quality", "Invalid value: '%s'. Supported values are: %s.", q, quoteList(imageQualities[model])))
		return
	}
	format := "url" // dall-e-2's default
	if gpt {
		format = "b64_json"
	}
	if f := get("response_format"); f != "" {
		if gpt {
			writeError(w, &APIError{Status: 400, Type: "invalid_request_error", Param: "response_format", Code: "unknown_parameter",
				Message: "Unknown parameter: 'response_format'."})
			return
		}
		if f != "url" && f != "b64_json" {
			writeError(w, invalid("response_format", "Invalid value: '%s'. Supported values are: 'url' and 'b64_json'.", f))
			return
		}
		format = f
	}
	if e := policyViolation(prompt); e != nil {
		writeError(w, e)
		return
	}
	width, height := 1024, 1024
	if size != "auto" {
		fmt.Sscanf(size, "%dx%d", &width, &height)
	}
	data := make([]any, 0, n)
	for i := range n {
		pic, err := Picture(EditSeed(prompt, img.data, i), width, height, "png")
		if err != nil {
			writeError(w, &APIError{Status: 500, Type: "server_error", Message: err.Error()})
			return
		}
		if format == "url" {
			data = append(data, map[string]any{"url": s.storeFile(pic, "png")})
		} else {
			data = append(data, map[string]any{"b64_json": base64.StdEncoding.EncodeToString(pic)})
		}
	}
	out := map[string]any{"created": time.Now().Unix(), "data": data}
	if gpt {
		out["output_format"], out["size"] = "png", map[bool]string{true: "1024x1024", false: size}[size == "auto"]
	}
	writeJSON(w, http.StatusOK, out)
}

// EditSeed is what the fake draws image i of an edit from: the prompt and
// the source image's hash, so tests can compute the expected picture with
// Picture.
func EditSeed(prompt string, source []byte, i int) string {
	h := sha256.Sum256(source)
	return fmt.Sprintf("%s#edit:%s#%d", prompt, hex.EncodeToString(h[:8]), i)
}
