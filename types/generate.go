package types

// GenerateRequest asks for a plain completion of Prompt.
type GenerateRequest struct {
	Model  string `json:"model,omitempty"`
	Prompt string `json:"prompt"`
	System string `json:"system,omitempty"`
	// Suffix is the text after the insertion point (fill in the middle).
	Suffix  string   `json:"suffix,omitempty"`
	Images  [][]byte `json:"images,omitempty"`
	Options *Options `json:"options,omitempty"`
	// Raw sends the prompt without the model's template.
	Raw       bool           `json:"raw,omitempty"`
	Extra     map[string]any `json:"extra,omitempty"`
	Provider  string         `json:"provider,omitempty"`
	KeepAlive *float64       `json:"keep_alive,omitempty"`
}

// GenerateResponse is a whole completion.
type GenerateResponse struct {
	Model           string `json:"model"`
	Text            string `json:"text"`
	Thinking        string `json:"thinking,omitempty"`
	FinishReason    string `json:"finish_reason,omitempty"`
	Usage           *Usage `json:"usage,omitempty"`
	TotalDurationNS int64  `json:"total_duration_ns,omitempty"`
}

// GenerateChunk is one step of a streamed completion.
type GenerateChunk struct {
	Model        string `json:"model,omitempty"`
	Text         string `json:"text,omitempty"`
	Thinking     string `json:"thinking,omitempty"`
	Done         bool   `json:"done"`
	FinishReason string `json:"finish_reason,omitempty"`
	Usage        *Usage `json:"usage,omitempty"`
}
