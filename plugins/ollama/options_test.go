package main

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"github.com/ollama/ollama/api"

	"github.com/roundhouse-ai/roundhouse/sdk"
)

func ptr[T any](v T) *T { return &v }

func TestMapOptions(t *testing.T) {
	tests := []struct {
		name   string
		in     *sdk.Options
		extra  map[string]any
		opts   map[string]any
		format string
		think  any
		field  string // expected error field; "" = success
	}{
		{name: "nil", in: nil, opts: nil},
		{name: "empty", in: &sdk.Options{}, opts: nil},
		{
			name: "all sampling options",
			in: &sdk.Options{
				Temperature: ptr(0.7), TopP: ptr(0.9), TopK: ptr(40), Seed: ptr(int64(42)),
				MaxTokens: ptr(128), Stop: []string{"\n\n", "END"}, NumCtx: ptr(4096),
				PresencePenalty: ptr(0.5), FrequencyPenalty: ptr(0.25),
			},
			opts: map[string]any{
				"temperature": 0.7, "top_p": 0.9, "top_k": 40, "seed": int64(42),
				"num_predict": 128, "stop": []string{"\n\n", "END"}, "num_ctx": 4096,
				"presence_penalty": 0.5, "frequency_penalty": 0.25,
			},
		},
		{
			name:  "extra options pass through, typed fields win",
			in:    &sdk.Options{Temperature: ptr(0.1)},
			extra: map[string]any{"options": map[string]any{"num_gpu": 0.0, "temperature": 2.0}},
			opts:  map[string]any{"num_gpu": 0.0, "temperature": 0.1},
		},
		{name: "json_object", in: &sdk.Options{ResponseFormat: &sdk.ResponseFormat{Type: "json_object"}}, format: `"json"`},
		{name: "text format", in: &sdk.Options{ResponseFormat: &sdk.ResponseFormat{Type: "text"}}},
		{
			name:   "json_schema",
			in:     &sdk.Options{ResponseFormat: &sdk.ResponseFormat{Type: "json_schema", Schema: map[string]any{"type": "object"}}},
			format: `{"type":"object"}`,
		},
		{name: "think true", in: &sdk.Options{Think: "true"}, think: true},
		{name: "think false", in: &sdk.Options{Think: "false"}, think: false},
		{name: "think level", in: &sdk.Options{Think: "high"}, think: "high"},

		{name: "negative temperature", in: &sdk.Options{Temperature: ptr(-1.0)}, field: "options.temperature"},
		{name: "top_p above 1", in: &sdk.Options{TopP: ptr(1.5)}, field: "options.top_p"},
		{name: "negative top_k", in: &sdk.Options{TopK: ptr(-1)}, field: "options.top_k"},
		{name: "zero max_tokens", in: &sdk.Options{MaxTokens: ptr(0)}, field: "options.max_tokens"},
		{name: "zero num_ctx", in: &sdk.Options{NumCtx: ptr(0)}, field: "options.num_ctx"},
		{name: "schema missing", in: &sdk.Options{ResponseFormat: &sdk.ResponseFormat{Type: "json_schema"}}, field: "options.response_format.schema"},
		{name: "unknown format", in: &sdk.Options{ResponseFormat: &sdk.ResponseFormat{Type: "xml"}}, field: "options.response_format.type"},
		{name: "unknown think", in: &sdk.Options{Think: "maybe"}, field: "options.think"},
		{name: "extra options not an object", extra: map[string]any{"options": "fast"}, field: "extra.options"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			g, err := mapOptions(tc.in, tc.extra)
			if tc.field != "" {
				e := sdk.AsError(err)
				if e == nil || e.Code != sdk.CodeInvalidArgument || e.Field != tc.field {
					t.Fatalf("err = %#v, want invalid_argument on %s", e, tc.field)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(g.options, tc.opts) {
				t.Errorf("options = %#v, want %#v", g.options, tc.opts)
			}
			if string(g.format) != tc.format {
				t.Errorf("format = %s, want %s", g.format, tc.format)
			}
			var think any
			if g.think != nil {
				think = g.think.Value
			}
			if think != tc.think {
				t.Errorf("think = %v, want %v", think, tc.think)
			}
		})
	}
}

// The options must survive Ollama's own decoding: what we send is what it
// applies.
func TestMapOptionsOllamaDecodes(t *testing.T) {
	g, err := mapOptions(&sdk.Options{Temperature: ptr(0.5), TopK: ptr(7), MaxTokens: ptr(9), Seed: ptr(int64(3)), Stop: []string{"x"}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(g.options)
	var m map[string]any
	_ = json.Unmarshal(b, &m)
	var o api.Options
	if err := o.FromMap(m); err != nil {
		t.Fatal(err)
	}
	if o.Temperature != 0.5 || o.TopK != 7 || o.NumPredict != 9 || o.Seed != 3 || len(o.Stop) != 1 {
		t.Fatalf("decoded %+v", o)
	}
}

func TestMapKeepAlive(t *testing.T) {
	tests := []struct {
		in   *float64
		want string // JSON as sent to Ollama; "" = field omitted
	}{
		{nil, ""},
		{ptr(0.0), `"0s"`},
		{ptr(90.0), `"1m30s"`},
		{ptr(-1.0), `-1`},
		{ptr(1e300), `-1`},
	}
	for _, tc := range tests {
		d := mapKeepAlive(tc.in)
		got := ""
		if d != nil {
			b, _ := json.Marshal(d)
			got = string(b)
		}
		if got != tc.want {
			t.Errorf("mapKeepAlive(%v) = %s, want %s", tc.in, got, tc.want)
		}
	}
	// Ollama reads "-1" as forever.
	var d api.Duration
	_ = json.Unmarshal([]byte(`-1`), &d)
	if d.Duration < 100*365*24*time.Hour {
		t.Errorf("Ollama decodes -1 as %v, not forever", d.Duration)
	}
}

func TestFinishReasonAndUsage(t *testing.T) {
	if got := finishReason("stop", false); got != "stop" {
		t.Error(got)
	}
	if got := finishReason("length", false); got != "length" {
		t.Error(got)
	}
	if got := finishReason("stop", true); got != "tool_calls" {
		t.Error(got)
	}
	if got := finishReason("", false); got != "stop" {
		t.Error(got)
	}
	if u := usage(api.Metrics{}); u != nil {
		t.Errorf("usage of nothing = %+v", u)
	}
	if u := usage(api.Metrics{PromptEvalCount: 3, EvalCount: 5}); *u != (sdk.Usage{PromptTokens: 3, CompletionTokens: 5, TotalTokens: 8}) {
		t.Errorf("usage = %+v", u)
	}
}

func TestTools(t *testing.T) {
	tools, err := mapTools([]sdk.Tool{{
		Type: "function", Name: "get_weather", Description: "weather for a city",
		Parameters: map[string]any{
			"type":       "object",
			"properties": map[string]any{"city": map[string]any{"type": "string", "description": "city name"}},
			"required":   []any{"city"},
		},
	}, {Name: "noargs"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(tools) != 2 || tools[0].Function.Name != "get_weather" || tools[0].Type != "function" {
		t.Fatalf("tools = %v", tools)
	}
	city, ok := tools[0].Function.Parameters.Properties.Get("city")
	if !ok || city.Type.String() != "string" || city.Description != "city name" {
		t.Errorf("city property = %+v", city)
	}
	if got := tools[0].Function.Parameters.Required; len(got) != 1 || got[0] != "city" {
		t.Errorf("required = %v", got)
	}
	if b, _ := json.Marshal(tools[1].Function.Parameters); string(b) != `{"type":"object","properties":{}}` {
		t.Errorf("parameters of a tool without any = %s", b)
	}
	if _, err := mapTools([]sdk.Tool{{Type: "retrieval", Name: "x"}}); sdk.AsError(err).Field != "tools[0].type" {
		t.Errorf("bad tool type: %v", err)
	}
	if _, err := mapTools([]sdk.Tool{{}}); sdk.AsError(err).Field != "tools[0].name" {
		t.Errorf("nameless tool: %v", err)
	}

	// Arguments: JSON text to Ollama's object and back, order kept.
	calls, err := toOllamaToolCalls([]sdk.ToolCall{{ID: "call_1", Name: "get_weather", Arguments: `{"city":"Paris","days":2}`}}, "messages[1]")
	if err != nil {
		t.Fatal(err)
	}
	v, _ := calls[0].Function.Arguments.Get("city")
	if v != "Paris" || calls[0].ID != "call_1" {
		t.Errorf("converted call = %+v", calls[0])
	}
	back := fromOllamaToolCalls(calls)
	if back[0].Arguments != `{"city":"Paris","days":2}` || back[0].ID != "call_1" || back[0].Name != "get_weather" {
		t.Errorf("round trip = %+v", back[0])
	}
	if _, err := toOllamaToolCalls([]sdk.ToolCall{{Name: "f", Arguments: `[1,2]`}}, "messages[1]"); sdk.AsError(err).Field != "messages[1].tool_calls[0].arguments" {
		t.Errorf("non-object arguments: %v", err)
	}
	// Ollama gave no id: one is made up, since OpenAI clients answer by id.
	if got := fromOllamaToolCalls([]api.ToolCall{{Function: api.ToolCallFunction{Name: "f"}}}); got[0].ID == "" || got[0].Arguments != "{}" {
		t.Errorf("call without id = %+v", got[0])
	}
}
