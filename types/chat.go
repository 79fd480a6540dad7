package types

// ChatRequest asks a model to continue a conversation. It is also the JSON
// body of the host's native POST /v1/services/chat.
type ChatRequest struct {
	Model    string         `json:"model,omitempty"`
	Messages []Message      `json:"messages"`
	Tools    []Tool         `json:"tools,omitempty"`
	Options  *Options       `json:"options,omitempty"`
	Extra    map[string]any `json:"extra,omitempty"`
	// Provider pins a provider instance inside a remote plugin.
	Provider string `json:"provider,omitempty"`
	// KeepAlive is how long a local engine keeps the model loaded after the
	// call, in seconds: nil = engine default, 0 = unload now, <0 = forever.
	KeepAlive *float64 `json:"keep_alive,omitempty"`
	// ToolChoice constrains tool use; nil lets the model decide.
	ToolChoice *ToolChoice `json:"tool_choice,omitempty"`
	// ParallelToolCalls allows several tool calls in one turn; nil = the
	// provider's default.
	ParallelToolCalls *bool `json:"parallel_tool_calls,omitempty"`
}

// Tool choice modes.
const (
	ToolChoiceAuto     = "auto"     // the model decides
	ToolChoiceNone     = "none"     // no tool call
	ToolChoiceRequired = "required" // some tool must be called
	ToolChoiceFunction = "function" // the tool named in Name must be called
)

// ToolChoice says whether and which tool the model must call.
type ToolChoice struct {
	Mode string `json:"mode"`
	Name string `json:"name,omitempty"`
}

// Message is one turn of a conversation.
type Message struct {
	// Role is "system", "user", "assistant" or "tool".
	Role    string `json:"role"`
	Content string `json:"content"`
	// Images are raw image bytes for vision models (base64 in JSON).
	Images    [][]byte   `json:"images,omitempty"`
	ToolCalls []ToolCall `json:"tool_calls,omitempty"`
	// ToolCallID names the call a role "tool" message answers.
	ToolCallID string `json:"tool_call_id,omitempty"`
	Name       string `json:"name,omitempty"`
	// Thinking is the reasoning text of thinking models.
	Thinking string `json:"thinking,omitempty"`
}

// Tool is a function the model may call.
type Tool struct {
	// Type is "function".
	Type        string         `json:"type,omitempty"`
	Name        string         `json:"name"`
	Description string         `json:"description,omitempty"`
	Parameters  map[string]any `json:"parameters,omitempty"`
}

// ToolCall is the model's request to call a tool. In a Message it is a
// whole call; in a ChatChunk it may be a fragment of one (see ChatChunk).
type ToolCall struct {
	ID   string `json:"id,omitempty"`
	Name string `json:"name"`
	// Arguments is the JSON text of the arguments, as the model wrote it
	// (in a fragment, the next piece of that text).
	Arguments string `json:"arguments"`
	// Index keys the fragments of one call in a stream; in a Message it is
	// the call's position.
	Index int `json:"index,omitempty"`
}

// Options tune generation. Nil pointers mean "engine default".
type Options struct {
	Temperature    *float64        `json:"temperature,omitempty"`
	TopP           *float64        `json:"top_p,omitempty"`
	TopK           *int            `json:"top_k,omitempty"`
	MaxTokens      *int            `json:"max_tokens,omitempty"`
	Stop           []string        `json:"stop,omitempty"`
	Seed           *int64          `json:"seed,omitempty"`
	ResponseFormat *ResponseFormat `json:"response_format,omitempty"`
	// Think: "" (model default), "true", "false", "low", "medium", "high".
	Think            string   `json:"think,omitempty"`
	NumCtx           *int     `json:"num_ctx,omitempty"`
	PresencePenalty  *float64 `json:"presence_penalty,omitempty"`
	FrequencyPenalty *float64 `json:"frequency_penalty,omitempty"`
}

// ResponseFormat constrains the output: "text", "json_object" or
// "json_schema" (with Schema).
type ResponseFormat struct {
	Type   string         `json:"type"`
	Schema map[string]any `json:"schema,omitempty"`
	Name   string         `json:"name,omitempty"`
	Strict bool           `json:"strict,omitempty"`
}

// Usage counts tokens.
type Usage struct {
	PromptTokens     int `json:"prompt_tokens"`
	CompletionTokens int `json:"completion_tokens"`
	TotalTokens      int `json:"total_tokens"`
}

// ChatResponse is a whole answer.
type ChatResponse struct {
	Model   string  `json:"model"`
	Message Message `json:"message"`
	// FinishReason is "stop", "length", "tool_calls" or "content_filter".
	FinishReason string `json:"finish_reason,omitempty"`
	Usage        *Usage `json:"usage,omitempty"`
	// TotalDurationNS is the time the engine spent, when it says.
	TotalDurationNS int64 `json:"total_duration_ns,omitempty"`
}

// ChatChunk is one step of a streamed answer; the last has Done set and
// carries FinishReason and Usage.
//
// ToolCalls are fragments keyed by ToolCall.Index: a call may travel whole
// in one fragment, or as a first fragment with ID and Name followed by
// fragments at the same Index carrying only the next piece of Arguments
// (they may repeat the ID, never the Name). At an Index already in use, a
// Name, or an ID different from the call's, starts a new call, so whole
// calls may all use Index 0. ToolCallAccumulator assembles them; the
// assembled Arguments must be a JSON object.
type ChatChunk struct {
	Model        string     `json:"model,omitempty"`
	Role         string     `json:"role,omitempty"`
	Content      string     `json:"content,omitempty"`
	Thinking     string     `json:"thinking,omitempty"`
	ToolCalls    []ToolCall `json:"tool_calls,omitempty"`
	Done         bool       `json:"done"`
	FinishReason string     `json:"finish_reason,omitempty"`
	Usage        *Usage     `json:"usage,omitempty"`
}
