package fake

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"net/http"
	"path"
	"slices"
	"strconv"
	"strings"
)

// Voices are the built-in voices of /v1/audio/speech.
var Voices = []string{"alloy", "ash", "ballad", "coral", "echo", "fable", "onyx", "nova", "sage", "shimmer", "verse", "marin", "cedar"}

// SpeechFormats maps response_format to the Content-Type the fake answers.
// wav and pcm hold a real tone, mp3 real (silent) MPEG frames; opus, aac and
// flac are placeholders with the right magic bytes only.
var SpeechFormats = map[string]string{
	"mp3": "audio/mpeg", "opus": "audio/ogg", "aac": "audio/aac", "flac": "audio/flac", "wav": "audio/wav", "pcm": "audio/pcm",
}

// SampleRate of the fake's audio (the API's pcm is 24 kHz 16-bit mono).
const SampleRate = 24000

type speechRequest struct {
	Model          string   `json:"model"`
	Input          *string  `json:"input"`
	Voice          any      `json:"voice"`
	Instructions   string   `json:"instructions"`
	ResponseFormat string   `json:"response_format"`
	Speed          *float64 `json:"speed"`
	StreamFormat   string   `json:"stream_format"`
}

func (s *Server) speech(w http.ResponseWriter, r *http.Request, c *call) {
	var req speechRequest
	if e := decodeJSON(c.body, &req); e != nil {
		writeError(w, e)
		return
	}
	if req.Model == "" {
		writeError(w, invalid("model", "Missing required parameter: 'model'."))
		return
	}
	if req.Input == nil {
		writeError(w, invalid("input", "Missing required parameter: 'input'."))
		return
	}
	if len(*req.Input) > 4096 {
		writeError(w, invalid("input", "Invalid 'input': string too long. Expected a string with maximum length 4096, but got a string with length %d instead.", len(*req.Input)))
		return
	}
	voice, _ := req.Voice.(string)
	if obj, ok := req.Voice.(map[string]any); ok { // a custom voice {"id": "voice_..."}
		voice, _ = obj["id"].(string)
	} else if !slices.Contains(Voices, voice) {
		if req.Voice == nil {
			writeError(w, invalid("voice", "Missing required parameter: 'voice'."))
		} else {
			writeError(w, invalid("voice", "Invalid value: '%v'. Supported values are: %s.", req.Voice, quoteList(Voices)))
		}
		return
	}
	format := req.ResponseFormat
	if format == "" {
		format = "mp3"
	}
	if SpeechFormats[format] == "" {
		writeError(w, invalid("response_format", "Invalid value: '%s'. Supported values are: 'mp3', 'opus', 'aac', 'flac', 'wav', and 'pcm'.", format))
		return
	}
	speed := 1.0
	if req.Speed != nil {
		speed = *req.Speed
		if speed < 0.25 || speed > 4 {
			writeError(w, invalid("speed", "Invalid 'speed': must be between 0.25 and 4.0, got %v.", speed))
			return
		}
	}
	legacy := req.Model == "tts-1" || req.Model == "tts-1-hd"
	if req.Instructions != "" && legacy {
		writeError(w, invalid("instructions", "Instructions are not supported for %s.", req.Model))
		return
	}
	switch req.StreamFormat {
	case "", "audio":
	case "sse":
		if legacy {
			writeError(w, invalid("stream_format", "stream_format 'sse' is not supported for %s.", req.Model))
			return
		}
	default:
		writeError(w, invalid("stream_format", "Invalid value: '%s'. Supported values are: 'sse' and 'audio'.", req.StreamFormat))
		return
	}
	if !s.hasModel(req.Model) {
		writeError(w, modelNotFound(req.Model))
		return
	}
	seconds := math.Max(0.5, float64(countWords(*req.Input))*0.35/speed)
	audio := Speech(seconds, format)
	sum := sha256.Sum256(audio)
	s.mu.Lock()
	s.spoken[string(sum[:])] = *req.Input
	s.mu.Unlock()

	if req.StreamFormat == "sse" {
		sw := newSSE(w)
		for _, part := range chunks(audio, 8192) {
			if sw.send(map[string]any{"type": "speech.audio.delta", "audio": base64.StdEncoding.EncodeToString(part)}) != nil {
				return
			}
		}
		n := countWords(*req.Input)
		_ = sw.send(map[string]any{"type": "speech.audio.done",
			"usage": map[string]any{"input_tokens": n, "output_tokens": len(audio) / 100, "total_tokens": n + len(audio)/100}})
		return
	}
	w.Header().Set("Content-Type", SpeechFormats[format])
	w.WriteHeader(http.StatusOK)
	f, _ := w.(http.Flusher)
	for _, part := range chunks(audio, 8192) {
		if _, err := w.Write(part); err != nil || r.Context().Err() != nil {
			return
		}
		if f != nil {
			f.Flush()
		}
	}
}

