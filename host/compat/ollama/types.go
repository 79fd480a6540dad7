// Package ollama serves Roundhouse in the Ollama API dialect (/api/...):
// chat and generate with NDJSON streaming, embeddings, model listing,
// show, pull with progress, delete, and Ollama's load/unload idioms.
// Requests are translated into sdk types and sent to a backend.Backend.
package ollama

import (
	"encoding/json"
	"time"

	"github.com/roundhouse-ai/roundhouse/sdk"
)

// ChatRequest is the body of POST /api/chat.
type ChatRequest struct {
	Model     string          `json:"model"`
	Messages  []Message       `json:"messages"`
	Stream    *bool           `json:"stream,omitempty"`
	Format    json.RawMessage `json:"format,omitempty"`
	KeepAlive json.RawMessage `json:"keep_alive,omitempty"`
	Tools     []Tool          `json:"tools,omitempty"`
	Options   json.RawMessage `json:"options,omitempty"`
	Think     json.RawMessage `json:"think,omitempty"`
	Truncate  *bool           `json:"truncate,omitempty"`
}

// GenerateRequest is the body of POST /api/generate.
type GenerateRequest struct {
	Model     string          `json:"model"`
	Prompt    string          `json:"prompt"`
	Suffix    string          `json:"suffix,omitempty"`
	System    string          `json:"system,omitempty"`
	Template  string          `json:"template,omitempty"`
	Context   []int           `json:"context,omitempty"`
	Stream    *bool           `json:"stream,omitempty"`
	Raw       bool            `json:"raw,omitempty"`
	Format    json.RawMessage `json:"format,omitempty"`
	KeepAlive json.RawMessage `json:"keep_alive,omitempty"`
	Images    []string        `json:"images,omitempty"`
	Options   json.RawMessage `json:"options,omitempty"`
	Think     json.RawMessage `json:"think,omitempty"`
}

// Message is one chat message. Images are base64 strings.
type Message struct {
	Role       string     `json:"role"`
	Content    string     `json:"content"`
	Thinking   string     `json:"thinking,omitempty"`
	Images     []string   `json:"images,omitempty"`
	ToolCalls  []ToolCall `json:"tool_calls,omitempty"`
	ToolName   string     `json:"tool_name,omitempty"`
	ToolCallID string     `json:"tool_call_id,omitempty"`
}

// ToolCall is a call the model made; arguments are a JSON object.
type ToolCall struct {
	ID       string           `json:"id,omitempty"`
	Function ToolCallFunction `json:"function"`
}

// ToolCallFunction names the function and its arguments.
type ToolCallFunction struct {
	Index     int             `json:"index"`
	Name      string          `json:"name"`
	Arguments json.RawMessage `json:"arguments"`
}

// Tool declares a function the model may call.
type Tool struct {
	Type     string       `json:"type"`
	Function ToolFunction `json:"function"`
}

// ToolFunction describes a function tool.
type ToolFunction struct {
	Name        string         `json:"name"`
	Description string         `json:"description,omitempty"`
	Parameters  map[string]any `json:"parameters,omitempty"`
}

// Metrics are the timing and token counts of a final response.
// Durations are nanoseconds.
type Metrics struct {
	TotalDuration      int64 `json:"total_duration,omitempty"`
	LoadDuration       int64 `json:"load_duration,omitempty"`
	PromptEvalCount    int   `json:"prompt_eval_count,omitempty"`
	PromptEvalDuration int64 `json:"prompt_eval_duration,omitempty"`
	EvalCount          int   `json:"eval_count,omitempty"`
	EvalDuration       int64 `json:"eval_duration,omitempty"`
}

// ChatResponse is a whole answer or one streamed line of /api/chat.
type ChatResponse struct {
	Model      string    `json:"model"`
	CreatedAt  time.Time `json:"created_at"`
	Message    Message   `json:"message"`
	DoneReason string    `json:"done_reason,omitempty"`
	Done       bool      `json:"done"`
	Metrics
}

// GenerateResponse is a whole answer or one streamed line of
// /api/generate.
type GenerateResponse struct {
	Model      string     `json:"model"`
	CreatedAt  time.Time  `json:"created_at"`
	Response   string     `json:"response"`
	Thinking   string     `json:"thinking,omitempty"`
	Done       bool       `json:"done"`
	DoneReason string     `json:"done_reason,omitempty"`
	ToolCalls  []ToolCall `json:"tool_calls,omitempty"`
	Metrics
}

// EmbedRequest is the body of POST /api/embed.
type EmbedRequest struct {
	Model      string          `json:"model"`
	Input      json.RawMessage `json:"input"`
	KeepAlive  json.RawMessage `json:"keep_alive,omitempty"`
	Truncate   *bool           `json:"truncate,omitempty"`
	Dimensions int             `json:"dimensions,omitempty"`
	Options    json.RawMessage `json:"options,omitempty"`
}

// EmbedResponse is the answer of POST /api/embed.
type EmbedResponse struct {
	Model           string      `json:"model"`
	Embeddings      [][]float32 `json:"embeddings"`
	TotalDuration   int64       `json:"total_duration,omitempty"`
	LoadDuration    int64       `json:"load_duration,omitempty"`
	PromptEvalCount int         `json:"prompt_eval_count,omitempty"`
}

