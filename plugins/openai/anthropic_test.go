package main

import (
	"context"
	"strings"
	"testing"

	"github.com/roundhouse-ai/roundhouse/internal/openaitest/fake"
	"github.com/roundhouse-ai/roundhouse/sdk"
)

const claudeKey = "sk-ant-api03-fake-00000000000000001234"

// claudePlugin is the plugin with provider "claude" in the anthropic
// format on a fake of Anthropic's Messages API, and provider "oa" in the
// openai format.
func claudePlugin(t *testing.T) (*plugin, *fake.Server) {
	t.Helper()
	srv := fake.NewServer(fake.Options{Anthropic: true, Keys: []string{claudeKey}})
	t.Cleanup(srv.Close)
	oa := startFake(t, fake.Options{})
	p := newTestPlugin(t)
	c := prov("claude", srv.URL, claudeKey)
	c.Format = "anthropic"
	c.Models = []string{"claude-sonnet-4-5"}
	configure(t, p, c, prov("oa", oa.URL, fakeKey))
	return p, srv
}

func TestAnthropicFormatChatStreamTools(t *testing.T) {
	p, srv := claudePlugin(t)
	ctx := context.Background()
	resp, err := p.Chat(ctx, userChat("claude-sonnet-4-5", "hello"))
	if err != nil {
		t.Fatal(err)
	}
	if resp.Message.Content != "echo: hello" || resp.FinishReason != "stop" || resp.Usage == nil {
		t.Fatalf("chat %+v", resp)
	}
	got, _ := srv.LastRequest("/v1/messages")
	if got.Key != claudeKey || got.Header.Get("Anthropic-Version") == "" || got.Header.Get("Authorization") != "" {
		t.Fatalf("the key must go as x-api-key with anthropic-version: %v", got.Header)
	}

	var text strings.Builder
	var last *sdk.ChatChunk
	err = p.ChatStream(ctx, userChat("claude-sonnet-4-5", "stream me please"), func(ch *sdk.ChatChunk) error {
		text.WriteString(ch.Content)
		last = ch
		return nil
	})
	if err != nil || text.String() != "echo: stream me please" || !last.Done || last.FinishReason != "stop" {
		t.Fatalf("stream %q, last %+v, err %v", text.String(), last, err)
	}

	req := userChat("claude-sonnet-4-5", "Oslo")
	req.Tools = []sdk.Tool{{Type: "function", Name: "lookup", Parameters: map[string]any{"type": "object"}}}
	var calls []sdk.ToolCall
	err = p.ChatStream(ctx, req, func(ch *sdk.ChatChunk) error {
		calls = append(calls, ch.ToolCalls...)
		last = ch
		return nil
	})
	if err != nil || len(calls) != 1 || calls[0].Name != "lookup" || calls[0].Arguments != `{"input":"Oslo"}` || last.FinishReason != "tool_calls" {
		t.Fatalf("tool calls %+v last %+v err %v", calls, last, err)
	}
	req.Messages = append(req.Messages, sdk.Message{Role: "assistant", ToolCalls: calls},
		sdk.Message{Role: "tool", ToolCallID: calls[0].ID, Content: "cold"})
	resp, err = p.Chat(ctx, req)
	if err != nil || resp.Message.Content != "tool said: cold" {
		t.Fatalf("after the tool: %+v %v", resp, err)
	}

	gen, err := p.Generate(ctx, &sdk.GenerateRequest{Model: "claude-sonnet-4-5", Prompt: "complete this", System: "terse"})
	if err != nil || gen.Text != "echo: complete this" {
		t.Fatalf("generate %+v %v", gen, err)
	}
	if body, _ := srv.LastRequest("/v1/messages"); body.JSON()["system"] != "terse" {
		t.Fatalf("generate body %s", body.Body)
	}

	// Services the Messages API lacks say so, naming the provider.
	_, err = p.Embed(ctx, &sdk.EmbedRequest{Model: "claude-sonnet-4-5", Input: []string{"x"}, Provider: "claude"})
	if e := wantCode(t, err, sdk.CodeUnimplemented); !strings.Contains(e.Message, `"claude"`) {
		t.Fatalf("embed %q", e.Message)
	}
	// The openai-format provider next to it is unaffected.
	if resp, err := p.Chat(ctx, &sdk.ChatRequest{Model: "gpt-4o-mini", Provider: "oa",
		Messages: []sdk.Message{{Role: "user", Content: "hi"}}}); err != nil || resp.Message.Content != "echo: hi" {
		t.Fatalf("openai provider: %+v %v", resp, err)
	}
	// TestProvider lists the models with Anthropic's headers.
	pt, err := p.TestProvider(ctx, "claude")
	if err != nil || !pt.OK || len(pt.Models) == 0 {
		t.Fatalf("test provider %+v %v", pt, err)
	}
}

func TestAnthropicFormatKeyRefusedRotates(t *testing.T) {
	srv := fake.NewServer(fake.Options{Anthropic: true, Keys: []string{claudeKey}})
	t.Cleanup(srv.Close)
	p := newTestPlugin(t)
	bad := "sk-ant-api03-revoked-000000000000000009"
	c := prov("claude", srv.URL, bad, claudeKey)
	c.Format = "anthropic"
	c.KeyStrategy = "priority"
	c.APIKeys[1].Priority = 1
	configure(t, p, c)
	if _, err := p.Chat(context.Background(), userChat("claude-sonnet-4-5", "hi")); err != nil {
		t.Fatalf("the refused key must rotate to the good one: %v", err)
	}
	if st := keyStatus(t, p, "claude", sdk.MaskKey(bad)); st.State != stateUnauthorized {
		t.Fatalf("refused key %+v", st)
	}
}

func TestFormatValidated(t *testing.T) {
	p := newTestPlugin(t)
	c := prov("x", "https://api.anthropic.com/v1", claudeKey)
	c.Format = "gemini"
	err := p.ValidateConfig(context.Background(), &sdk.Config{Providers: []sdk.ProviderConfig{c}})
	if e := wantCode(t, err, sdk.CodeInvalidArgument); e.Field != "providers[0].format" {
		t.Fatalf("field %q", e.Field)
	}
}