func chunks(b []byte, n int) [][]byte {
	var out [][]byte
	for len(b) > n {
		out = append(out, b[:n])
		b = b[n:]
	}
	if len(b) > 0 {
		out = append(out, b)
	}
	return out
}

// Speech makes the fake's audio of the given length in format: a quiet
// 440 Hz tone for wav and pcm, silent MPEG-2 Layer III frames for mp3,
// placeholder bytes for the rest.
func Speech(seconds float64, format string) []byte {
	samples := int(seconds * SampleRate)
	pcm := make([]byte, 2*samples)
	for i := 0; i < samples; i++ {
		v := int16(3000 * math.Sin(2*math.Pi*440*float64(i)/SampleRate))
		binary.LittleEndian.PutUint16(pcm[2*i:], uint16(v))
	}
	switch format {
	case "pcm":
		return pcm
	case "wav":
		return WAV(pcm, SampleRate)
	case "mp3":
		// MPEG-2 Layer III, 64 kbit/s, 24 kHz, mono: 576 samples in 192 bytes.
		frames := (samples + 575) / 576
		out := make([]byte, 0, frames*192)
		for i := 0; i < frames; i++ {
			frame := make([]byte, 192)
			copy(frame, []byte{0xFF, 0xF3, 0x84, 0xC0})
			out = append(out, frame...)
		}
		return out
	case "opus":
		return append([]byte("OggS\x00\x02"), make([]byte, samples/12)...)
	case "aac":
		return append([]byte{0xFF, 0xF1, 0x60, 0x40}, make([]byte, samples/12)...)
	case "flac":
		return append([]byte("fLaC"), make([]byte, samples/8)...)
	}
	return pcm
}

// WAV wraps 16-bit mono little-endian samples in a RIFF/WAVE header.
func WAV(pcm []byte, rate int) []byte {
	var b bytes.Buffer
	b.WriteString("RIFF")
	binary.Write(&b, binary.LittleEndian, uint32(36+len(pcm)))
	b.WriteString("WAVEfmt ")
	binary.Write(&b, binary.LittleEndian, uint32(16))
	binary.Write(&b, binary.LittleEndian, uint16(1)) // PCM
	binary.Write(&b, binary.LittleEndian, uint16(1)) // mono
	binary.Write(&b, binary.LittleEndian, uint32(rate))
	binary.Write(&b, binary.LittleEndian, uint32(rate*2))
	binary.Write(&b, binary.LittleEndian, uint16(2))
	binary.Write(&b, binary.LittleEndian, uint16(16))
	b.WriteString("data")
	binary.Write(&b, binary.LittleEndian, uint32(len(pcm)))
	b.Write(pcm)
	return b.Bytes()
}

// wavDuration reads the length of a PCM WAV file, if it is one.
func wavDuration(b []byte) (float64, bool) {
	if len(b) < 44 || string(b[:4]) != "RIFF" || string(b[8:12]) != "WAVE" {
		return 0, false
	}
	var byteRate uint32
	for off := 12; off+8 <= len(b); {
		id, size := string(b[off:off+4]), int(binary.LittleEndian.Uint32(b[off+4:]))
		body := off + 8
		switch id {
		case "fmt ":
			if body+12 <= len(b) {
				byteRate = binary.LittleEndian.Uint32(b[body+8:])
			}
		case "data":
			if byteRate == 0 {
				return 0, false
			}
			size = min(size, len(b)-body)
			return float64(size) / float64(byteRate), true
		}
		off = body + size + size%2
	}
	return 0, false
}

// Audio file extensions /v1/audio/transcriptions accepts.
var transcriptionExts = []string{"flac", "mp3", "mp4", "mpeg", "mpga", "m4a", "ogg", "wav", "webm"}

var languageNames = map[string]string{"en": "english", "fr": "french", "de": "german", "es": "spanish", "it": "italian",
	"ja": "japanese", "zh": "chinese", "pt": "portuguese", "nl": "dutch", "ru": "russian"}

