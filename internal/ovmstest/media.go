package ovmstest

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	_ "image/jpeg" // edits accept JPEG input too
	"image/png"
	"io"
	"math"
	"net/http"
	"strconv"
	"strings"
)

const maxSide = 1024

// imageGenerations: docs/model_server_rest_api_image_generation.md. JSON
// in, {"data": [{"b64_json": ...}]} out; only b64_json is supported.
func (s *Server) imageGenerations(w http.ResponseWriter, r *http.Request) {
	if !strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
		writeError(w, http.StatusBadRequest, "Content-Type must be application/json")
		return
	}
	var req struct {
		Model          string `json:"model"`
		Prompt         string `json:"prompt"`
		Size           string `json:"size"`
		N              *int   `json:"n"`
		ResponseFormat string `json:"response_format"`
	}
	if err := json.NewDecoder(io.LimitReader(r.Body, 8<<20)).Decode(&req); err != nil {
		writeError(w, http.StatusBadRequest, "Cannot parse JSON body")
		return
	}
	if s.servableFor(w, req.Model, "image_generation") == nil {
		return
	}
	s.answerImages(w, req.Prompt, req.Size, req.N, req.ResponseFormat, 0, 0)
}

// imageEdits: docs/model_server_rest_api_image_edit.md, multipart with
// "image" (one file), "prompt", optional "mask", "size", "n", "strength".
func (s *Server) imageEdits(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseMultipartForm(32 << 20); err != nil {
		writeError(w, http.StatusBadRequest, "Request body must be multipart/form-data")
		return
	}
	if s.servableFor(w, r.FormValue("model"), "image_generation") == nil {
		return
	}
	f, _, err := r.FormFile("image")
	if err != nil {
		writeError(w, http.StatusBadRequest, "image field is missing")
		return
	}
	defer f.Close()
	src, _, err := image.Decode(f)
	if err != nil {
		writeError(w, http.StatusBadRequest, "Failed to load image: "+err.Error())
		return
	}
	if st := r.FormValue("strength"); st != "" {
		v, err := strconv.ParseFloat(st, 64)
		if err != nil || v < 0 || v > 1 {
			writeError(w, http.StatusBadRequest, "strength must be a number in [0, 1]")
			return
		}
	}
	var n *int
	if ns := r.FormValue("n"); ns != "" {
		v, err := strconv.Atoi(ns)
		if err != nil {
			writeError(w, http.StatusBadRequest, "n must be an integer")
			return
		}
		n = &v
	}
	b := src.Bounds()
	s.answerImages(w, r.FormValue("prompt"), r.FormValue("size"), n, r.FormValue("response_format"), b.Dx(), b.Dy())
}

func (s *Server) answerImages(w http.ResponseWriter, prompt, size string, n *int, format string, defW, defH int) {
	if prompt == "" {
		writeError(w, http.StatusBadRequest, "prompt field is missing")
		return
	}
	if format != "" && format != "b64_json" {
		writeError(w, http.StatusBadRequest, "Only b64_json response_format is supported")
		return
	}
	width, height := defW, defH
	if width == 0 {
		width, height = 64, 64
	}
	if size != "" && size != "auto" {
		ws, hs, ok := strings.Cut(size, "x")
		wv, err1 := strconv.Atoi(ws)
		hv, err2 := strconv.Atoi(hs)
		if !ok || err1 != nil || err2 != nil || wv <= 0 || hv <= 0 || wv > maxSide || hv > maxSide {
			writeError(w, http.StatusBadRequest, "size must be in WxH format, each side 1.."+strconv.Itoa(maxSide))
			return
		}
		width, height = wv, hv
	}
	count := 1
	if n != nil {
		if *n < 1 || *n > 4 {
			writeError(w, http.StatusBadRequest, "n must be in 1..4")
			return
		}
		count = *n
	}
	data := make([]map[string]string, count)
	for i := range data {
		data[i] = map[string]string{"b64_json": base64.StdEncoding.EncodeToString(PNG(width, height, uint8(i*60)))}
	}
	writeJSON(w, http.StatusOK, map[string]any{"data": data})
}

