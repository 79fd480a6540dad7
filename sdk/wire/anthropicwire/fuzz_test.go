package anthropicwire_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"

	"github.com/roundhouse-ai/roundhouse/types"
)

// FuzzChatStream feeds arbitrary bodies as the upstream's event stream.
// Whatever arrives, ChatStream must not panic, and it either fails or
// ends with exactly one done chunk, last: a broken stream never looks
// complete.
func FuzzChatStream(f *testing.F) {
	f.Add([]byte("event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"model\":\"m\"}}\n\n" +
		"event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"tool_use\",\"id\":\"t\",\"name\":\"f\"}}\n\n" +
		"event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"input_json_delta\",\"partial_json\":\"{}\"}}\n\n" +
		"event: message_delta\ndata: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"tool_use\"},\"usage\":{\"output_tokens\":3}}\n\n" +
		"event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n"))
	f.Add([]byte("data: {\"type\":\"content_block_delta\",\"delta\":{\"type\":\"text_delta\",\"text\":\"x\"}}\n\ndata: {\"type\":\"message_stop\"}\n\n"))
	f.Add([]byte("event: error\ndata: {\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\",\"message\":\"o\"}}\n\n"))
	var body atomic.Pointer[[]byte]
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "text/event-stream")
		_, _ = w.Write(*body.Load())
	}))
	f.Cleanup(srv.Close)
	c := newClient(srv.URL, &oneKey{key: claudeKey})
	f.Fuzz(func(t *testing.T, b []byte) {
		body.Store(&b)
		var chunks []*types.ChatChunk
		err := c.ChatStream(context.Background(), user("m", "hi"), func(ch *types.ChatChunk) error {
			chunks = append(chunks, ch)
			return nil
		})
		for i, ch := range chunks {
			if ch.Done && (i != len(chunks)-1 || err != nil) {
				t.Fatalf("done chunk %d of %d, err %v", i, len(chunks), err)
			}
		}
		if err == nil && (len(chunks) == 0 || !chunks[len(chunks)-1].Done) {
			t.Fatalf("no error and no done chunk (%d chunks)", len(chunks))
		}
	})
}
