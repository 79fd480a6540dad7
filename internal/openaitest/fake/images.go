package fake

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"net/http"
	"slices"
	"strings"
	"time"
)

type imageRequest struct {
	Model          string  `json:"model"`
	Prompt         string  `json:"prompt"`
	N              *int    `json:"n"`
	Size           string  `json:"size"`
	Quality        string  `json:"quality"`
	Style          string  `json:"style"`
	ResponseFormat *string `json:"response_format"`
	OutputFormat   string  `json:"output_format"`
	Background     string  `json:"background"`
}

// Per-model rules of POST /v1/images/generations, from the API reference.
var (
	imageSizes = map[string][]string{
		"dall-e-2":    {"256x256", "512x512", "1024x1024"},
		"dall-e-3":    {"1024x1024", "1792x1024", "1024x1792"},
		"gpt-image-1": {"auto", "1024x1024", "1536x1024", "1024x1536"},
	}
	imageQualities = map[string][]string{
		"dall-e-2":    {"standard"},
		"dall-e-3":    {"standard", "hd"},
		"gpt-image-1": {"auto", "low", "medium", "high"},
	}
	promptLimits = map[string]int{"dall-e-2": 1000, "dall-e-3": 4000, "gpt-image-1": 32000}
)

// PolicyTrigger in a prompt makes the fake refuse it as the safety system
// does (400 content_policy_violation).
const PolicyTrigger = "FORBIDDEN"

func (s *Server) images(w http.ResponseWriter, c *call) {
	var req imageRequest
	if e := decodeJSON(c.body, &req); e != nil {
		writeError(w, e)
		return
	}
	if req.Model == "" {
		req.Model = "dall-e-2" // the API's default
	}
	if req.Prompt == "" {
		writeError(w, invalid("prompt", "Missing required parameter: 'prompt'."))
		return
	}
	if !s.hasModel(req.Model) || imageSizes[req.Model] == nil {
		writeError(w, modelNotFound(req.Model))
		return
	}
	gpt := strings.HasPrefix(req.Model, "gpt-image")
	if len(req.Prompt) > promptLimits[req.Model] {
		writeError(w, invalid("prompt", "Invalid 'prompt': string too long. Expected a string with maximum length %d, but got a string with length %d instead.",
			promptLimits[req.Model], len(req.Prompt)))
		return
	}
	n := 1
	if req.N != nil {
		n = *req.N
	}
	if n < 1 || n > 10 {
		writeError(w, invalid("n", "Invalid 'n': integer must be between 1 and 10."))
		return
	}
	if req.Model == "dall-e-3" && n != 1 {
		writeError(w, invalid("n", "Invalid 'n': dall-e-3 only supports n=1."))
		return
	}
	size := req.Size
	if size == "" {
		size = map[bool]string{true: "auto", false: "1024x1024"}[gpt]
	}
	if !slices.Contains(imageSizes[req.Model], size) {
		writeError(w, invalid("size", "Invalid value: '%s'. Supported values are: %s.", size, quoteList(imageSizes[req.Model])))
		return
	}
	quality := req.Quality
	if quality != "" && !slices.Contains(imageQualities[req.Model], quality) {
		writeError(w, invalid("quality", "Invalid value: '%s'. Supported values are: %s.", quality, quoteList(imageQualities[req.Model])))
		return
	}
	if req.Style != "" && (req.Model != "dall-e-3" || (req.Style != "vivid" && req.Style != "natural")) {
		writeError(w, invalid("style", "Invalid 'style': only dall-e-3 supports style, with values 'vivid' or 'natural'."))
		return
	}
	format := "b64_json"
	if req.ResponseFormat != nil {
		if gpt {
			writeError(w, &APIError{Status: 400, Type: "invalid_request_error", Param: "response_format", Code: "unknown_parameter",
				Message: "Unknown parameter: 'response_format'."})
			return
		}
		if *req.ResponseFormat != "url" && *req.ResponseFormat != "b64_json" {
			writeError(w, invalid("response_format", "Invalid value: '%s'. Supported values are: 'url' and 'b64_json'.", *req.ResponseFormat))
			return
		}
		format = *req.ResponseFormat
	} else if !gpt {
		format = "url" // dall-e's default
	}
	outFormat := "png"
	if req.OutputFormat != "" {
		if !gpt {
			writeError(w, invalid("output_format", "Unknown parameter: 'output_format' is only supported for GPT image models."))
			return
		}
		switch req.OutputFormat {
		case "png", "jpeg":
			outFormat = req.OutputFormat
		case "webp":
			writeError(w, invalid("output_format", "this fake cannot encode webp; use png or jpeg"))
			return
		default:
			writeError(w, invalid("output_format", "Invalid value: '%s'. Supported values are: 'png', 'jpeg', and 'webp'.", req.OutputFormat))
			return
		}
	}
	if e := policyViolation(req.Prompt); e != nil {
		writeError(w, e)
		return
	}
	width, height := 1024, 1024
	if size != "auto" {
		fmt.Sscanf(size, "%dx%d", &width, &height)
	}
	data := make([]any, 0, n)
	for i := 0; i < n; i++ {
		img, err := Picture(fmt.Sprintf("%s#%d", req.Prompt, i), width, height, outFormat)
		if err != nil {
			writeError(w, &APIError{Status: 500, Type: "server_error", Message: err.Error()})
			return
		}
		item := map[string]any{}
		if format == "url" {
			item["url"] = s.storeFile(img, outFormat)
		} else {
			item["b64_json"] = base64.StdEncoding.EncodeToString(img)
		}
		if req.Model == "dall-e-3" {
			item["revised_prompt"] = "A detailed rendering of: " + req.Prompt
		}
		data = append(data, item)
	}
	out := map[string]any{"created": time.Now().Unix(), "data": data}
	if gpt {
		if quality == "" || quality == "auto" {
			quality = "high"
		}
		if size == "auto" {
			size = "1024x1024"
		}
		bg := req.Background
		if bg == "" || bg == "auto" {
			bg = "opaque"
		}
		in := countWords(req.Prompt)
		out["background"], out["output_format"], out["quality"], out["size"] = bg, outFormat, quality, size
		out["usage"] = map[string]any{"input_tokens": in, "output_tokens": 272 * n, "total_tokens": in + 272*n,
			"input_tokens_details": map[string]any{"text_tokens": in, "image_tokens": 0}}
	}
	writeJSON(w, http.StatusOK, out)
}

