package ollama

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
	`"options":{"temperature":0.2,"num_predict":64,"stop":["\n\n"],"num_ctx":4096},"keep_alive":"5m","stream":false}`)

// BenchmarkTranslateChatRequest measures decoding an Ollama chat body (as
// the handler does) and translating it.
func BenchmarkTranslateChatRequest(b *testing.B) {
	b.ReportAllocs()
	w := httptest.NewRecorder()
	for b.Loop() {
		r := httptest.NewRequest(http.MethodPost, "/api/chat", bytes.NewReader(benchChatBody))
		var req ChatRequest
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
	t := &timing{start: now()}
	for b.Loop() {
		buf.Reset()
		if err := json.NewEncoder(&buf).Encode(ChatResponseToOllama(resp, "llama3.2", t)); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkTranslateChatStreamChunk measures one streamed token: sdk chunk
// to NDJSON line.
func BenchmarkTranslateChatStreamChunk(b *testing.B) {
	b.ReportAllocs()
	enc := NewChatStreamEncoder("llama3.2")
	c := &sdk.ChatChunk{Content: " token"}
	var buf bytes.Buffer
	for b.Loop() {
		buf.Reset()
		for _, line := range enc.Encode(c) {
			if err := json.NewEncoder(&buf).Encode(line); err != nil {
				b.Fatal(err)
			}
		}
	}
}
