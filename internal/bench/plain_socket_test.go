package bench_test

import (
	"context"
	"strings"
	"testing"

	"github.com/roundhouse-ai/roundhouse/host/backend"
	"github.com/roundhouse-ai/roundhouse/host/config"
	"github.com/roundhouse-ai/roundhouse/internal/hosttest"
	"github.com/roundhouse-ai/roundhouse/sdk"
)

// plainSocket starts the host with plain_plugin_socket: gRPC to the echo
// plugin without TLS.
func plainSocket(tb testing.TB) *hosttest.Host {
	return hosttest.Start(tb, hosttest.Options{Mutate: func(c *config.Config) { c.PlainPluginSocket = true }})
}

// TestPlainPluginSocket: with plain_plugin_socket the plugin still starts
// and answers (unary and stream) over its socket.
func TestPlainPluginSocket(t *testing.T) {
	h := plainSocket(t)
	resp, err := h.Router().Chat(context.Background(), backend.Route{}, chatReq())
	if err != nil || !strings.Contains(resp.Message.Content, "capital") {
		t.Fatalf("chat: %+v, %v", resp, err)
	}
	chunks := 0
	req := chatReq()
	if err := h.Router().ChatStream(context.Background(), backend.Route{}, req, func(*sdk.ChatChunk) error { chunks++; return nil }); err != nil || chunks == 0 {
		t.Fatalf("stream: %d chunks, %v", chunks, err)
	}
}

// BenchmarkOpenAIHandlerChatPlainSocket is BenchmarkOpenAIHandlerChat
// with plain_plugin_socket: the difference is TLS on the plugin socket.
func BenchmarkOpenAIHandlerChatPlainSocket(b *testing.B) {
	benchOpenAIHandler(b, plainSocket(b))
}
