package main

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/roundhouse-ai/roundhouse/sdk"
	"github.com/roundhouse-ai/roundhouse/sdk/wire/openaiwire"
)

// largeBody is the size of the chat message in BenchmarkLargeChatBody: the
// 31 MiB requests that made the plugin's memory balloon.
const largeBody = 31 << 20

// BenchmarkLargeChatBody sends a ~31 MiB chat message through the plugin's
// chat path (request building, key lease, HTTP send) to an upstream that
// discards the body. B/op is what the plugin allocates per such request on
// top of the request itself; the goal is about one copy (the JSON body).
func BenchmarkLargeChatBody(b *testing.B) {
	upstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		if strings.Contains(r.Header.Get("Accept"), "event-stream") {
			w.Header().Set("Content-Type", "text/event-stream")
			_, _ = io.WriteString(w, `data: {"choices":[{"index":0,"delta":{"role":"assistant","content":"ok"},"finish_reason":"stop"}]}`+"\n\ndata: [DONE]\n\n")
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"model":"m","choices":[{"message":{"role":"assistant","content":"ok"},"finish_reason":"stop"}]}`)
	}))
	b.Cleanup(upstream.Close)
	p := newPluginWith(&http.Client{Transport: openaiwire.NewTransport()}, time.Now)
	b.Cleanup(p.client.CloseIdleConnections)
	if err := p.Configure(context.Background(), &sdk.Config{Providers: []sdk.ProviderConfig{
		{Name: "main", BaseURL: upstream.URL, APIKeys: []sdk.APIKey{{Value: testKey(1)}}},
	}}); err != nil {
		b.Fatal(err)
	}
	// Text with characters JSON escapes, as real prompts have.
	text := strings.Repeat("line of a long document with \"quotes\" and a tab\t<tag>\n", largeBody/56)
	req := &sdk.ChatRequest{Model: "m", Messages: []sdk.Message{{Role: "user", Content: text}}}

	b.Run("unary", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(text)))
		for b.Loop() {
			if _, err := p.Chat(context.Background(), req); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("unary_extra", func(b *testing.B) {
		// Extra fields make the body go through the merge in encodeBody.
		req := *req
		req.Extra = map[string]any{"user": "bench", "metadata": map[string]any{"k": "v"}}
		b.ReportAllocs()
		b.SetBytes(int64(len(text)))
		for b.Loop() {
			if _, err := p.Chat(context.Background(), &req); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("stream", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(text)))
		for b.Loop() {
			if err := p.ChatStream(context.Background(), req, func(*sdk.ChatChunk) error { return nil }); err != nil {
				b.Fatal(err)
			}
		}
	})
}
