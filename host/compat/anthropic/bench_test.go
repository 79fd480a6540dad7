package anthropic

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/roundhouse-ai/roundhouse/host/httpx"
	"github.com/roundhouse-ai/roundhouse/sdk"
)

var benchBody = []byte(`{"model":"llama3.2","max_tokens":64,"system":"You are terse.","messages":[` +
	`{"role":"user","content":"What is the capital of France? Answer in one word."},` +
	`{"role":"assistant","content":"Paris."},{"role":"user","content":[{"type":"text","text":"And of Italy?"}]}],` +
	`"temperature":0.2,"stop_sequences":["\n\n"]}`)

// BenchmarkTranslateMessagesRequest measures decoding a Messages body (as
// the handler does) and translating it.
func BenchmarkTranslateMessagesRequest(b *testing.B) {
	b.ReportAllocs()
	w := httptest.NewRecorder()
	for b.Loop() {
		r := httptest.NewRequest(http.MethodPost, "/v1/messages", bytes.NewReader(benchBody))
		var req MessagesRequest
		if err := httpx.DecodeJSON(w, r, 0, &req); err != nil {
			b.Fatal(err)
		}
		if _, err := MessagesRequestToSDK(&req); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkTranslateMessageResponse measures translating and encoding a
// whole answer.
func BenchmarkTranslateMessageResponse(b *testing.B) {
	b.ReportAllocs()
	resp := &sdk.ChatResponse{Model: "llama3.2:latest", Message: sdk.Message{Role: "assistant", Content: "Rome."},
		FinishReason: "stop", Usage: &sdk.Usage{PromptTokens: 40, CompletionTokens: 2, TotalTokens: 42}}
	var buf bytes.Buffer
	for b.Loop() {
		buf.Reset()
		if err := json.NewEncoder(&buf).Encode(MessageToAnthropic(resp, "llama3.2", "msg_1")); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkTranslateStreamChunk measures one streamed token: sdk chunk to
// content_block_delta event data.
func BenchmarkTranslateStreamChunk(b *testing.B) {
	b.ReportAllocs()
	enc := &StreamEncoder{ID: "msg_1", Model: "llama3.2"}
	enc.Encode(&sdk.ChatChunk{Content: "a"})
	c := &sdk.ChatChunk{Content: " token"}
	var buf bytes.Buffer
	for b.Loop() {
		buf.Reset()
		for _, ev := range enc.Encode(c) {
			if err := json.NewEncoder(&buf).Encode(ev.Data); err != nil {
				b.Fatal(err)
			}
		}
	}
}
