package openai

import (
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/roundhouse-ai/roundhouse/host/backend"
	"github.com/roundhouse-ai/roundhouse/sdk"
)

// now and newID are variables so tests can pin them.
var (
	now   = time.Now
	newID = func(prefix string) string {
		const alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
		var arr [48]byte // on the stack for the prefixes used: one allocation, the string
		b := arr[:0]
		if len(prefix)+24 > len(arr) {
			b = make([]byte, 0, len(prefix)+24)
		}
		b = append(b, prefix...)
		b = b[:len(prefix)+24]
		for i := len(prefix); i < len(b); i++ {
			b[i] = alphabet[rand.IntN(len(alphabet))]
		}
		return string(b)
	}
)

// FinishReason maps an sdk finish reason onto OpenAI's: stop, length,
// tool_calls or content_filter. A stop with tool calls is tool_calls.
func FinishReason(reason string, toolCalls bool) string {
	switch reason {
	case "length", "content_filter":
		return reason
	case "tool_calls":
		return "tool_calls"
	}
	if toolCalls {
		return "tool_calls"
	}
	return "stop"
}

func usage(u *sdk.Usage) *Usage {
	if u == nil {
		return nil
	}
	out := &Usage{PromptTokens: u.PromptTokens, CompletionTokens: u.CompletionTokens, TotalTokens: u.TotalTokens}
	if out.TotalTokens == 0 {
		out.TotalTokens = out.PromptTokens + out.CompletionTokens
	}
	return out
}

// toolCalls gives every call an id and the function type.
func toolCalls(in []sdk.ToolCall) []ToolCall {
	if len(in) == 0 {
		return nil
	}
	out := make([]ToolCall, len(in))
	for i, tc := range in {
		id := tc.ID
		if id == "" {
			id = newID("call_")
		}
		args := tc.Arguments
		if args == "" {
			args = "{}"
		}
		out[i] = ToolCall{ID: id, Type: "function", Function: FunctionCall{Name: tc.Name, Arguments: args}}
	}
	return out
}

// ChatResponseToOpenAI translates a whole chat answer. model is the
// requested model, used when the backend does not name one.
func ChatResponseToOpenAI(resp *sdk.ChatResponse, model, id string, created int64) *ChatCompletion {
	if resp.Model != "" {
		model = resp.Model
	}
	msg := ResponseMessage{Role: "assistant", ReasoningContent: resp.Message.Thinking,
		ToolCalls: toolCalls(resp.Message.ToolCalls)}
	if resp.Message.Content != "" || len(msg.ToolCalls) == 0 {
		msg.Content = &resp.Message.Content // resp is not changed after: no copy to allocate
	}
	return &ChatCompletion{
		ID: id, Object: "chat.completion", Created: created, Model: model,
		Choices: []ChatChoice{{Index: 0, Message: msg,
			FinishReason: FinishReason(resp.FinishReason, len(msg.ToolCalls) > 0)}},
		Usage: usage(resp.Usage),
	}
}

// GenerateResponseToOpenAI translates a whole completion; with echo the
// prompt is prepended to the text.
func GenerateResponseToOpenAI(resp *sdk.GenerateResponse, model, id string, created int64, echo string) *Completion {
	if resp.Model != "" {
		model = resp.Model
	}
	fr := FinishReason(resp.FinishReason, false)
	out := &Completion{
		ID: id, Object: "text_completion", Created: created, Model: model,
		Choices: []CompletionChoice{{Text: echo + resp.Text, Index: 0, FinishReason: &fr}},
	}
	if u := usage(resp.Usage); u != nil {
		out.Usage = u
	}
	return out
}

// EncodeBase64Floats encodes v as little-endian float32, base64 (OpenAI's
// encoding_format=base64).
func EncodeBase64Floats(v []float32) string {
	b := make([]byte, 4*len(v))
	for i, f := range v {
		binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(f))
	}
	return base64.StdEncoding.EncodeToString(b)
}

// EmbedResponseToOpenAI translates vectors into OpenAI's list.
func EmbedResponseToOpenAI(resp *sdk.EmbedResponse, model, format string) *EmbeddingList {
	if resp.Model != "" {
		model = resp.Model
	}
	out := &EmbeddingList{Object: "list", Model: model, Data: make([]EmbeddingItem, len(resp.Embeddings))}
	for i, v := range resp.Embeddings {
		item := EmbeddingItem{Object: "embedding", Index: i}
		if format == "base64" {
			item.Embedding = EncodeBase64Floats(v)
		} else {
			if v == nil {
				v = []float32{}
			}
			item.Embedding = v
		}
		out.Data[i] = item
	}
	if resp.Usage != nil {
		out.Usage = EmbeddingUsage{PromptTokens: resp.Usage.PromptTokens, TotalTokens: resp.Usage.TotalTokens}
		if out.Usage.TotalTokens == 0 {
			out.Usage.TotalTokens = out.Usage.PromptTokens
		}
	}
	return out
}

// ModelToOpenAI translates one listed model. The id is the model's name as
// the backend lists it; owned_by is the serving plugin.
func ModelToOpenAI(m backend.ModelInfo) ModelObject {
	created := m.ModifiedAt
	for created > 1e11 { // milliseconds or finer: bring to seconds
		created /= 1000
	}
	owner := m.Plugin
	if owner == "" {
		owner = "roundhouse"
	}
	return ModelObject{ID: m.Name, Object: "model", Created: created, OwnedBy: owner,
		Plugin: m.Plugin, Provider: m.Provider, Size: m.SizeBytes, State: m.State}
}

