package ollama

import (
	"encoding/json"
	"reflect"
	"testing"

	"github.com/roundhouse-ai/roundhouse/sdk"
)

func ptr[T any](v T) *T { return &v }

func fieldOf(err error) string {
	if e := sdk.AsError(err); e != nil {
		return e.Field
	}
	return ""
}

func TestParseKeepAlive(t *testing.T) {
	tests := []struct {
		raw   string
		want  *float64
		field string
	}{
		{``, nil, ""}, {`null`, nil, ""},
		{`0`, ptr(0.0), ""}, {`"0"`, ptr(0.0), ""}, {`300`, ptr(300.0), ""},
		{`"5m"`, ptr(300.0), ""}, {`"1h30m"`, ptr(5400.0), ""}, {`"0s"`, ptr(0.0), ""},
		{`-1`, ptr(-1.0), ""}, {`"-1m"`, ptr(-1.0), ""}, {`-0.5`, ptr(-1.0), ""},
		{`"soon"`, nil, "keep_alive"}, {`true`, nil, "keep_alive"}, {`[1]`, nil, "keep_alive"},
	}
	for _, tt := range tests {
		got, err := ParseKeepAlive(json.RawMessage(tt.raw))
		if fieldOf(err) != tt.field || !reflect.DeepEqual(got, tt.want) {
			t.Errorf("ParseKeepAlive(%s) = %v, %v; want %v field %q", tt.raw, deref(got), err, deref(tt.want), tt.field)
		}
	}
}

func deref(f *float64) any {
	if f == nil {
		return nil
	}
	return *f
}

func TestParseThinkAndFormat(t *testing.T) {
	for raw, want := range map[string]string{``: "", `null`: "", `true`: "true", `false`: "false", `"low"`: "low", `"high"`: "high"} {
		if got, err := ParseThink(json.RawMessage(raw)); err != nil || got != want {
			t.Errorf("ParseThink(%s) = %q, %v", raw, got, err)
		}
	}
	for _, raw := range []string{`"max"`, `1`, `{}`} {
		if _, err := ParseThink(json.RawMessage(raw)); fieldOf(err) != "think" {
			t.Errorf("ParseThink(%s): %v", raw, err)
		}
	}
	formats := []struct {
		raw   string
		want  *sdk.ResponseFormat
		field string
	}{
		{``, nil, ""}, {`""`, nil, ""},
		{`"json"`, &sdk.ResponseFormat{Type: "json_object"}, ""},
		{`{"type":"object","properties":{"a":{"type":"string"}}}`, &sdk.ResponseFormat{Type: "json_schema", Name: "format",
			Schema: map[string]any{"type": "object", "properties": map[string]any{"a": map[string]any{"type": "string"}}}}, ""},
		{`"yaml"`, nil, "format"}, {`5`, nil, "format"},
	}
	for _, tt := range formats {
		got, err := ParseFormat(json.RawMessage(tt.raw))
		if fieldOf(err) != tt.field || !reflect.DeepEqual(got, tt.want) {
			t.Errorf("ParseFormat(%s) = %+v, %v", tt.raw, got, err)
		}
	}
}

func TestParseOptions(t *testing.T) {
	o, extra, err := ParseOptions(json.RawMessage(`{"temperature":0.7,"top_p":0.9,"top_k":40,"seed":42,"num_predict":128,
		"stop":["\n","user:"],"num_ctx":4096,"presence_penalty":1.5,"frequency_penalty":1,"min_p":0.05,"num_gpu":1,"mirostat":null}`))
	want := &sdk.Options{Temperature: ptr(0.7), TopP: ptr(0.9), TopK: ptr(40), Seed: ptr[int64](42), MaxTokens: ptr(128),
		Stop: []string{"\n", "user:"}, NumCtx: ptr(4096), PresencePenalty: ptr(1.5), FrequencyPenalty: ptr(1.0)}
	if err != nil || !reflect.DeepEqual(o, want) || !reflect.DeepEqual(extra, map[string]any{"min_p": 0.05, "num_gpu": 1.0}) {
		t.Fatalf("got %+v %v %v", o, extra, err)
	}
	// num_predict -1 (unlimited) and seed -1 (random) are Ollama defaults.
	if o, _, err := ParseOptions(json.RawMessage(`{"num_predict":-1,"seed":-1}`)); err != nil || o != nil {
		t.Fatalf("defaults: %+v %v", o, err)
	}
	for raw, field := range map[string]string{
		`{"temperature":"hot"}`: "options.temperature", `{"top_k":1.5}`: "options.top_k", `{"stop":[1]}`: "options.stop[0]",
		`{"stop":5}`: "options.stop", `[]`: "options", `{"num_ctx":true}`: "options.num_ctx",
	} {
		if _, _, err := ParseOptions(json.RawMessage(raw)); fieldOf(err) != field {
			t.Errorf("ParseOptions(%s): %v, want field %s", raw, err, field)
		}
	}
}

