package openai

import (
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"math"
	"net/http"
	"strings"
	"testing"

	"github.com/roundhouse-ai/roundhouse/host/backend"
	"github.com/roundhouse-ai/roundhouse/host/httpx"
	"github.com/roundhouse-ai/roundhouse/sdk"
)

// pinIDs makes ids deterministic for the test.
func pinIDs(t *testing.T) {
	old := newID
	n := 0
	newID = func(prefix string) string { n++; return prefix + strings.Repeat("x", n) }
	t.Cleanup(func() { newID = old })
}

func TestFinishReason(t *testing.T) {
	tests := []struct {
		in    string
		tools bool
		want  string
	}{
		{"", false, "stop"}, {"stop", false, "stop"}, {"length", false, "length"},
		{"tool_calls", false, "tool_calls"}, {"stop", true, "tool_calls"}, {"length", true, "length"},
		{"content_filter", false, "content_filter"}, {"weird", false, "stop"},
	}
	for _, tt := range tests {
		if got := FinishReason(tt.in, tt.tools); got != tt.want {
			t.Errorf("FinishReason(%q,%v) = %q, want %q", tt.in, tt.tools, got, tt.want)
		}
	}
}

func TestChatResponseToOpenAI(t *testing.T) {
	pinIDs(t)
	tests := []struct {
		name string
		resp *sdk.ChatResponse
		want string
	}{
		{
			name: "text with usage",
			resp: &sdk.ChatResponse{Model: "llama3.2", Message: sdk.Message{Role: "assistant", Content: "Hi"}, FinishReason: "stop",
				Usage: &sdk.Usage{PromptTokens: 3, CompletionTokens: 1}},
			want: `{"id":"chatcmpl-1","object":"chat.completion","created":42,"model":"llama3.2","choices":[{"index":0,"message":{"role":"assistant","content":"Hi","refusal":null},"logprobs":null,"finish_reason":"stop"}],"usage":{"prompt_tokens":3,"completion_tokens":1,"total_tokens":4}}`,
		},
		{
			name: "tool calls: null content, generated id, tool_calls reason, requested model",
			resp: &sdk.ChatResponse{Message: sdk.Message{Role: "assistant", Thinking: "hmm",
				ToolCalls: []sdk.ToolCall{{Name: "f", Arguments: `{"a":1}`}, {ID: "call_b", Name: "g"}}}},
			want: `{"id":"chatcmpl-1","object":"chat.completion","created":42,"model":"asked","choices":[{"index":0,"message":{"role":"assistant","content":null,"refusal":null,"reasoning_content":"hmm","tool_calls":[{"id":"call_x","type":"function","function":{"name":"f","arguments":"{\"a\":1}"}},{"id":"call_b","type":"function","function":{"name":"g","arguments":"{}"}}]},"logprobs":null,"finish_reason":"tool_calls"}]}`,
		},
		{
			name: "length",
			resp: &sdk.ChatResponse{Model: "m", Message: sdk.Message{Content: "abc"}, FinishReason: "length"},
			want: `{"id":"chatcmpl-1","object":"chat.completion","created":42,"model":"m","choices":[{"index":0,"message":{"role":"assistant","content":"abc","refusal":null},"logprobs":null,"finish_reason":"length"}]}`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, _ := json.Marshal(ChatResponseToOpenAI(tt.resp, "asked", "chatcmpl-1", 42))
			if string(got) != tt.want {
				t.Fatalf("got  %s\nwant %s", got, tt.want)
			}
		})
	}
}

func TestGenerateResponseToOpenAI(t *testing.T) {
	got, _ := json.Marshal(GenerateResponseToOpenAI(&sdk.GenerateResponse{Text: " world", FinishReason: "length",
		Usage: &sdk.Usage{PromptTokens: 1, CompletionTokens: 2, TotalTokens: 3}}, "m", "cmpl-1", 7, "hello"))
	want := `{"id":"cmpl-1","object":"text_completion","created":7,"model":"m","choices":[{"text":"hello world","index":0,"logprobs":null,"finish_reason":"length"}],"usage":{"prompt_tokens":1,"completion_tokens":2,"total_tokens":3}}`
	if string(got) != want {
		t.Fatalf("got  %s\nwant %s", got, want)
	}
}

