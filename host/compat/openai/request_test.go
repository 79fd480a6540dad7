package openai

import (
	"encoding/json"
	"reflect"
	"testing"

	"github.com/roundhouse-ai/roundhouse/sdk"
)

func ptr[T any](v T) *T { return &v }

// fieldOf returns the field an sdk error names ("" for other errors).
func fieldOf(err error) string {
	if e := sdk.AsError(err); e != nil {
		return e.Field
	}
	return ""
}

func TestChatRequestToSDK(t *testing.T) {
	png := []byte("\x89PNG")
	tests := []struct {
		name  string
		body  string
		want  *sdk.ChatRequest
		field string // expected error field, "" for success
	}{
		{
			name: "minimal",
			body: `{"model":"llama3.2","messages":[{"role":"user","content":"hi"}]}`,
			want: &sdk.ChatRequest{Model: "llama3.2", Messages: []sdk.Message{{Role: "user", Content: "hi"}}},
		},
		{
			name: "empty model passes through",
			body: `{"messages":[{"role":"user","content":"hi"}]}`,
			want: &sdk.ChatRequest{Messages: []sdk.Message{{Role: "user", Content: "hi"}}},
		},
		{
			name: "developer is system, parts join, data url image",
			body: `{"model":"m","messages":[{"role":"developer","content":[{"type":"text","text":"be brief"}]},
				{"role":"user","content":[{"type":"text","text":"what"},{"type":"text","text":"is this"},
				{"type":"image_url","image_url":{"url":"data:image/png;base64,iVBORw=="}}]}]}`,
			want: &sdk.ChatRequest{Model: "m", Messages: []sdk.Message{
				{Role: "system", Content: "be brief"},
				{Role: "user", Content: "what\nis this", Images: [][]byte{png}}}},
		},
		{
			name: "assistant tool calls, null content, tool answer",
			body: `{"model":"m","messages":[{"role":"user","content":"weather?"},
				{"role":"assistant","content":null,"tool_calls":[{"id":"call_1","type":"function","function":{"name":"get_weather","arguments":"{\"city\":\"Paris\"}"}}]},
				{"role":"tool","tool_call_id":"call_1","content":"sunny"}],
				"tools":[{"type":"function","function":{"name":"get_weather","description":"d","parameters":{"type":"object"}}}],
				"tool_choice":{"type":"function","function":{"name":"get_weather"}},"parallel_tool_calls":false}`,
			want: &sdk.ChatRequest{Model: "m", Messages: []sdk.Message{
				{Role: "user", Content: "weather?"},
				{Role: "assistant", ToolCalls: []sdk.ToolCall{{ID: "call_1", Name: "get_weather", Arguments: `{"city":"Paris"}`}}},
				{Role: "tool", ToolCallID: "call_1", Content: "sunny"}},
				Tools:      []sdk.Tool{{Type: "function", Name: "get_weather", Description: "d", Parameters: map[string]any{"type": "object"}}},
				ToolChoice: &sdk.ToolChoice{Mode: sdk.ToolChoiceFunction, Name: "get_weather"}, ParallelToolCalls: ptr(false)},
		},
		{
			name: "tool_choice none offers no tools",
			body: `{"model":"m","messages":[{"role":"user","content":"x"}],"tool_choice":"none",
				"tools":[{"type":"function","function":{"name":"f"}}]}`,
			want: &sdk.ChatRequest{Model: "m", Messages: []sdk.Message{{Role: "user", Content: "x"}}},
		},
		{
			name: "tool_choice required",
			body: `{"model":"m","messages":[{"role":"user","content":"x"}],"tool_choice":"required",
				"tools":[{"type":"function","function":{"name":"f"}}]}`,
			want: &sdk.ChatRequest{Model: "m", Messages: []sdk.Message{{Role: "user", Content: "x"}},
				Tools: []sdk.Tool{{Type: "function", Name: "f"}}, ToolChoice: &sdk.ToolChoice{Mode: sdk.ToolChoiceRequired}},
		},
		{
			name: "sampling options, max_completion_tokens wins, stop string, json_schema, effort",
			body: `{"model":"m","messages":[{"role":"user","content":"x"}],"temperature":0.2,"top_p":0.9,"seed":7,
				"presence_penalty":1,"frequency_penalty":-1,"max_tokens":5,"max_completion_tokens":9,"stop":"END",
				"response_format":{"type":"json_schema","json_schema":{"name":"s","schema":{"type":"object"},"strict":true}},
				"reasoning_effort":"minimal","n":1}`,
			want: &sdk.ChatRequest{Model: "m", Messages: []sdk.Message{{Role: "user", Content: "x"}},
				Options: &sdk.Options{Temperature: ptr(0.2), TopP: ptr(0.9), Seed: ptr[int64](7), PresencePenalty: ptr(1.0),
					FrequencyPenalty: ptr(-1.0), MaxTokens: ptr(9), Stop: []string{"END"}, Think: "low",
					ResponseFormat: &sdk.ResponseFormat{Type: "json_schema", Name: "s", Schema: map[string]any{"type": "object"}, Strict: true}}},
		},
		{
			name: "max_tokens, stop array, json_object, text format is default",
			body: `{"model":"m","messages":[{"role":"user","content":"x"}],"max_tokens":5,"stop":["a","b"],"response_format":{"type":"json_object"},"reasoning_effort":"none"}`,
			want: &sdk.ChatRequest{Model: "m", Messages: []sdk.Message{{Role: "user", Content: "x"}},
				Options: &sdk.Options{MaxTokens: ptr(5), Stop: []string{"a", "b"}, Think: "false",
					ResponseFormat: &sdk.ResponseFormat{Type: "json_object"}}},
		},
		{
			name: "text response format adds nothing",
			body: `{"model":"m","messages":[{"role":"user","content":"x"}],"response_format":{"type":"text"}}`,
			want: &sdk.ChatRequest{Model: "m", Messages: []sdk.Message{{Role: "user", Content: "x"}}},
		},
		{name: "n=2", body: `{"messages":[{"role":"user","content":"x"}],"n":2}`, field: "n"},
		{name: "no messages", body: `{"model":"m","messages":[]}`, field: "messages"},
		{name: "bad role", body: `{"messages":[{"role":"robot","content":"x"}]}`, field: "messages[0].role"},
		{name: "missing role", body: `{"messages":[{"content":"x"}]}`, field: "messages[0].role"},
		{name: "content number", body: `{"messages":[{"role":"user","content":5}]}`, field: "messages[0].content"},
		{name: "remote image", body: `{"messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"https://x/y.png"}}]}]}`, field: "messages[0].content[0].image_url.url"},
		{name: "bad base64", body: `{"messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"data:image/png;base64,@@@"}}]}]}`, field: "messages[0].content[0].image_url.url"},
		{name: "audio part", body: `{"messages":[{"role":"user","content":[{"type":"input_audio"}]}]}`, field: "messages[0].content[0].type"},
		{name: "image in system", body: `{"messages":[{"role":"system","content":[{"type":"image_url","image_url":{"url":"data:image/png;base64,iVBORw=="}}]}]}`, field: "messages[0].content[0].type"},
		{name: "tool without id", body: `{"messages":[{"role":"tool","content":"x"}]}`, field: "messages[0].tool_call_id"},
		{name: "tool calls on user", body: `{"messages":[{"role":"user","content":"x","tool_calls":[{"id":"a","type":"function","function":{"name":"f","arguments":"{}"}}]}]}`, field: "messages[0].tool_calls"},
		{name: "tool type", body: `{"messages":[{"role":"user","content":"x"}],"tools":[{"type":"code_interpreter"}]}`, field: "tools[0].type"},
		{name: "tool name", body: `{"messages":[{"role":"user","content":"x"}],"tools":[{"type":"function","function":{}}]}`, field: "tools[0].function.name"},
		{name: "tool_choice word", body: `{"messages":[{"role":"user","content":"x"}],"tool_choice":"always"}`, field: "tool_choice"},
		{name: "tool_choice object", body: `{"messages":[{"role":"user","content":"x"}],"tool_choice":{"type":"function","function":{}}}`, field: "tool_choice.function.name"},
		{name: "temperature", body: `{"messages":[{"role":"user","content":"x"}],"temperature":3}`, field: "temperature"},
		{name: "top_p", body: `{"messages":[{"role":"user","content":"x"}],"top_p":-1}`, field: "top_p"},
		{name: "penalty", body: `{"messages":[{"role":"user","content":"x"}],"presence_penalty":9}`, field: "presence_penalty"},
		{name: "max_tokens 0", body: `{"messages":[{"role":"user","content":"x"}],"max_tokens":0}`, field: "max_tokens"},
		{name: "max_completion_tokens 0", body: `{"messages":[{"role":"user","content":"x"}],"max_completion_tokens":0}`, field: "max_completion_tokens"},
		{name: "stop number", body: `{"messages":[{"role":"user","content":"x"}],"stop":3}`, field: "stop"},
		{name: "response_format type", body: `{"messages":[{"role":"user","content":"x"}],"response_format":{"type":"xml"}}`, field: "response_format.type"},
		{name: "json_schema missing", body: `{"messages":[{"role":"user","content":"x"}],"response_format":{"type":"json_schema"}}`, field: "response_format.json_schema"},
		{name: "json_schema name", body: `{"messages":[{"role":"user","content":"x"}],"response_format":{"type":"json_schema","json_schema":{}}}`, field: "response_format.json_schema.name"},
		{name: "effort", body: `{"messages":[{"role":"user","content":"x"}],"reasoning_effort":"max"}`, field: "reasoning_effort"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var req ChatCompletionRequest
			if err := json.Unmarshal([]byte(tt.body), &req); err != nil {
				t.Fatalf("unmarshal: %v", err)
			}
			got, err := ChatRequestToSDK(&req)
			if tt.field != "" {
				if err == nil || fieldOf(err) != tt.field {
					t.Fatalf("error = %v (field %q), want field %q", err, fieldOf(err), tt.field)
				}
				if c := sdk.ErrorCode(err); c.HTTPStatus() != 400 {
					t.Fatalf("status %d, want 400", c.HTTPStatus())
				}
				return
			}
			if err != nil {
				t.Fatalf("unexpected error: %v", err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				gj, _ := json.Marshal(got)
				wj, _ := json.Marshal(tt.want)
				t.Fatalf("got  %s\nwant %s", gj, wj)
			}
		})
	}
}