func TestChatRequestToSDK(t *testing.T) {
	tests := []struct {
		name  string
		body  string
		want  *sdk.ChatRequest
		field string
	}{
		{
			name: "full",
			body: `{"model":"llama3.2","messages":[{"role":"System","content":"s"},{"role":"user","content":"look","images":["aGk="]},
				{"role":"assistant","content":"","tool_calls":[{"function":{"name":"get_weather","arguments":{"city":"Tokyo"}}}]},
				{"role":"tool","content":"sunny","tool_name":"get_weather"}],
				"tools":[{"type":"function","function":{"name":"get_weather","description":"d","parameters":{"type":"object"}}}],
				"format":"json","think":"high","keep_alive":"10m","options":{"temperature":0.1,"repeat_penalty":1.1}}`,
			want: &sdk.ChatRequest{Model: "llama3.2", KeepAlive: ptr(600.0),
				Messages: []sdk.Message{{Role: "system", Content: "s"}, {Role: "user", Content: "look", Images: [][]byte{[]byte("hi")}},
					{Role: "assistant", ToolCalls: []sdk.ToolCall{{Name: "get_weather", Arguments: `{"city":"Tokyo"}`}}},
					{Role: "tool", Content: "sunny", Name: "get_weather"}},
				Tools:   []sdk.Tool{{Type: "function", Name: "get_weather", Description: "d", Parameters: map[string]any{"type": "object"}}},
				Options: &sdk.Options{Temperature: ptr(0.1), ResponseFormat: &sdk.ResponseFormat{Type: "json_object"}, Think: "high"},
				Extra:   map[string]any{"options": map[string]any{"repeat_penalty": 1.1}}},
		},
		{
			name: "empty messages (load)",
			body: `{"model":"m","messages":[],"keep_alive":0}`,
			want: &sdk.ChatRequest{Model: "m", Messages: []sdk.Message{}, KeepAlive: ptr(0.0)},
		},
		{name: "role", body: `{"messages":[{"role":"bot","content":"x"}]}`, field: "messages[0].role"},
		{name: "image", body: `{"messages":[{"role":"user","content":"x","images":["!!"]}]}`, field: "messages[0].images[0]"},
		{name: "tool args", body: `{"messages":[{"role":"assistant","tool_calls":[{"function":{"name":"f","arguments":[1]}}]}]}`, field: "messages[0].tool_calls[0].function.arguments"},
		{name: "tool name", body: `{"messages":[{"role":"assistant","tool_calls":[{"function":{"arguments":{}}}]}]}`, field: "messages[0].tool_calls[0].function.name"},
		{name: "tools", body: `{"messages":[],"tools":[{"type":"function","function":{}}]}`, field: "tools[0].function.name"},
		{name: "think", body: `{"messages":[],"think":"very"}`, field: "think"},
		{name: "keep_alive", body: `{"messages":[],"keep_alive":"later"}`, field: "keep_alive"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var req ChatRequest
			if err := json.Unmarshal([]byte(tt.body), &req); err != nil {
				t.Fatal(err)
			}
			got, err := ChatRequestToSDK(&req)
			if tt.field != "" {
				if fieldOf(err) != tt.field {
					t.Fatalf("error %v, want field %q", err, tt.field)
				}
				return
			}
			if err != nil || !reflect.DeepEqual(got, tt.want) {
				gj, _ := json.Marshal(got)
				wj, _ := json.Marshal(tt.want)
				t.Fatalf("got  %s %v\nwant %s", gj, err, wj)
			}
		})
	}
}

func TestGenerateAndEmbedRequestToSDK(t *testing.T) {
	var g GenerateRequest
	_ = json.Unmarshal([]byte(`{"model":"m","prompt":"p","suffix":"s","system":"sys","template":"{{.Prompt}}","raw":true,
		"images":["aGk="],"options":{"num_predict":5},"format":{"type":"object"},"think":false,"keep_alive":-1}`), &g)
	got, err := GenerateRequestToSDK(&g)
	want := &sdk.GenerateRequest{Model: "m", Prompt: "p", Suffix: "s", System: "sys", Raw: true, Images: [][]byte{[]byte("hi")},
		Options:   &sdk.Options{MaxTokens: ptr(5), Think: "false", ResponseFormat: &sdk.ResponseFormat{Type: "json_schema", Name: "format", Schema: map[string]any{"type": "object"}}},
		KeepAlive: ptr(-1.0), Extra: map[string]any{"template": "{{.Prompt}}"}}
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Fatalf("generate: %+v %v", got, err)
	}
	embeds := []struct {
		body  string
		want  *sdk.EmbedRequest
		field string
	}{
		{`{"model":"e","input":"a"}`, &sdk.EmbedRequest{Model: "e", Input: []string{"a"}, Truncate: true}, ""},
		{`{"model":"e","input":["a","b"],"truncate":false,"dimensions":8}`, &sdk.EmbedRequest{Model: "e", Input: []string{"a", "b"}, Dimensions: 8}, ""},
		{`{"model":"e","input":""}`, &sdk.EmbedRequest{Model: "e", Truncate: true}, ""},
		{`{"model":"e"}`, &sdk.EmbedRequest{Model: "e", Truncate: true}, ""},
		{`{"input":5}`, nil, "input"},
		{`{"input":["a",""]}`, nil, "input[1]"},
		{`{"input":"a","dimensions":-1}`, nil, "dimensions"},
		{`{"input":"a","keep_alive":"x"}`, nil, "keep_alive"},
	}
	for _, tt := range embeds {
		var e EmbedRequest
		_ = json.Unmarshal([]byte(tt.body), &e)
		got, err := EmbedRequestToSDK(&e)
		if fieldOf(err) != tt.field || (tt.field == "" && !reflect.DeepEqual(got, tt.want)) {
			t.Errorf("embed %s: %+v %v", tt.body, got, err)
		}
	}
}