func TestEmbedResponseToOpenAI(t *testing.T) {
	v := []float32{1.5, -2, float32(math.Pi)}
	resp := &sdk.EmbedResponse{Model: "e", Embeddings: [][]float32{v}, Usage: &sdk.Usage{PromptTokens: 4}}
	f, _ := json.Marshal(EmbedResponseToOpenAI(resp, "asked", "float"))
	if want := `{"object":"list","data":[{"object":"embedding","index":0,"embedding":[1.5,-2,3.1415927]}],"model":"e","usage":{"prompt_tokens":4,"total_tokens":4}}`; string(f) != want {
		t.Fatalf("float: got %s\nwant %s", f, want)
	}
	b64 := EmbedResponseToOpenAI(resp, "asked", "base64").Data[0].Embedding.(string)
	raw, err := base64.StdEncoding.DecodeString(b64)
	if err != nil || len(raw) != 12 {
		t.Fatalf("base64 %q: %v", b64, err)
	}
	for i := range v {
		if got := math.Float32frombits(binary.LittleEndian.Uint32(raw[4*i:])); got != v[i] {
			t.Fatalf("element %d = %v, want %v", i, got, v[i])
		}
	}
}

func TestModelsToOpenAI(t *testing.T) {
	ms := []backend.ModelInfo{
		{Model: sdk.Model{Name: "llama3.2:latest", SizeBytes: 10, ModifiedAt: 1700000000}, Plugin: "ollama", State: "running"},
		{Model: sdk.Model{Name: "gpt-4o", ModifiedAt: 1700000000123}, Plugin: "openai", State: "available"},
		{Model: sdk.Model{Name: "bare"}},
	}
	got, _ := json.Marshal(ModelsToOpenAI(ms))
	want := `{"object":"list","data":[` +
		`{"id":"llama3.2:latest","object":"model","created":1700000000,"owned_by":"ollama","plugin":"ollama","size":10,"state":"running"},` +
		`{"id":"gpt-4o","object":"model","created":1700000000,"owned_by":"openai","plugin":"openai","state":"available"},` +
		`{"id":"bare","object":"model","created":0,"owned_by":"roundhouse"}]}`
	if string(got) != want {
		t.Fatalf("got  %s\nwant %s", got, want)
	}
	if m, ok := FindModel(ms, "openai/gpt-4o"); !ok || m.Name != "gpt-4o" {
		t.Fatalf("FindModel qualified: %v %v", m, ok)
	}
	if _, ok := FindModel(ms, "nope"); ok {
		t.Fatal("FindModel found an unknown model")
	}
}

func TestImagesToOpenAI(t *testing.T) {
	resp := &sdk.TextToImageResponse{Images: []sdk.Image{
		{Data: []byte("abc"), MIMEType: "image/jpeg", RevisedPrompt: "r"},
		{URL: "https://cdn/x.png"},
	}}
	b, _ := json.Marshal(ImagesToOpenAI(resp, "", 5))
	if want := `{"created":5,"data":[{"b64_json":"YWJj","revised_prompt":"r"},{"url":"https://cdn/x.png"}]}`; string(b) != want {
		t.Fatalf("b64: got %s\nwant %s", b, want)
	}
	u, _ := json.Marshal(ImagesToOpenAI(resp, "url", 5))
	if want := `{"created":5,"data":[{"url":"data:image/jpeg;base64,YWJj","revised_prompt":"r"},{"url":"https://cdn/x.png"}]}`; string(u) != want {
		t.Fatalf("url: got %s\nwant %s", u, want)
	}
}