// policyViolation is the safety system's refusal of a prompt holding
// PolicyTrigger, or nil.
func policyViolation(prompt string) *APIError {
	if !strings.Contains(prompt, PolicyTrigger) {
		return nil
	}
	return &APIError{Status: 400, Type: "image_generation_user_error", Code: "content_policy_violation",
		Message: "Your request was rejected as a result of our safety system. Your prompt may contain text that is not allowed by our safety system."}
}

func quoteList(l []string) string {
	q := make([]string, len(l))
	for i, s := range l {
		q[i] = "'" + s + "'"
	}
	return strings.Join(q, ", ")
}

// Picture draws the fake's image for prompt: a two-colour gradient whose
// colours come from the prompt's hash, encoded as png or jpeg.
func Picture(prompt string, width, height int, format string) ([]byte, error) {
	h := sha256.Sum256([]byte(prompt))
	img := image.NewNRGBA(image.Rect(0, 0, width, height))
	for y := 0; y < height; y++ {
		t := float64(y) / float64(max(height-1, 1))
		c := color.NRGBA{
			R: uint8(float64(h[0])*(1-t) + float64(h[3])*t),
			G: uint8(float64(h[1])*(1-t) + float64(h[4])*t),
			B: uint8(float64(h[2])*(1-t) + float64(h[5])*t), A: 255}
		row := img.Pix[y*img.Stride : y*img.Stride+4*width]
		for x := 0; x < width; x++ {
			row[4*x], row[4*x+1], row[4*x+2], row[4*x+3] = c.R, c.G, c.B, c.A
		}
	}
	var buf bytes.Buffer
	var err error
	if format == "jpeg" {
		err = jpeg.Encode(&buf, img, &jpeg.Options{Quality: 80})
	} else {
		err = (&png.Encoder{CompressionLevel: png.BestSpeed}).Encode(&buf, img)
	}
	return buf.Bytes(), err
}

// storeFile keeps an image to be fetched by URL and returns that URL.
func (s *Server) storeFile(data []byte, ext string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.nextFile++
	name := fmt.Sprintf("img-%d.%s", s.nextFile, ext)
	s.files[name] = data
	return strings.TrimSuffix(s.URL, "/v1") + "/files/" + name
}

func (s *Server) serveFile(w http.ResponseWriter, r *http.Request) {
	name := strings.TrimPrefix(r.URL.Path, "/files/")
	s.mu.Lock()
	data, ok := s.files[name]
	s.mu.Unlock()
	if !ok {
		http.NotFound(w, r)
		return
	}
	ct := "image/png"
	if strings.HasSuffix(name, ".jpeg") {
		ct = "image/jpeg"
	}
	w.Header().Set("Content-Type", ct)
	_, _ = w.Write(data)
}
