package openaiwire

import (
	"context"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"

	"github.com/roundhouse-ai/roundhouse/types"
)

type embeddingRequest struct {
	Model          string   `json:"model"`
	Input          []string `json:"input"`
	Dimensions     int      `json:"dimensions,omitempty"`
	EncodingFormat string   `json:"encoding_format,omitempty"`
}

type embeddingResponse struct {
	Model string          `json:"model"`
	Data  []embeddingData `json:"data"`
	Usage *usage          `json:"usage"`
}

type embeddingData struct {
	Index int `json:"index"`
	// Embedding is a list of floats (encoding_format "float") or a
	// base64 string of little-endian float32s ("base64").
	Embedding json.RawMessage `json:"embedding"`
	// vec is a float list already decoded, when vecSet (the fast path
	// sets it instead of Embedding).
	vec    []float32
	vecSet bool
}

// vector is the embedding as floats (see decodeVector).
func (d *embeddingData) vector() ([]float32, error) {
	if d.vecSet {
		return d.vec, nil
	}
	return decodeVector(d.Embedding)
}

// Embed sends encoding_format "float" unless Extra asks for "base64" (a
// third of the bytes on the wire; OpenAI and recent Ollama support it).
// Either answer form is decoded, whatever was asked. Truncate has no
// OpenAI field (OpenAI errors on over-long input) and is not sent.
func (c *Client) Embed(ctx context.Context, req *types.EmbedRequest) (*types.EmbedResponse, error) {
	if len(req.Input) == 0 {
		return nil, types.FieldError("input", "at least one text is required")
	}
	for i, s := range req.Input {
		if s == "" {
			return nil, types.FieldError(fmt.Sprintf("input[%d]", i), "empty text (the API rejects empty input)")
		}
	}
	if req.Dimensions < 0 {
		return nil, types.FieldError("dimensions", "must be >= 0")
	}
	body, err := EncodeBody(embeddingRequest{Model: modelOr(req.Model, types.ServiceEmbed), Input: req.Input,
		Dimensions: req.Dimensions, EncodingFormat: "float"}, req.Extra)
	if err != nil {
		return nil, err
	}
	u, err := c.PostJSON(ctx, "/embeddings", modelOr(req.Model, types.ServiceEmbed), body)
	if err != nil {
		return nil, err
	}
	defer u.Close()
	var r embeddingResponse
	if err := decodeAnswer(c, "/embeddings", u.Data, &r); err != nil {
		return nil, err
	}
	if len(r.Data) != len(req.Input) {
		return nil, c.BadAnswer("/embeddings", fmt.Errorf("%d vectors for %d inputs", len(r.Data), len(req.Input)))
	}
	out := make([][]float32, len(req.Input))
	for i := range r.Data {
		d := &r.Data[i]
		idx := d.Index
		if idx < 0 || idx >= len(out) || out[idx] != nil {
			idx = i // a server that numbers badly: trust the order
		}
		v, err := d.vector()
		if err != nil {
			return nil, c.BadAnswer("/embeddings", err)
		}
		out[idx] = v
	}
	model := r.Model
	if model == "" {
		model = modelOr(req.Model, types.ServiceEmbed)
	}
	return &types.EmbedResponse{Model: model, Embeddings: out, Usage: r.Usage.toSDK()}, nil
}

// decodeVector reads a float list or a base64 string of little-endian
// float32 values.
func decodeVector(raw json.RawMessage) ([]float32, error) {
	if len(raw) > 0 && raw[0] == '"' {
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return nil, err
		}
		b, err := base64.StdEncoding.DecodeString(s)
		if err != nil {
			return nil, fmt.Errorf("base64 embedding: %w", err)
		}
		if len(b)%4 != 0 {
			return nil, fmt.Errorf("base64 embedding of %d bytes is not a float32 array", len(b))
		}
		v := make([]float32, len(b)/4)
		for i := range v {
			v[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
		}
		return v, nil
	}
	var v []float32
	if err := json.Unmarshal(raw, &v); err != nil {
		return nil, fmt.Errorf("embedding: %w", err)
	}
	return v, nil
}