func TestCompletionRequestToSDK(t *testing.T) {
	tests := []struct {
		name  string
		body  string
		want  *sdk.GenerateRequest
		field string
	}{
		{name: "string", body: `{"model":"m","prompt":"once","suffix":"end","max_tokens":3,"stop":["\n"],"temperature":0}`,
			want: &sdk.GenerateRequest{Model: "m", Prompt: "once", Suffix: "end",
				Options: &sdk.Options{MaxTokens: ptr(3), Stop: []string{"\n"}, Temperature: ptr(0.0)}}},
		{name: "array of one", body: `{"model":"m","prompt":["once"]}`, want: &sdk.GenerateRequest{Model: "m", Prompt: "once"}},
		{name: "array of two", body: `{"prompt":["a","b"]}`, field: "prompt"},
		{name: "tokens", body: `{"prompt":[1,2,3]}`, field: "prompt"},
		{name: "missing", body: `{"model":"m"}`, field: "prompt"},
		{name: "n", body: `{"prompt":"x","n":3}`, field: "n"},
		{name: "best_of", body: `{"prompt":"x","best_of":2}`, field: "best_of"},
		{name: "logprobs", body: `{"prompt":"x","logprobs":2}`, field: "logprobs"},
		{name: "max_tokens", body: `{"prompt":"x","max_tokens":-1}`, field: "max_tokens"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var req CompletionRequest
			if err := json.Unmarshal([]byte(tt.body), &req); err != nil {
				t.Fatal(err)
			}
			got, err := CompletionRequestToSDK(&req)
			if tt.field != "" {
				if fieldOf(err) != tt.field {
					t.Fatalf("error = %v, want field %q", err, tt.field)
				}
				return
			}
			if err != nil || !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("got %+v, %v; want %+v", got, err, tt.want)
			}
		})
	}
}

