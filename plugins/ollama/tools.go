package main

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"

	"github.com/ollama/ollama/api"

	"github.com/roundhouse-ai/roundhouse/sdk"
)

// mapTools converts tool declarations. Ollama types the JSON schema of the
// parameters; a round trip through JSON is the faithful way to fill it.
func mapTools(tools []sdk.Tool) (api.Tools, error) {
	if len(tools) == 0 {
		return nil, nil
	}
	out := make(api.Tools, 0, len(tools))
	for i, t := range tools {
		field := fmt.Sprintf("tools[%d]", i)
		if t.Type != "" && t.Type != "function" {
			return nil, sdk.FieldError(field+".type", "unknown tool type %q (want function)", t.Type)
		}
		if t.Name == "" {
			return nil, sdk.FieldError(field+".name", "required")
		}
		fn := api.ToolFunction{Name: t.Name, Description: t.Description}
		if len(t.Parameters) > 0 {
			b, err := json.Marshal(t.Parameters)
			if err == nil {
				err = json.Unmarshal(b, &fn.Parameters)
			}
			if err != nil {
				return nil, sdk.FieldError(field+".parameters", "is not a JSON schema Ollama understands: %v", err)
			}
		}
		if fn.Parameters.Type == "" {
			fn.Parameters.Type = "object"
		}
		if fn.Parameters.Properties == nil {
			fn.Parameters.Properties = api.NewToolPropertiesMap()
		}
		out = append(out, api.Tool{Type: "function", Function: fn})
	}
	return out, nil
}

// toOllamaToolCalls converts the tool calls of an assistant message being
// sent back to the model. Roundhouse carries arguments as JSON text, Ollama
// as an object.
func toOllamaToolCalls(calls []sdk.ToolCall, field string) ([]api.ToolCall, error) {
	if len(calls) == 0 {
		return nil, nil
	}
	out := make([]api.ToolCall, 0, len(calls))
	for j, c := range calls {
		f := fmt.Sprintf("%s.tool_calls[%d]", field, j)
		if c.Name == "" {
			return nil, sdk.FieldError(f+".name", "required")
		}
		args := api.NewToolCallFunctionArguments()
		if c.Arguments != "" {
			if err := json.Unmarshal([]byte(c.Arguments), &args); err != nil {
				return nil, sdk.FieldError(f+".arguments", "must be a JSON object: %v", err)
			}
		}
		out = append(out, api.ToolCall{
			ID:       c.ID,
			Function: api.ToolCallFunction{Index: c.Index, Name: c.Name, Arguments: args},
		})
	}
	return out, nil
}

// fromOllamaToolCalls converts the model's tool calls. Ollama does not
// always give an id; OpenAI-style clients need one to answer the call, so
// one is made up.
func fromOllamaToolCalls(calls []api.ToolCall) []sdk.ToolCall {
	if len(calls) == 0 {
		return nil
	}
	out := make([]sdk.ToolCall, 0, len(calls))
	for i, c := range calls {
		id := c.ID
		if id == "" {
			id = newCallID()
		}
		idx := c.Function.Index
		if idx == 0 {
			idx = i
		}
		out = append(out, sdk.ToolCall{
			ID:        id,
			Name:      c.Function.Name,
			Arguments: c.Function.Arguments.String(),
			Index:     idx,
		})
	}
	return out
}

func newCallID() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return "call_" + hex.EncodeToString(b[:])
}
