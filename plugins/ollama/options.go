package main

import (
	"encoding/json"
	"maps"
	"math"
	"time"

	"github.com/ollama/ollama/api"

	"github.com/roundhouse-ai/roundhouse/sdk"
)

// generation is what sdk.Options become on an Ollama request: the
// free-form options map plus the three top-level fields Ollama keeps
// outside it.
type generation struct {
	options map[string]any
	format  json.RawMessage
	think   *api.ThinkValue
}

// mapOptions turns Roundhouse options into Ollama's. extra["options"], when
// it is an object, passes engine-specific options through untouched
// (num_gpu, repeat_penalty, min_p...); the typed fields win over it. Bad
// values are reported with the request field at fault rather than left for
// Ollama to reject with a less precise message.
func mapOptions(o *sdk.Options, extra map[string]any) (generation, error) {
	var g generation
	opts := map[string]any{}
	if raw, ok := extra["options"]; ok && raw != nil {
		m, ok := raw.(map[string]any)
		if !ok {
			return g, sdk.FieldError("extra.options", "must be an object of Ollama options, such as {\"num_gpu\": 0}")
		}
		maps.Copy(opts, m)
	}
	if o != nil {
		if v := o.Temperature; v != nil {
			if *v < 0 || math.IsNaN(*v) {
				return g, sdk.FieldError("options.temperature", "must be >= 0, got %v", *v)
			}
			opts["temperature"] = *v
		}
		if v := o.TopP; v != nil {
			if *v < 0 || *v > 1 || math.IsNaN(*v) {
				return g, sdk.FieldError("options.top_p", "must be between 0 and 1, got %v", *v)
			}
			opts["top_p"] = *v
		}
		if v := o.TopK; v != nil {
			if *v < 0 {
				return g, sdk.FieldError("options.top_k", "must be >= 0, got %d", *v)
			}
			opts["top_k"] = *v
		}
		if v := o.MaxTokens; v != nil {
			if *v < 1 {
				return g, sdk.FieldError("options.max_tokens", "must be >= 1, got %d (leave it out for no limit)", *v)
			}
			opts["num_predict"] = *v
		}
		if v := o.Seed; v != nil {
			opts["seed"] = *v
		}
		if len(o.Stop) > 0 {
			opts["stop"] = o.Stop
		}
		if v := o.NumCtx; v != nil {
			if *v < 1 {
				return g, sdk.FieldError("options.num_ctx", "must be >= 1, got %d", *v)
			}
			opts["num_ctx"] = *v
		}
		if v := o.PresencePenalty; v != nil {
			opts["presence_penalty"] = *v
		}
		if v := o.FrequencyPenalty; v != nil {
			opts["frequency_penalty"] = *v
		}
		var err error
		if g.format, err = mapResponseFormat(o.ResponseFormat); err != nil {
			return g, err
		}
		if g.think, err = mapThink(o.Think); err != nil {
			return g, err
		}
	}
	if len(opts) > 0 {
		g.options = opts
	}
	return g, nil
}

// mapResponseFormat: json_object is Ollama's format "json"; json_schema
// sends the schema itself as format, which Ollama enforces by grammar.
func mapResponseFormat(rf *sdk.ResponseFormat) (json.RawMessage, error) {
	if rf == nil {
		return nil, nil
	}
	switch rf.Type {
	case "", "text":
		return nil, nil
	case "json_object":
		return json.RawMessage(`"json"`), nil
	case "json_schema":
		if len(rf.Schema) == 0 {
			return nil, sdk.FieldError("options.response_format.schema", "required when type is json_schema")
		}
		b, err := json.Marshal(rf.Schema)
		if err != nil {
			return nil, sdk.FieldError("options.response_format.schema", "is not valid JSON: %v", err)
		}
		return b, nil
	default:
		return nil, sdk.FieldError("options.response_format.type", "unknown value %q (want text, json_object or json_schema)", rf.Type)
	}
}

// mapThink: Ollama takes a boolean, or a level for models that have them.
func mapThink(s string) (*api.ThinkValue, error) {
	switch s {
	case "":
		return nil, nil
	case "true":
		return &api.ThinkValue{Value: true}, nil
	case "false":
		return &api.ThinkValue{Value: false}, nil
	case "low", "medium", "high":
		return &api.ThinkValue{Value: s}, nil
	default:
		return nil, sdk.FieldError("options.think", "unknown value %q (want true, false, low, medium or high)", s)
	}
}

// mapKeepAlive converts Roundhouse's seconds (nil = engine default, 0 =
// unload now, < 0 = forever) to Ollama's duration, which encodes "forever"
// as any negative number.
func mapKeepAlive(seconds *float64) *api.Duration {
	if seconds == nil {
		return nil
	}
	s := *seconds
	switch {
	case s < 0:
		return &api.Duration{Duration: -1}
	case s > math.MaxInt64/float64(time.Second):
		return &api.Duration{Duration: -1}
	default:
		return &api.Duration{Duration: time.Duration(s * float64(time.Second))}
	}
}

// usage converts Ollama's token counts; nil when Ollama reported none.
func usage(m api.Metrics) *sdk.Usage {
	if m.PromptEvalCount == 0 && m.EvalCount == 0 {
		return nil
	}
	return &sdk.Usage{
		PromptTokens:     m.PromptEvalCount,
		CompletionTokens: m.EvalCount,
		TotalTokens:      m.PromptEvalCount + m.EvalCount,
	}
}

// finishReason maps Ollama's done_reason to OpenAI's vocabulary, which is
// what Roundhouse clients expect.
func finishReason(doneReason string, toolCalls bool) string {
	if toolCalls {
		return "tool_calls"
	}
	switch doneReason {
	case "length":
		return "length"
	default:
		return "stop"
	}
}