func TestEmbeddingRequestToSDK(t *testing.T) {
	tests := []struct {
		name   string
		body   string
		want   *sdk.EmbedRequest
		format string
		field  string
	}{
		{name: "string", body: `{"model":"e","input":"hello"}`, format: "float",
			want: &sdk.EmbedRequest{Model: "e", Input: []string{"hello"}, Truncate: true}},
		{name: "array base64 dims", body: `{"model":"e","input":["a","b"],"encoding_format":"base64","dimensions":2}`, format: "base64",
			want: &sdk.EmbedRequest{Model: "e", Input: []string{"a", "b"}, Dimensions: 2, Truncate: true}},
		{name: "missing", body: `{"model":"e"}`, field: "input"},
		{name: "empty string", body: `{"input":""}`, field: "input"},
		{name: "empty element", body: `{"input":["a",""]}`, field: "input[1]"},
		{name: "empty array", body: `{"input":[]}`, field: "input"},
		{name: "tokens", body: `{"input":[[1,2]]}`, field: "input"},
		{name: "format", body: `{"input":"a","encoding_format":"int8"}`, field: "encoding_format"},
		{name: "dimensions", body: `{"input":"a","dimensions":0}`, field: "dimensions"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var req EmbeddingRequest
			if err := json.Unmarshal([]byte(tt.body), &req); err != nil {
				t.Fatal(err)
			}
			got, format, err := EmbeddingRequestToSDK(&req)
			if tt.field != "" {
				if fieldOf(err) != tt.field {
					t.Fatalf("error = %v, want field %q", err, tt.field)
				}
				return
			}
			if err != nil || format != tt.format || !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("got %+v %q %v; want %+v %q", got, format, err, tt.want, tt.format)
			}
		})
	}
}