// ModelsToOpenAI translates a model listing.
func ModelsToOpenAI(ms []backend.ModelInfo) *ModelList {
	out := &ModelList{Object: "list", Data: make([]ModelObject, 0, len(ms))}
	for _, m := range ms {
		out.Data = append(out.Data, ModelToOpenAI(m))
	}
	return out
}

// FindModel finds id among ms by plain or plugin-qualified name.
func FindModel(ms []backend.ModelInfo, id string) (backend.ModelInfo, bool) {
	for _, m := range ms {
		if m.Name == id || (m.Plugin != "" && m.Plugin+"/"+m.Name == id) ||
			(m.Provider != "" && m.Plugin+":"+m.Provider+"/"+m.Name == id) {
			return m, true
		}
	}
	return backend.ModelInfo{}, false
}

// ImagesToOpenAI translates generated images. With format "url" an image
// the engine gave as bytes becomes a data: URL; with b64_json (the default
// here: the host serves no image URLs) an image the provider only linked
// keeps its url.
func ImagesToOpenAI(resp *sdk.TextToImageResponse, format string, created int64) *ImageList {
	out := &ImageList{Created: created, Data: make([]ImageData, 0, len(resp.Images))}
	for _, img := range resp.Images {
		d := ImageData{RevisedPrompt: img.RevisedPrompt}
		switch {
		case format == "url" && img.URL != "":
			d.URL = img.URL
		case format == "url":
			mime := img.MIMEType
			if mime == "" {
				mime = "image/png"
			}
			d.URL = "data:" + mime + ";base64," + base64.StdEncoding.EncodeToString(img.Data)
		case len(img.Data) > 0:
			d.B64JSON = base64.StdEncoding.EncodeToString(img.Data)
		default:
			d.URL = img.URL
		}
		out.Data = append(out.Data, d)
	}
	return out
}

// SpeechContentType is the content type of synthesized audio: the
// backend's, else the one of the requested format.
func SpeechContentType(resp *sdk.TextToSpeechResponse, format string) string {
	if resp.MIMEType != "" {
		return resp.MIMEType
	}
	if t, ok := speechFormats[format]; ok {
		return t
	}
	return "application/octet-stream"
}

// TranscriptionBody renders a transcript in a response_format: json, text,
// verbose_json, srt or vtt. It returns the content type and the body.
func TranscriptionBody(resp *sdk.SpeechToTextResponse, format string) (string, []byte, error) {
	switch format {
	case "", "json":
		b, err := json.Marshal(Transcription{Text: resp.Text})
		return "application/json", append(b, '\n'), err
	case "text":
		return "text/plain; charset=utf-8", []byte(resp.Text + "\n"), nil
	case "verbose_json":
		v := VerboseTranscription{Task: "transcribe", Language: languageName(resp.Language),
			Duration: resp.Duration, Text: resp.Text, Segments: make([]TranscriptionSegment, len(resp.Segments))}
		for i, s := range resp.Segments {
			v.Segments[i] = TranscriptionSegment{ID: i, Start: s.Start, End: s.End, Text: s.Text, Tokens: []int{}}
		}
		b, err := json.Marshal(v)
		return "application/json", append(b, '\n'), err
	case "srt", "vtt":
		var sb strings.Builder
		if format == "vtt" {
			sb.WriteString("WEBVTT\n\n")
		}
		segs := resp.Segments
		if len(segs) == 0 && resp.Text != "" {
			segs = []sdk.TranscriptSegment{{Start: 0, End: resp.Duration, Text: resp.Text}}
		}
		for i, s := range segs {
			if format == "srt" {
				fmt.Fprintf(&sb, "%d\n%s --> %s\n%s\n\n", i+1, timestamp(s.Start, ","), timestamp(s.End, ","), strings.TrimSpace(s.Text))
			} else {
				fmt.Fprintf(&sb, "%s --> %s\n%s\n\n", timestamp(s.Start, "."), timestamp(s.End, "."), strings.TrimSpace(s.Text))
			}
		}
		ct := "application/x-subrip"
		if format == "vtt" {
			ct = "text/vtt"
		}
		return ct, []byte(sb.String()), nil
	}
	return "", nil, sdk.FieldError("response_format", "must be json, text, srt, verbose_json or vtt; got %q", format)
}

func timestamp(sec float64, sep string) string {
	ms := int64(math.Round(sec * 1000))
	if ms < 0 {
		ms = 0
	}
	h, ms := ms/3600000, ms%3600000
	m, ms := ms/60000, ms%60000
	s, ms := ms/1000, ms%1000
	return fmt.Sprintf("%02d:%02d:%02d%s%03d", h, m, s, sep, ms)
}

// languageName spells ISO codes the way Whisper's verbose_json does.
func languageName(code string) string {
	names := map[string]string{"en": "english", "de": "german", "fr": "french", "es": "spanish",
		"it": "italian", "pt": "portuguese", "nl": "dutch", "ja": "japanese", "zh": "chinese",
		"ko": "korean", "ru": "russian", "pl": "polish", "tr": "turkish", "ar": "arabic", "hi": "hindi"}
	if n, ok := names[strings.ToLower(code)]; ok {
		return n
	}
	return code
}
