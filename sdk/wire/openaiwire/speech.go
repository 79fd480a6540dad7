package openaiwire

import (
	"context"
	"errors"
	"io"
	"mime"
	"net/http"
	"strings"

	"github.com/roundhouse-ai/roundhouse/types"
)

type speechRequest struct {
	Model          string  `json:"model"`
	Input          string  `json:"input"`
	Voice          string  `json:"voice"`
	ResponseFormat string  `json:"response_format,omitempty"`
	Speed          float64 `json:"speed,omitempty"`
	Instructions   string  `json:"instructions,omitempty"`
}

const (
	defaultVoice       = "alloy"
	defaultAudioFormat = "mp3"
	audioChunkSize     = 32 << 10
)

// audioMIME maps the API's response_format values to media types.
var audioMIME = map[string]string{
	"mp3":  "audio/mpeg",
	"opus": "audio/ogg", // Opus in an Ogg container
	"aac":  "audio/aac",
	"flac": "audio/flac",
	"wav":  "audio/wav",
	"pcm":  "audio/pcm", // raw 24 kHz 16-bit signed little-endian mono
}

func buildSpeech(req *types.TextToSpeechRequest) (string, []byte, error) {
	if req.Input == "" {
		return "", nil, types.FieldError("input", "required")
	}
	if req.Speed != 0 && (req.Speed < 0.25 || req.Speed > 4) {
		return "", nil, types.FieldError("speed", "must be between 0.25 and 4.0")
	}
	w := speechRequest{Model: modelOr(req.Model, types.ServiceTextToSpeech), Input: req.Input, Voice: req.Voice,
		ResponseFormat: strings.ToLower(req.Format), Speed: req.Speed, Instructions: req.Instructions}
	if w.Voice == "" {
		w.Voice = defaultVoice
	}
	if w.ResponseFormat == "" {
		w.ResponseFormat = defaultAudioFormat
	}
	body, err := EncodeBody(w, req.Extra)
	return w.ResponseFormat, body, err
}

// speechMIME prefers the upstream's own audio Content-Type, else the
// type of the format asked for.
func speechMIME(h http.Header, format string) string {
	if mt, _, err := mime.ParseMediaType(h.Get("Content-Type")); err == nil && strings.HasPrefix(mt, "audio/") {
		return mt
	}
	if m, ok := audioMIME[format]; ok {
		return m
	}
	return "application/octet-stream"
}

// TextToSpeech calls POST /audio/speech; the answer body is the audio.
func (c *Client) TextToSpeech(ctx context.Context, req *types.TextToSpeechRequest) (*types.TextToSpeechResponse, error) {
	format, body, err := buildSpeech(req)
	if err != nil {
		return nil, err
	}
	u, err := c.Send(ctx, &Request{Method: http.MethodPost, Path: "/audio/speech", Model: modelOr(req.Model, types.ServiceTextToSpeech), Body: body,
		ContentType: "application/json", Accept: "audio/*, application/octet-stream"})
	if err != nil {
		return nil, err
	}
	defer u.Close()
	if len(u.Data) == 0 {
		return nil, c.BadAnswer("/audio/speech", errorString("empty audio"))
	}
	return &types.TextToSpeechResponse{Model: modelOr(req.Model, types.ServiceTextToSpeech), Audio: u.Data,
		MIMEType: speechMIME(u.Header, format)}, nil
}

// TextToSpeechStream relays the audio as the upstream sends it (OpenAI
// streams the speech body with chunked transfer encoding).
func (c *Client) TextToSpeechStream(ctx context.Context, req *types.TextToSpeechRequest, send func(*types.AudioChunk) error) error {
	format, body, err := buildSpeech(req)
	if err != nil {
		return err
	}
	u, err := c.Send(ctx, &Request{Method: http.MethodPost, Path: "/audio/speech", Model: modelOr(req.Model, types.ServiceTextToSpeech), Body: body,
		ContentType: "application/json", Accept: "audio/*, application/octet-stream", Stream: true})
	if err != nil {
		return err
	}
	defer u.Close()
	mt := speechMIME(u.Header, format)
	buf := make([]byte, audioChunkSize)
	for {
		n, rerr := fill(u.Body, buf)
		if n > 0 {
			if err := send(&types.AudioChunk{Data: append([]byte(nil), buf[:n]...), MIMEType: mt}); err != nil {
				return err
			}
		}
		if errors.Is(rerr, io.EOF) {
			break
		}
		if rerr != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			e := StreamBroken(c.Name, rerr, c.Scrub)
			u.Failed(e)
			return e
		}
	}
	return send(&types.AudioChunk{MIMEType: mt, Done: true})
}

// fill reads into buf until it is full or the reader fails. Unlike
// io.ReadFull it passes io.EOF through unchanged, so a clean end stays
// distinguishable from a cut connection (io.ErrUnexpectedEOF).
func fill(r io.Reader, buf []byte) (int, error) {
	n := 0
	for n < len(buf) {
		m, err := r.Read(buf[n:])
		n += m
		if err != nil {
			return n, err
		}
	}
	return n, nil
}