func TestDecodeDataURL(t *testing.T) {
	tests := []struct {
		url  string
		want string
		ok   bool
	}{
		{"data:image/png;base64,aGk=", "hi", true},
		{"data:image/jpeg;base64,aGk", "hi", true}, // unpadded
		{"data:;base64,aGk=", "hi", true},
		{"data:image/png,hi", "", false},
		{"data:image/png;base64", "", false},
		{"data:image/png;base64,", "", false},
		{"https://example.com/x.png", "", false},
		{"file:///etc/passwd", "", false},
	}
	for _, tt := range tests {
		got, err := DecodeDataURL(tt.url)
		if (err == nil) != tt.ok || string(got) != tt.want {
			t.Errorf("DecodeDataURL(%q) = %q, %v; want %q ok=%v", tt.url, got, err, tt.want, tt.ok)
		}
	}
}

func TestImageAndSpeechRequests(t *testing.T) {
	img, format, err := ImageRequestToSDK(&ImageRequest{Model: "sd", Prompt: "cat", N: ptr(2), Size: "512x512", ResponseFormat: "url", Seed: ptr[int64](3)})
	if err != nil || format != "url" || !reflect.DeepEqual(img, &sdk.TextToImageRequest{Model: "sd", Prompt: "cat", N: 2, Size: "512x512", Seed: ptr[int64](3)}) {
		t.Fatalf("image: %+v %q %v", img, format, err)
	}
	for _, bad := range []struct {
		req   ImageRequest
		field string
	}{
		{ImageRequest{}, "prompt"},
		{ImageRequest{Prompt: "x", N: ptr(0)}, "n"},
		{ImageRequest{Prompt: "x", ResponseFormat: "png"}, "response_format"},
	} {
		if _, _, err := ImageRequestToSDK(&bad.req); fieldOf(err) != bad.field {
			t.Errorf("image %+v: %v, want field %s", bad.req, err, bad.field)
		}
	}
	sp, err := SpeechRequestToSDK(&SpeechRequest{Model: "tts", Input: "hi", Voice: "alloy", ResponseFormat: "wav", Speed: ptr(1.5), Instructions: "calm"})
	if err != nil || !reflect.DeepEqual(sp, &sdk.TextToSpeechRequest{Model: "tts", Input: "hi", Voice: "alloy", Format: "wav", Speed: 1.5, Instructions: "calm"}) {
		t.Fatalf("speech: %+v %v", sp, err)
	}
	for _, bad := range []struct {
		req   SpeechRequest
		field string
	}{
		{SpeechRequest{}, "input"},
		{SpeechRequest{Input: "x", ResponseFormat: "ogg"}, "response_format"},
		{SpeechRequest{Input: "x", Speed: ptr(9.0)}, "speed"},
		{SpeechRequest{Input: "x", StreamFormat: "sse"}, "stream_format"},
	} {
		if _, err := SpeechRequestToSDK(&bad.req); fieldOf(err) != bad.field {
			t.Errorf("speech %+v: %v, want field %s", bad.req, err, bad.field)
		}
	}
}
