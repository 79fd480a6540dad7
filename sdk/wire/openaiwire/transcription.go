package openaiwire

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"mime"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/roundhouse-ai/roundhouse/types"
)

type transcriptionResponse struct {
	Text     string  `json:"text"`
	Language string  `json:"language"`
	Duration float64 `json:"duration"`
	Segments []struct {
		Start float64 `json:"start"`
		End   float64 `json:"end"`
		Text  string  `json:"text"`
	} `json:"segments"`
}

// audioExt names an extension for uploads without a filename, from the
// MIME type; the API sniffs the format from the file name.
var audioExt = map[string]string{
	"audio/wav": "wav", "audio/x-wav": "wav", "audio/wave": "wav", "audio/mpeg": "mp3", "audio/mp3": "mp3",
	"audio/mp4": "m4a", "audio/m4a": "m4a", "audio/x-m4a": "m4a", "audio/ogg": "ogg", "audio/webm": "webm",
	"audio/flac": "flac", "audio/x-flac": "flac", "video/mp4": "mp4", "video/webm": "webm",
}

// buildTranscription builds the multipart/form-data body of POST
// /audio/transcriptions. Extra adds form fields: strings, numbers and
// booleans as they are, lists as repeated "name[]" fields (so
// {"timestamp_granularities": ["segment"]} works), objects as JSON.
// Extra.response_format picks the answer format (json by default;
// verbose_json for segments; text, srt and vtt give plain text);
// asking for timestamp_granularities implies verbose_json.
func buildTranscription(req *types.SpeechToTextRequest) (body []byte, contentType, format string, err error) {
	if len(req.Audio) == 0 {
		return nil, "", "", types.FieldError("audio", "required")
	}
	extra := map[string]any{}
	for k, v := range req.Extra {
		extra[k] = v
	}
	format = "json"
	if f, ok := extra["response_format"].(string); ok && f != "" {
		format = f
	} else if _, ok := extra["timestamp_granularities"]; ok {
		format = "verbose_json"
	}
	delete(extra, "response_format")

	filename := path.Base(strings.ReplaceAll(req.Filename, `\`, "/"))
	if filename == "" || filename == "." || filename == "/" {
		ext := "wav"
		if mt, _, err := mime.ParseMediaType(req.MIMEType); err == nil && audioExt[mt] != "" {
			ext = audioExt[mt]
		}
		filename = "audio." + ext
	}
	ctype := req.MIMEType
	if ctype == "" {
		ctype = mime.TypeByExtension(path.Ext(filename))
		if ctype == "" {
			ctype = "application/octet-stream"
		}
	}

	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	if err := writeFile(mw, "file", filename, ctype, req.Audio); err != nil {
		return nil, "", "", err
	}
	fields := [][2]string{{"model", modelOr(req.Model, types.ServiceSpeechToText)}, {"response_format", format}}
	if req.Language != "" {
		fields = append(fields, [2]string{"language", req.Language})
	}
	if req.Prompt != "" {
		fields = append(fields, [2]string{"prompt", req.Prompt})
	}
	if req.Temperature != nil {
		fields = append(fields, [2]string{"temperature", strconv.FormatFloat(*req.Temperature, 'f', -1, 64)})
	}
	if err := writeFields(mw, fields, extra); err != nil {
		return nil, "", "", err
	}
	return buf.Bytes(), mw.FormDataContentType(), format, nil
}

// writeFile writes a file part.
func writeFile(mw *multipart.Writer, field, filename, ctype string, data []byte) error {
	h := make(textproto.MIMEHeader)
	h.Set("Content-Disposition", fmt.Sprintf(`form-data; name=%q; filename=%q`, field, filename))
	h.Set("Content-Type", ctype)
	fw, err := mw.CreatePart(h)
	if err != nil {
		return err
	}
	_, err = fw.Write(data)
	return err
}

// writeFields writes fields, then extra's keys in order (strings, numbers
// and booleans as they are, lists as repeated "name[]" fields, objects as
// JSON; nil skips the key), and closes the form.
func writeFields(mw *multipart.Writer, fields [][2]string, extra map[string]any) error {
	for _, k := range sortedKeys(extra) {
		switch v := extra[k].(type) {
		case nil:
		case []any:
			for _, item := range v {
				fields = append(fields, [2]string{k + "[]", formValue(item)})
			}
		case []string:
			for _, item := range v {
				fields = append(fields, [2]string{k + "[]", item})
			}
		default:
			fields = append(fields, [2]string{k, formValue(v)})
		}
	}
	for _, f := range fields {
		if err := mw.WriteField(f[0], f[1]); err != nil {
			return err
		}
	}
	return mw.Close()
}

func formValue(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case bool:
		return strconv.FormatBool(x)
	}
	b, _ := json.Marshal(v)
	return string(b)
}

// SpeechToText uploads the audio to POST /audio/transcriptions.
func (c *Client) SpeechToText(ctx context.Context, req *types.SpeechToTextRequest) (*types.SpeechToTextResponse, error) {
	body, ctype, format, err := buildTranscription(req)
	if err != nil {
		return nil, err
	}
	u, err := c.Send(ctx, &Request{Method: http.MethodPost, Path: "/audio/transcriptions", Model: modelOr(req.Model, types.ServiceSpeechToText), Body: body, Slow: 2 * time.Minute,
		ContentType: ctype, Accept: "application/json, text/plain"})
	if err != nil {
		return nil, err
	}
	defer u.Close()
	out := &types.SpeechToTextResponse{Model: modelOr(req.Model, types.ServiceSpeechToText)}
	mt, _, _ := mime.ParseMediaType(u.Header.Get("Content-Type"))
	if format == "text" || format == "srt" || format == "vtt" || (mt != "application/json" && !json.Valid(u.Data)) {
		out.Text = string(u.Data)
		return out, nil
	}
	var r transcriptionResponse
	if err := c.DecodeAnswer("/audio/transcriptions", u.Data, &r); err != nil {
		return nil, err
	}
	out.Text, out.Language, out.Duration = r.Text, r.Language, r.Duration
	for _, s := range r.Segments {
		// Whisper starts segment texts with a space; the SDK type wants the text.
		out.Segments = append(out.Segments, types.TranscriptSegment{Start: s.Start, End: s.End, Text: strings.TrimSpace(s.Text)})
	}
	return out, nil
}
