// Package anthropic serves Roundhouse in the Anthropic Messages API
// dialect: POST /v1/messages, whole or streamed as named SSE events.
// Requests are translated into sdk types and sent to a backend.Backend.
package anthropic

import "encoding/json"

// MessagesRequest is the body of POST /v1/messages.
type MessagesRequest struct {
	Model         string          `json:"model"`
	MaxTokens     *int            `json:"max_tokens"`
	System        json.RawMessage `json:"system,omitempty"`
	Messages      []InputMessage  `json:"messages"`
	Tools         []Tool          `json:"tools,omitempty"`
	ToolChoice    *ToolChoice     `json:"tool_choice,omitempty"`
	StopSequences []string        `json:"stop_sequences,omitempty"`
	Stream        bool            `json:"stream,omitempty"`
	Temperature   *float64        `json:"temperature,omitempty"`
	TopP          *float64        `json:"top_p,omitempty"`
	TopK          *int            `json:"top_k,omitempty"`
	Thinking      *Thinking       `json:"thinking,omitempty"`
	Metadata      json.RawMessage `json:"metadata,omitempty"`
}

// InputMessage is one turn; Content is a string or an array of blocks.
type InputMessage struct {
	Role    string          `json:"role"`
	Content json.RawMessage `json:"content"`
}

// ContentBlock is a request or response content block. Which fields are
// set depends on Type: text, image, tool_use, tool_result, thinking.
type ContentBlock struct {
	Type string `json:"type"`
	// text
	Text *string `json:"text,omitempty"`
	// image
	Source *ImageSource `json:"source,omitempty"`
	// tool_use
	ID    string          `json:"id,omitempty"`
	Name  string          `json:"name,omitempty"`
	Input json.RawMessage `json:"input,omitempty"`
	// tool_result
	ToolUseID string          `json:"tool_use_id,omitempty"`
	Content   json.RawMessage `json:"content,omitempty"`
	IsError   bool            `json:"is_error,omitempty"`
	// thinking
	Thinking  *string `json:"thinking,omitempty"`
	Signature *string `json:"signature,omitempty"`
}

// ImageSource is an image block's data.
type ImageSource struct {
	Type      string `json:"type"`
	MediaType string `json:"media_type,omitempty"`
	Data      string `json:"data,omitempty"`
	URL       string `json:"url,omitempty"`
}

// Tool declares a client tool.
type Tool struct {
	Type        string         `json:"type,omitempty"`
	Name        string         `json:"name"`
	Description string         `json:"description,omitempty"`
	InputSchema map[string]any `json:"input_schema"`
}

// ToolChoice says how the model may use tools: auto, any, tool, none.
type ToolChoice struct {
	Type                   string `json:"type"`
	Name                   string `json:"name,omitempty"`
	DisableParallelToolUse bool   `json:"disable_parallel_tool_use,omitempty"`
}

// Thinking turns extended thinking on ("enabled" with a budget,
// "adaptive") or off ("disabled").
type Thinking struct {
	Type         string `json:"type"`
	BudgetTokens int    `json:"budget_tokens,omitempty"`
}

// Message is a whole answer, and the message of message_start.
type Message struct {
	ID           string         `json:"id"`
	Type         string         `json:"type"`
	Role         string         `json:"role"`
	Content      []ContentBlock `json:"content"`
	Model        string         `json:"model"`
	StopReason   *string        `json:"stop_reason"`
	StopSequence *string        `json:"stop_sequence"`
	Usage        Usage          `json:"usage"`
}

// Usage counts tokens.
type Usage struct {
	InputTokens  int `json:"input_tokens"`
	OutputTokens int `json:"output_tokens"`
}

// --- stream events ---

// MessageStartEvent opens a stream.
type MessageStartEvent struct {
	Type    string  `json:"type"` // message_start
	Message Message `json:"message"`
}

// ContentBlockStartEvent opens a content block.
type ContentBlockStartEvent struct {
	Type         string       `json:"type"` // content_block_start
	Index        int          `json:"index"`
	ContentBlock ContentBlock `json:"content_block"`
}

// ContentBlockDeltaEvent adds to the open content block.
type ContentBlockDeltaEvent struct {
	Type  string     `json:"type"` // content_block_delta
	Index int        `json:"index"`
	Delta BlockDelta `json:"delta"`
}

// BlockDelta is a text_delta, input_json_delta, thinking_delta or
// signature_delta.
type BlockDelta struct {
	Type        string  `json:"type"`
	Text        *string `json:"text,omitempty"`
	PartialJSON *string `json:"partial_json,omitempty"`
	Thinking    *string `json:"thinking,omitempty"`
	Signature   *string `json:"signature,omitempty"`
}

// ContentBlockStopEvent closes a content block.
type ContentBlockStopEvent struct {
	Type  string `json:"type"` // content_block_stop
	Index int    `json:"index"`
}

// MessageDeltaEvent carries the stop reason and final usage.
type MessageDeltaEvent struct {
	Type  string       `json:"type"` // message_delta
	Delta MessageDelta `json:"delta"`
	Usage DeltaUsage   `json:"usage"`
}

// MessageDelta is the top-level change of message_delta.
type MessageDelta struct {
	StopReason   *string `json:"stop_reason"`
	StopSequence *string `json:"stop_sequence"`
}

// DeltaUsage is message_delta's cumulative usage.
type DeltaUsage struct {
	InputTokens  *int `json:"input_tokens,omitempty"`
	OutputTokens int  `json:"output_tokens"`
}

// TypeOnly is an event with nothing but its type (ping, message_stop).
type TypeOnly struct {
	Type string `json:"type"`
}

// Event is one named SSE event.
type Event struct {
	Name string
	Data any
}

// ErrorResponse is Anthropic's error body, also the data of a mid-stream
// error event.
type ErrorResponse struct {
	Type  string    `json:"type"` // error
	Error ErrorBody `json:"error"`
}

// ErrorBody names the error type and says what went wrong.
type ErrorBody struct {
	Type    string `json:"type"`
	Message string `json:"message"`
}