func (s *Server) transcriptions(w http.ResponseWriter, c *call) {
	form, files, e := readMultipart(c)
	if e != nil {
		writeError(w, e)
		return
	}
	file, hasFile := files["file"]
	fileName, fileData := file.name, file.data
	s.recordUpload(c, form, fileName, fileData)
	get := formGetter(form)
	if !hasFile {
		writeError(w, invalid("file", "Missing required parameter: 'file'."))
		return
	}
	model := get("model")
	if model == "" {
		writeError(w, invalid("model", "Missing required parameter: 'model'."))
		return
	}
	ext := strings.TrimPrefix(strings.ToLower(path.Ext(fileName)), ".")
	if !slices.Contains(transcriptionExts, ext) {
		writeError(w, invalid("file", "Invalid file format. Supported formats: %s", `['flac', 'm4a', 'mp3', 'mp4', 'mpeg', 'mpga', 'oga', 'ogg', 'wav', 'webm']`))
		return
	}
	if len(fileData) == 0 {
		writeError(w, invalid("file", "Audio file is empty."))
		return
	}
	format := get("response_format")
	if format == "" {
		format = "json"
	}
	gpt := strings.HasPrefix(model, "gpt-4o")
	switch {
	case !slices.Contains([]string{"json", "text", "srt", "verbose_json", "vtt"}, format):
		writeError(w, invalid("response_format", "Invalid value: '%s'. Supported values are: 'json', 'text', 'srt', 'verbose_json', and 'vtt'.", format))
		return
	case gpt && format != "json" && format != "text":
		writeError(w, invalid("response_format", "response_format '%s' is not compatible with model '%s'. Use 'json' or 'text'.", format, model))
		return
	}
	grans := form["timestamp_granularities[]"]
	if len(grans) > 0 && format != "verbose_json" {
		writeError(w, invalid("timestamp_granularities", "timestamp_granularities requires response_format=verbose_json"))
		return
	}
	if t := get("temperature"); t != "" {
		if f, err := strconv.ParseFloat(t, 64); err != nil || f < 0 || f > 1 {
			writeError(w, invalid("temperature", "Invalid 'temperature': must be between 0 and 1."))
			return
		}
	}
	if !s.hasModel(model) || !(model == "whisper-1" || gpt) {
		writeError(w, modelNotFound(model))
		return
	}
	sum := sha256.Sum256(fileData)
	s.mu.Lock()
	text, known := s.spoken[string(sum[:])]
	s.mu.Unlock()
	if !known {
		text = fmt.Sprintf("This is the fake transcript of %d bytes of audio.", len(fileData))
	}
	duration, ok := wavDuration(fileData)
	if !ok {
		duration = math.Max(0.5, float64(countWords(text))*0.35)
	}
	duration = math.Round(duration*1000) / 1000
	language := languageNames[get("language")]
	if language == "" {
		language = "english"
	}
	segs := segments(text, duration)
	switch format {
	case "text":
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		io.WriteString(w, text+"\n")
	case "srt", "vtt":
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		var b strings.Builder
		if format == "vtt" {
			b.WriteString("WEBVTT\n\n")
		}
		for i, sg := range segs {
			if format == "srt" {
				fmt.Fprintf(&b, "%d\n%s --> %s\n%s\n\n", i+1, stamp(sg.start, ","), stamp(sg.end, ","), sg.text)
			} else {
				fmt.Fprintf(&b, "%s --> %s\n%s\n\n", stamp(sg.start, "."), stamp(sg.end, "."), sg.text)
			}
		}
		io.WriteString(w, b.String())
	case "verbose_json":
		out := map[string]any{"task": "transcribe", "language": language, "duration": duration, "text": text}
		if len(grans) == 0 || slices.Contains(grans, "segment") {
			list := make([]any, len(segs))
			for i, sg := range segs {
				list[i] = map[string]any{"id": i, "seek": 0, "start": sg.start, "end": sg.end, "text": " " + sg.text,
					"tokens": []int{50364 + i}, "temperature": 0.0, "avg_logprob": -0.2, "compression_ratio": 1.1, "no_speech_prob": 0.01}
			}
			out["segments"] = list
		}
		if slices.Contains(grans, "word") {
			words := strings.Fields(text)
			list := make([]any, len(words))
			step := duration / float64(max(len(words), 1))
			for i, wd := range words {
				list[i] = map[string]any{"word": wd, "start": round3(float64(i) * step), "end": round3(float64(i+1) * step)}
			}
			out["words"] = list
		}
		out["usage"] = map[string]any{"type": "duration", "seconds": math.Ceil(duration)}
		writeJSON(w, http.StatusOK, out)
	default:
		out := map[string]any{"text": text}
		if gpt {
			n := countWords(text)
			out["usage"] = map[string]any{"type": "tokens", "input_tokens": int(duration * 10), "output_tokens": n,
				"total_tokens": int(duration*10) + n}
		} else {
			out["usage"] = map[string]any{"type": "duration", "seconds": math.Ceil(duration)}
		}
		writeJSON(w, http.StatusOK, out)
	}
}

type segment struct {
	start, end float64
	text       string
}

// segments splits text into sentences spread evenly over the duration.
func segments(text string, duration float64) []segment {
	var sentences []string
	for _, s := range strings.SplitAfter(text, ". ") {
		if s = strings.TrimSpace(s); s != "" {
			sentences = append(sentences, s)
		}
	}
	if len(sentences) == 0 {
		sentences = []string{text}
	}
	step := duration / float64(len(sentences))
	out := make([]segment, len(sentences))
	for i, s := range sentences {
		out[i] = segment{start: round3(float64(i) * step), end: round3(float64(i+1) * step), text: s}
	}
	return out
}

func round3(f float64) float64 { return math.Round(f*1000) / 1000 }

func stamp(sec float64, sep string) string {
	ms := int(math.Round(sec * 1000))
	return fmt.Sprintf("%02d:%02d:%02d%s%03d", ms/3600000, ms/60000%60, ms/1000%60, sep, ms%1000)
}
