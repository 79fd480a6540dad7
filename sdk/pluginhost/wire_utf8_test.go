package pluginhost

import (
	"context"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/roundhouse-ai/roundhouse/internal/convert"
	"github.com/roundhouse-ai/roundhouse/sdk"
	"github.com/roundhouse-ai/roundhouse/types"
)

// utf8Plugin answers every call it receives, so a test can tell a request
// that reached the plugin from one the host refused to send.
type utf8Plugin struct {
	sdk.UnimplementedPlugin
	sdk.UnimplementedModels
}

func (utf8Plugin) Chat(context.Context, *types.ChatRequest) (*types.ChatResponse, error) {
	return &types.ChatResponse{Message: types.Message{Role: "assistant", Content: "ok"}}, nil
}

func (utf8Plugin) ChatStream(_ context.Context, _ *types.ChatRequest, send func(*types.ChatChunk) error) error {
	return send(&types.ChatChunk{Content: "ok", Done: true})
}

func (utf8Plugin) GenerateStream(_ context.Context, _ *types.GenerateRequest, send func(*types.GenerateChunk) error) error {
	return send(&types.GenerateChunk{Text: "ok", Done: true})
}

func (utf8Plugin) Embed(context.Context, *types.EmbedRequest) (*types.EmbedResponse, error) {
	return &types.EmbedResponse{Embeddings: [][]float32{{1}}}, nil
}

func (utf8Plugin) SpeechToTextLive(_ context.Context, recv func() (*types.LiveSpeechInput, error), send func(*types.LiveSpeechOutput) error) error {
	for {
		if _, err := recv(); err != nil {
			if errors.Is(err, io.EOF) {
				return send(&types.LiveSpeechOutput{Text: "ok", IsFinal: true})
			}
			return err
		}
	}
}

func (utf8Plugin) PullModel(_ context.Context, _ *types.PullRequest, progress func(*types.Progress) error) error {
	return progress(&types.Progress{Status: "success"})
}

func (utf8Plugin) DeleteModel(context.Context, string) error { return nil }
func (utf8Plugin) UnloadModel(context.Context, string) error { return nil }

const bad = "a\xff\xfeb"

// TestInvalidUTF8OverGRPC sends requests with invalid UTF-8 through a real
// gRPC connection: each fails as CodeInvalidArgument naming the field,
// and the same request made valid goes through.
func TestInvalidUTF8OverGRPC(t *testing.T) {
	conn, stop := ServeInProcess(utf8Plugin{})
	defer stop()
	ctx := context.Background()
	drop := func(*types.ChatChunk) error { return nil }

	chat := func(m func(*types.ChatRequest)) *types.ChatRequest {
		r := &types.ChatRequest{Model: "m", Messages: []types.Message{{Role: "user", Content: "hi"}, {Role: "assistant"}, {Role: "user", Content: "x"}}}
		m(r)
		return r
	}
	cases := []struct {
		name  string
		field string
		call  func(s string) error
	}{
		{"chat content", "messages[0].content", func(s string) error {
			_, err := conn.Chat(ctx, chat(func(r *types.ChatRequest) { r.Messages[0].Content = s }))
			return err
		}},
		{"chat tool-call arguments", "messages[2].tool_calls[0].arguments", func(s string) error {
			_, err := conn.Chat(ctx, chat(func(r *types.ChatRequest) {
				r.Messages[2].ToolCalls = []types.ToolCall{{Name: "f", Arguments: `{"a":"` + s + `"}`}}
			}))
			return err
		}},
		{"chat extra (struct)", "extra.foo.bar[1]", func(s string) error {
			_, err := conn.Chat(ctx, chat(func(r *types.ChatRequest) {
				r.Extra = map[string]any{"ok": "fine", "foo": map[string]any{"bar": []any{"x", s}}}
			}))
			return err
		}},
		{"chat extra key", "extra", func(s string) error {
			_, err := conn.Chat(ctx, chat(func(r *types.ChatRequest) { r.Extra = map[string]any{s: 1} }))
			return err
		}},
		{"chat tool parameters", "tools[0].parameters.properties", func(s string) error {
			_, err := conn.Chat(ctx, chat(func(r *types.ChatRequest) {
				r.Tools = []types.Tool{{Name: "f", Parameters: map[string]any{"properties": s}}}
			}))
			return err
		}},
		{"chat stream stop", "options.stop[1]", func(s string) error {
			return conn.ChatStream(ctx, chat(func(r *types.ChatRequest) { r.Options = &types.Options{Stop: []string{"x", s}} }), drop)
		}},
		{"generate stream prompt", "prompt", func(s string) error {
			return conn.GenerateStream(ctx, &types.GenerateRequest{Prompt: s}, func(*types.GenerateChunk) error { return nil })
		}},
		{"embed input", "input[1]", func(s string) error {
			_, err := conn.Embed(ctx, &types.EmbedRequest{Input: []string{"a", s}})
			return err
		}},
		{"pull model", "model", func(s string) error {
			return conn.PullModel(ctx, &types.PullRequest{Model: s}, func(*types.Progress) error { return nil })
		}},
		{"delete model", "model", func(s string) error { return conn.DeleteModel(ctx, s) }},
		{"unload model", "model", func(s string) error { return conn.UnloadModel(ctx, s) }},
		{"live speech config", "config.language", func(s string) error {
			sent := false
			return conn.SpeechToTextLive(ctx, func() (*types.LiveSpeechInput, error) {
				if sent {
					return nil, io.EOF
				}
				sent = true
				return &types.LiveSpeechInput{Config: &types.SpeechToTextRequest{Language: s}}, nil
			}, func(*types.LiveSpeechOutput) error { return nil })
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.call("fine"); err != nil {
				t.Fatalf("valid request failed: %v", err)
			}
			err := tc.call(bad)
			var e *types.Error
			if !errors.As(err, &e) {
				t.Fatalf("error %T %v, want *sdk.Error", err, err)
			}
			if e.Code != types.CodeInvalidArgument || e.Code.HTTPStatus() != 400 {
				t.Errorf("code %v (HTTP %d), want invalid_argument (400): %v", e.Code, e.Code.HTTPStatus(), e)
			}
			if e.Field != tc.field {
				t.Errorf("field %q, want %q", e.Field, tc.field)
			}
			if e.Message != convert.InvalidUTF8Message || strings.Contains(e.Error(), "marshal") {
				t.Errorf("message %q, want %q without gRPC internals", e.Error(), convert.InvalidUTF8Message)
			}
		})
	}
}