// EmbeddingRequest is the body of the legacy POST /api/embeddings.
type EmbeddingRequest struct {
	Model     string          `json:"model"`
	Prompt    string          `json:"prompt"`
	KeepAlive json.RawMessage `json:"keep_alive,omitempty"`
	Options   json.RawMessage `json:"options,omitempty"`
}

// EmbeddingResponse is the answer of the legacy POST /api/embeddings.
type EmbeddingResponse struct {
	Embedding []float64 `json:"embedding"`
}

// ModelRequest names a model: the body of /api/show, /api/delete and
// /api/pull ("name" is Ollama's deprecated spelling of "model").
type ModelRequest struct {
	Model    string `json:"model"`
	Name     string `json:"name"`
	Verbose  bool   `json:"verbose,omitempty"`
	Insecure bool   `json:"insecure,omitempty"`
	Stream   *bool  `json:"stream,omitempty"`
}

// CopyRequest is the body of POST /api/copy.
type CopyRequest struct {
	Source      string `json:"source"`
	Destination string `json:"destination"`
}

// CreateRequest is the body of POST /api/create (Ollama 0.5+: files by
// digest instead of a Modelfile).
type CreateRequest struct {
	Model      string            `json:"model"`
	Name       string            `json:"name,omitempty"` // deprecated spelling of model
	Stream     *bool             `json:"stream,omitempty"`
	Quantize   string            `json:"quantize,omitempty"`
	From       string            `json:"from,omitempty"`
	Files      map[string]string `json:"files,omitempty"`
	Adapters   map[string]string `json:"adapters,omitempty"`
	Template   string            `json:"template,omitempty"`
	License    any               `json:"license,omitempty"` // a string or a list of strings
	System     string            `json:"system,omitempty"`
	Parameters map[string]any    `json:"parameters,omitempty"`
	Messages   []json.RawMessage `json:"messages,omitempty"`
}

// toSDK converts the request; what Roundhouse cannot carry (messages) is
// refused rather than dropped.
func (c *CreateRequest) toSDK(name string) (*sdk.CreateRequest, error) {
	if name == "" {
		return nil, sdk.FieldError("model", "is required")
	}
	if len(c.Messages) > 0 {
		return nil, &sdk.Error{Code: sdk.CodeUnimplemented, Field: "messages", Message: "messages in a created model are not supported by Roundhouse"}
	}
	out := &sdk.CreateRequest{Model: name, From: c.From, Files: c.Files, Adapters: c.Adapters,
		Template: c.Template, System: c.System, Parameters: c.Parameters, Quantize: c.Quantize}
	switch l := c.License.(type) {
	case nil:
	case string:
		out.License = []string{l}
	case []any:
		for _, v := range l {
			s, ok := v.(string)
			if !ok {
				return nil, sdk.FieldError("license", "must be a string or a list of strings")
			}
			out.License = append(out.License, s)
		}
	default:
		return nil, sdk.FieldError("license", "must be a string or a list of strings")
	}
	if out.From == "" && len(out.Files) == 0 {
		return nil, sdk.FieldError("from", "or files is required: create a model from a base model or from uploaded blobs")
	}
	return out, nil
}

// ProgressResponse is one line of /api/pull.
type ProgressResponse struct {
	Status    string `json:"status"`
	Digest    string `json:"digest,omitempty"`
	Total     int64  `json:"total,omitempty"`
	Completed int64  `json:"completed,omitempty"`
}

// ModelDetails are the details of a listed model.
type ModelDetails struct {
	ParentModel       string   `json:"parent_model"`
	Format            string   `json:"format"`
	Family            string   `json:"family"`
	Families          []string `json:"families"`
	ParameterSize     string   `json:"parameter_size"`
	QuantizationLevel string   `json:"quantization_level"`
}

// ListResponse is the answer of GET /api/tags.
type ListResponse struct {
	Models []ListModel `json:"models"`
}

// ListModel is one model of /api/tags.
type ListModel struct {
	Name       string       `json:"name"`
	Model      string       `json:"model"`
	ModifiedAt time.Time    `json:"modified_at"`
	Size       int64        `json:"size"`
	Digest     string       `json:"digest"`
	Details    ModelDetails `json:"details"`
}

// ProcessResponse is the answer of GET /api/ps.
type ProcessResponse struct {
	Models []ProcessModel `json:"models"`
}

// ProcessModel is one running model of /api/ps.
type ProcessModel struct {
	Name          string       `json:"name"`
	Model         string       `json:"model"`
	Size          int64        `json:"size"`
	Digest        string       `json:"digest"`
	Details       ModelDetails `json:"details"`
	ExpiresAt     time.Time    `json:"expires_at"`
	SizeVRAM      int64        `json:"size_vram"`
	ContextLength int          `json:"context_length,omitempty"`
}

// ShowResponse is the answer of POST /api/show.
type ShowResponse struct {
	License      string         `json:"license,omitempty"`
	Modelfile    string         `json:"modelfile,omitempty"`
	Parameters   string         `json:"parameters,omitempty"`
	Template     string         `json:"template,omitempty"`
	System       string         `json:"system,omitempty"`
	Details      ModelDetails   `json:"details"`
	ModelInfo    map[string]any `json:"model_info"`
	Capabilities []string       `json:"capabilities,omitempty"`
	ModifiedAt   *time.Time     `json:"modified_at,omitempty"`
}

// VersionResponse is the answer of GET /api/version.
type VersionResponse struct {
	Version string `json:"version"`
}

// ErrorResponse is Ollama's error body.
type ErrorResponse struct {
	Error string `json:"error"`
}
