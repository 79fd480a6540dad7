package openai

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/roundhouse-ai/roundhouse/host/httpx"
	"github.com/roundhouse-ai/roundhouse/sdk"
)

var benchChatBody = []byte(`{"model":"llama3.2","messages":[{"role":"system","content":"You are terse."},` +
	`{"role":"user","content":"What is the capital of France? Answer in one word."},` +
	`{"role":"assistant","content":"Paris."},{"role":"user","content":"And of Italy?"}],` +
	`"temperature":0.2,"max_tokens":64,"stop":["\n\n"],"stream":false}`)

// BenchmarkTranslateChatRequest measures decoding an OpenAI chat body
// (through httpx.DecodeJSON, as the handler does) and translating it.
func BenchmarkTranslateChatRequest(b *testing.B) {
	b.ReportAllocs()
	w := httptest.NewRecorder()
	for b.Loop() {
		r := httptest.NewRequest(http.MethodPost, "/v1/chat/completions", bytes.NewReader(benchChatBody))
		var req ChatCompletionRequest
		if err := httpx.DecodeJSON(w, r, 0, &req); err != nil {
			b.Fatal(err)
		}
		if _, err := ChatRequestToSDK(&req); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkTranslateChatResponse measures translating and encoding a
// whole chat answer.
func BenchmarkTranslateChatResponse(b *testing.B) {
	b.ReportAllocs()
	resp := &sdk.ChatResponse{Model: "llama3.2:latest", Message: sdk.Message{Role: "assistant", Content: "Rome."},
		FinishReason: "stop", Usage: &sdk.Usage{PromptTokens: 40, CompletionTokens: 2, TotalTokens: 42}}
	var buf bytes.Buffer
	for b.Loop() {
		buf.Reset()
		if err := json.NewEncoder(&buf).Encode(ChatResponseToOpenAI(resp, "llama3.2", "chatcmpl-1", 1)); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkTranslateChatStreamChunk measures one streamed token: sdk chunk
// to OpenAI chunk to SSE JSON.
func BenchmarkTranslateChatStreamChunk(b *testing.B) {
	b.ReportAllocs()
	enc := &ChatStreamEncoder{ID: "chatcmpl-1", Created: 1, Model: "llama3.2", IncludeUsage: true}
	enc.Encode(&sdk.ChatChunk{Role: "assistant"})
	c := &sdk.ChatChunk{Content: " token"}
	var buf bytes.Buffer
	for b.Loop() {
		buf.Reset()
		for _, oc := range enc.Encode(c) {
			if err := json.NewEncoder(&buf).Encode(oc); err != nil {
				b.Fatal(err)
			}
		}
	}
}

// BenchmarkTranslateEmbeddings measures a 768-dim vector answer, float and
// base64.
func BenchmarkTranslateEmbeddings(b *testing.B) {
	v := make([]float32, 768)
	for i := range v {
		v[i] = float32(i) / 768
	}
	resp := &sdk.EmbedResponse{Model: "e", Embeddings: [][]float32{v}}
	for _, format := range []string{"float", "base64"} {
		b.Run(format, func(b *testing.B) {
			b.ReportAllocs()
			var buf bytes.Buffer
			for b.Loop() {
				buf.Reset()
				if err := json.NewEncoder(&buf).Encode(EmbedResponseToOpenAI(resp, "e", format)); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
