package openaiwire_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/roundhouse-ai/roundhouse/sdk/wire/openaiwire"
	"github.com/roundhouse-ai/roundhouse/types"
)

// cannedStream answers every request with the same event stream, with no
// network in between, so a benchmark measures the client's decoding.
type cannedStream []byte

func (c cannedStream) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Body != nil {
		_, _ = io.Copy(io.Discard, r.Body)
		_ = r.Body.Close()
	}
	return &http.Response{StatusCode: http.StatusOK, Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header: http.Header{"Content-Type": {"text/event-stream"}},
		Body:   io.NopCloser(bytes.NewReader(c)), Request: r}, nil
}

// openAIChunk is one content chunk as api.openai.com sends it today (with
// stream_options.include_usage: "usage":null on every chunk).
func openAIChunk(delta, finish string) string {
	return `data: {"id":"chatcmpl-C1a2b3c4d5e6f7g8h9i0jKLmnOPq","object":"chat.completion.chunk","created":1764480000,` +
		`"model":"gpt-4o-mini-2024-07-18","service_tier":"default","system_fingerprint":"fp_560af6e559",` +
		`"choices":[{"index":0,"delta":` + delta + `,"logprobs":null,"finish_reason":` + finish + `}],"usage":null,"obfuscation":"x1Y2z3"}` + "\n\n"
}

// contentStream is a realistic answer of n content chunks: the role chunk,
// n token chunks (some with characters JSON escapes), the finish chunk,
// the usage chunk and [DONE].
func contentStream(n int) []byte {
	var b strings.Builder
	b.WriteString(openAIChunk(`{"role":"assistant","content":"","refusal":null}`, "null"))
	for i := range n {
		tok := ` token` + strconv.Itoa(i)
		if i%10 == 9 {
			tok = `\n\"quoted\" caf\u00e9`
		}
		b.WriteString(openAIChunk(`{"content":"`+tok+`"}`, "null"))
	}
	b.WriteString(openAIChunk(`{}`, `"stop"`))
	b.WriteString(`data: {"id":"chatcmpl-C1a2b3c4d5e6f7g8h9i0jKLmnOPq","object":"chat.completion.chunk","created":1764480000,` +
		`"model":"gpt-4o-mini-2024-07-18","service_tier":"default","system_fingerprint":"fp_560af6e559","choices":[],` +
		`"usage":{"prompt_tokens":12,"completion_tokens":50,"total_tokens":62,"prompt_tokens_details":{"cached_tokens":0,"audio_tokens":0},` +
		`"completion_tokens_details":{"reasoning_tokens":0,"audio_tokens":0,"accepted_prediction_tokens":0,"rejected_prediction_tokens":0}},"obfuscation":"ab"}` + "\n\n")
	b.WriteString("data: [DONE]\n\n")
	return []byte(b.String())
}

// toolStream is an answer that calls one tool, its arguments in n pieces.
func toolStream(n int) []byte {
	var b strings.Builder
	b.WriteString(openAIChunk(`{"role":"assistant","content":null,"tool_calls":[{"index":0,"id":"call_abc123","type":"function","function":{"name":"get_weather","arguments":""}}],"refusal":null}`, "null"))
	b.WriteString(openAIChunk(`{"tool_calls":[{"index":0,"function":{"arguments":"{\"city\":\""}}]}`, "null"))
	for range n {
		b.WriteString(openAIChunk(`{"tool_calls":[{"index":0,"function":{"arguments":"Pa"}}]}`, "null"))
	}
	b.WriteString(openAIChunk(`{"tool_calls":[{"index":0,"function":{"arguments":"\"}"}}]}`, "null"))
	b.WriteString(openAIChunk(`{}`, `"tool_calls"`))
	b.WriteString("data: [DONE]\n\n")
	return []byte(b.String())
}

// BenchmarkChatStreamDecode runs ChatStream over a canned upstream answer:
// request building, one key lease, SSE parsing and the decoding of every
// chunk into ChatChunks. ns/chunk is the figure to watch (the plugin pays
// it once per upstream chunk).
func BenchmarkChatStreamDecode(b *testing.B) {
	const n = 50
	for _, tc := range []struct {
		name   string
		body   []byte
		chunks int
	}{
		{"content", contentStream(n), n + 3},
		{"tools", toolStream(n), n + 4},
	} {
		b.Run(tc.name, func(b *testing.B) {
			c := &openaiwire.Client{BaseURL: "http://upstream.invalid/v1", Name: "bench", Auth: openaiwire.AuthNone,
				HTTP: &http.Client{Transport: cannedStream(tc.body)}}
			req := &types.ChatRequest{Model: "gpt-4o-mini", Messages: []types.Message{{Role: "user", Content: "hi"}}}
			ctx := context.Background()
			var last *types.ChatChunk
			b.ReportAllocs()
			b.SetBytes(int64(len(tc.body)))
			for b.Loop() {
				if err := c.ChatStream(ctx, req, func(ch *types.ChatChunk) error { last = ch; return nil }); err != nil {
					b.Fatal(err)
				}
			}
			if last == nil || !last.Done {
				b.Fatalf("last chunk %+v", last)
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*tc.chunks), "ns/chunk")
		})
	}
}