func TestTranscriptionBody(t *testing.T) {
	resp := &sdk.SpeechToTextResponse{Text: "hello world", Language: "en", Duration: 3661.5,
		Segments: []sdk.TranscriptSegment{{Start: 0, End: 1.25, Text: " hello"}, {Start: 3661, End: 3661.5, Text: " world"}}}
	tests := []struct {
		format, ct, body string
	}{
		{"", "application/json", `{"text":"hello world"}` + "\n"},
		{"json", "application/json", `{"text":"hello world"}` + "\n"},
		{"text", "text/plain; charset=utf-8", "hello world\n"},
		{"verbose_json", "application/json", `{"task":"transcribe","language":"english","duration":3661.5,"text":"hello world","segments":[` +
			`{"id":0,"seek":0,"start":0,"end":1.25,"text":" hello","tokens":[],"temperature":0,"avg_logprob":0,"compression_ratio":0,"no_speech_prob":0},` +
			`{"id":1,"seek":0,"start":3661,"end":3661.5,"text":" world","tokens":[],"temperature":0,"avg_logprob":0,"compression_ratio":0,"no_speech_prob":0}]}` + "\n"},
		{"srt", "application/x-subrip", "1\n00:00:00,000 --> 00:00:01,250\nhello\n\n2\n01:01:01,000 --> 01:01:01,500\nworld\n\n"},
		{"vtt", "text/vtt", "WEBVTT\n\n00:00:00.000 --> 00:00:01.250\nhello\n\n01:01:01.000 --> 01:01:01.500\nworld\n\n"},
	}
	for _, tt := range tests {
		ct, body, err := TranscriptionBody(resp, tt.format)
		if err != nil || ct != tt.ct || string(body) != tt.body {
			t.Errorf("%q: got %q %q %v\nwant %q %q", tt.format, ct, body, err, tt.ct, tt.body)
		}
	}
	if _, _, err := TranscriptionBody(resp, "xml"); fieldOf(err) != "response_format" {
		t.Errorf("xml: %v", err)
	}
}

func TestToError(t *testing.T) {
	tests := []struct {
		name   string
		err    error
		status int
		body   string
	}{
		{"model not found", sdk.Errorf(sdk.CodeModelNotFound, "model \"x\" not found"), 404,
			`{"error":{"message":"model \"x\" not found","type":"invalid_request_error","param":"model","code":"model_not_found"}}`},
		{"field", sdk.FieldError("n", "only n=1"), 400,
			`{"error":{"message":"n: only n=1","type":"invalid_request_error","param":"n","code":"invalid_argument"}}`},
		{"auth", sdk.Errorf(sdk.CodeUnauthenticated, "no key"), 401,
			`{"error":{"message":"no key","type":"authentication_error","param":null,"code":"unauthenticated"}}`},
		{"forbidden", sdk.Errorf(sdk.CodePermissionDenied, "no"), 403,
			`{"error":{"message":"no","type":"permission_error","param":null,"code":"permission_denied"}}`},
		{"rate", sdk.Errorf(sdk.CodeUpstreamRateLimited, "slow down"), 429,
			`{"error":{"message":"slow down","type":"rate_limit_error","param":null,"code":"upstream_rate_limited"}}`},
		{"quota", sdk.Errorf(sdk.CodeQuotaExceeded, "out"), 429,
			`{"error":{"message":"out","type":"insufficient_quota","param":null,"code":"quota_exceeded"}}`},
		{"unavailable", sdk.Errorf(sdk.CodeServiceUnavailable, "no plugin"), 503,
			`{"error":{"message":"no plugin","type":"server_error","param":null,"code":"service_unavailable"}}`},
		{"plain", errors.New("boom"), 500,
			`{"error":{"message":"boom","type":"server_error","param":null,"code":"unknown"}}`},
		{"too large", &sdk.Error{Code: sdk.CodeInvalidArgument, Field: "body", Message: "too big", Err: httpx.ErrTooLarge}, http.StatusRequestEntityTooLarge,
			`{"error":{"message":"body: too big","type":"invalid_request_error","param":"body","code":"request_too_large"}}`},
	}
	for _, tt := range tests {
		status, body := ToError(tt.err)
		b, _ := json.Marshal(body)
		if status != tt.status || string(b) != tt.body {
			t.Errorf("%s: got %d %s\nwant %d %s", tt.name, status, b, tt.status, tt.body)
		}
	}
}
