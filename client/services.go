package client

import (
	"context"
	"encoding/json"
	"fmt"
	"mime"
	"net/http"
	"net/url"
	"os"
	"path/filepath"

	"github.com/roundhouse-ai/roundhouse/types"
)

type rerankBody struct {
	*types.RerankRequest
	Options
}

// Rerank orders documents by relevance to a query.
func (c *Client) Rerank(ctx context.Context, req *types.RerankRequest, o Options) (*types.RerankResponse, error) {
	return callJSON[types.RerankResponse](ctx, c, http.MethodPost, "/v1/services/rerank", rerankBody{req, o})
}

type textToImageBody struct {
	*types.TextToImageRequest
	Options
}

// TextToImage makes images from a prompt.
func (c *Client) TextToImage(ctx context.Context, req *types.TextToImageRequest, o Options) (*types.TextToImageResponse, error) {
	return callJSON[types.TextToImageResponse](ctx, c, http.MethodPost, "/v1/services/text-to-image", textToImageBody{req, o})
}

type textToSpeechBody struct {
	*types.TextToSpeechRequest
	Options
}

// TextToSpeech reads text aloud; the answer carries the audio bytes.
func (c *Client) TextToSpeech(ctx context.Context, req *types.TextToSpeechRequest, o Options) (*types.TextToSpeechResponse, error) {
	return callJSON[types.TextToSpeechResponse](ctx, c, http.MethodPost, "/v1/services/text-to-speech", textToSpeechBody{req, o})
}

type speechToTextBody struct {
	*types.SpeechToTextRequest
	Options
}

// SpeechToText transcribes req.Audio. The native route takes the audio
// in the JSON body (base64); the OpenAI-compatible route
// /v1/audio/transcriptions is the multipart one.
func (c *Client) SpeechToText(ctx context.Context, req *types.SpeechToTextRequest, o Options) (*types.SpeechToTextResponse, error) {
	return callJSON[types.SpeechToTextResponse](ctx, c, http.MethodPost, "/v1/services/speech-to-text", speechToTextBody{req, o})
}

// maxAudioFile bounds what SpeechToTextFile reads into memory (the host
// refuses bodies above its own limit anyway).
const maxAudioFile = 100 << 20

// SpeechToTextFile transcribes the audio file at path: its bytes, name
// and MIME type (from the extension) fill req's Audio, Filename and
// MIMEType unless set. req may be nil.
func (c *Client) SpeechToTextFile(ctx context.Context, path string, req *types.SpeechToTextRequest, o Options) (*types.SpeechToTextResponse, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if st.Size() > maxAudioFile {
		return nil, fmt.Errorf("%s is %d bytes; the most this client sends is %d", path, st.Size(), maxAudioFile)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	r := types.SpeechToTextRequest{}
	if req != nil {
		r = *req
	}
	r.Audio = data
	if r.Filename == "" {
		r.Filename = filepath.Base(path)
	}
	if r.MIMEType == "" {
		r.MIMEType = mime.TypeByExtension(filepath.Ext(path))
	}
	return c.SpeechToText(ctx, &r, o)
}

// Invoke calls a service by name ("chat", "rerank", ... as GET
// /v1/services lists them) with a request of that service's shape (a
// types request struct or a map), and returns the JSON answer. It is for
// apps that let the user pick the service; the typed methods are easier
// otherwise.
func (c *Client) Invoke(ctx context.Context, service string, req any, o Options) (json.RawMessage, error) {
	body, err := withOptions(req, o, false)
	if err != nil {
		return nil, err
	}
	out, err := callJSON[json.RawMessage](ctx, c, http.MethodPost, "/v1/services/"+url.PathEscape(service), body)
	if err != nil {
		return nil, err
	}
	return *out, nil
}

// InvokeStream calls a streaming service (chat, generate) by name and
// calls fn with each event's JSON.
func (c *Client) InvokeStream(ctx context.Context, service string, req any, o Options, fn func(json.RawMessage) error) error {
	body, err := withOptions(req, o, true)
	if err != nil {
		return err
	}
	return stream(ctx, c, http.MethodPost, "/v1/services/"+url.PathEscape(service), body, func(ev json.RawMessage) error { return fn(ev) })
}

// withOptions merges the routing options and the stream flag into a
// request's JSON object.
func withOptions(req any, o Options, stream bool) (map[string]any, error) {
	b, err := json.Marshal(req)
	if err != nil {
		return nil, err
	}
	m := map[string]any{}
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("a service request must be a JSON object: %w", err)
	}
	if o.Policy != "" {
		m["policy"] = o.Policy
	}
	if o.Plugin != "" {
		m["plugin"] = o.Plugin
	}
	if stream {
		m["stream"] = true
	} else {
		delete(m, "stream")
	}
	return m, nil
}