// PNG is a small valid PNG: a gradient, shifted by tint.
func PNG(width, height int, tint uint8) []byte {
	img := image.NewRGBA(image.Rect(0, 0, width, height))
	for y := 0; y < height; y++ {
		for x := 0; x < width; x++ {
			img.Set(x, y, color.RGBA{uint8(x * 255 / max(width, 1)), uint8(y * 255 / max(height, 1)), tint, 255})
		}
	}
	var buf bytes.Buffer
	_ = png.Encode(&buf, img)
	return buf.Bytes()
}

// transcriptions: docs/model_server_rest_api_speech_to_text.md, multipart
// "file" (wav or mp3 only), answer {"text": ...}.
func (s *Server) transcriptions(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseMultipartForm(32 << 20); err != nil {
		writeError(w, http.StatusBadRequest, "Request body must be multipart/form-data")
		return
	}
	if s.servableFor(w, r.FormValue("model"), "speech2text") == nil {
		return
	}
	f, _, err := r.FormFile("file")
	if err != nil {
		writeError(w, http.StatusBadRequest, "file field is missing")
		return
	}
	defer f.Close()
	audio, _ := io.ReadAll(f)
	secs, ok := wavSeconds(audio)
	switch {
	case ok:
	case len(audio) > 3 && (string(audio[:3]) == "ID3" || audio[0] == 0xFF && audio[1]&0xE0 == 0xE0):
		secs = float64(len(audio)) / 16000 // mp3 at 128 kbit/s
	default:
		writeError(w, http.StatusBadRequest, "Received input file is not valid wav nor mp3 audio file")
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"text": fmt.Sprintf("Fake transcription of %.1f seconds of audio.", secs)})
}

// speech: docs/model_server_rest_api_text_to_speech.md, JSON in, a WAV
// file out.
func (s *Server) speech(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Model string `json:"model"`
		Input string `json:"input"`
	}
	if err := json.NewDecoder(io.LimitReader(r.Body, 8<<20)).Decode(&req); err != nil {
		writeError(w, http.StatusBadRequest, "Cannot parse JSON body")
		return
	}
	if s.servableFor(w, req.Model, "text2speech") == nil {
		return
	}
	if req.Input == "" {
		writeError(w, http.StatusBadRequest, "input field is missing")
		return
	}
	w.Header().Set("Content-Type", "audio/wav")
	_, _ = w.Write(WAV(0.05 * float64(min(len(req.Input), 200))))
}

// WAV is a valid 16 kHz mono 16-bit PCM WAV holding a tone of secs seconds.
func WAV(secs float64) []byte {
	const rate = 16000
	n := int(secs * rate)
	var buf bytes.Buffer
	le := func(v any) { _ = binary.Write(&buf, binary.LittleEndian, v) }
	buf.WriteString("RIFF")
	le(uint32(36 + 2*n))
	buf.WriteString("WAVEfmt ")
	le(uint32(16))
	le(uint16(1))
	le(uint16(1))
	le(uint32(rate))
	le(uint32(rate * 2))
	le(uint16(2))
	le(uint16(16))
	buf.WriteString("data")
	le(uint32(2 * n))
	for i := 0; i < n; i++ {
		le(int16(8000 * math.Sin(2*math.Pi*440*float64(i)/rate)))
	}
	return buf.Bytes()
}

// wavSeconds reads the duration of a PCM WAV.
func wavSeconds(b []byte) (float64, bool) {
	if len(b) < 44 || string(b[:4]) != "RIFF" || string(b[8:12]) != "WAVE" {
		return 0, false
	}
	byteRate := binary.LittleEndian.Uint32(b[28:32])
	if byteRate == 0 {
		return 0, false
	}
	return float64(len(b)-44) / float64(byteRate), true
}
