package sdk_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/roundhouse-ai/roundhouse/sdk"
	"github.com/roundhouse-ai/roundhouse/sdk/pluginhost"
)

// streamer has only ChatStream and GenerateStream; unary has only Chat.
type streamer struct{ sdk.UnimplementedPlugin }

func (streamer) ChatStream(ctx context.Context, req *sdk.ChatRequest, send func(*sdk.ChatChunk) error) error {
	for _, w := range []string{"a ", "b"} {
		if err := send(&sdk.ChatChunk{Model: req.Model, Role: "assistant", Content: w}); err != nil {
			return err
		}
	}
	return send(&sdk.ChatChunk{Done: true, FinishReason: "stop", Usage: &sdk.Usage{CompletionTokens: 2}})
}

func (streamer) GenerateStream(ctx context.Context, req *sdk.GenerateRequest, send func(*sdk.GenerateChunk) error) error {
	_ = send(&sdk.GenerateChunk{Text: "x"})
	return send(&sdk.GenerateChunk{Text: "y", Done: true, FinishReason: "length"})
}

type unary struct{ sdk.UnimplementedPlugin }

func (unary) Chat(ctx context.Context, req *sdk.ChatRequest) (*sdk.ChatResponse, error) {
	return &sdk.ChatResponse{Model: req.Model, FinishReason: "stop", Message: sdk.Message{Role: "assistant", Content: "whole answer"}}, nil
}

// Serve gives a plugin with one method of a pair the other one, and
// reports what it implements in Info.
func TestServeCompletesPairsAndReportsServices(t *testing.T) {
	ctx := context.Background()
	conn, stop := pluginhost.ServeInProcess(streamer{})
	defer stop()
	resp, err := conn.Chat(ctx, &sdk.ChatRequest{Model: "m", Messages: []sdk.Message{{Role: "user", Content: "hi"}}})
	if err != nil || resp.Message.Content != "a b" || resp.FinishReason != "stop" || resp.Usage.CompletionTokens != 2 || resp.Model != "m" {
		t.Fatalf("Chat from ChatStream: %+v, %v", resp, err)
	}
	g, err := conn.Generate(ctx, &sdk.GenerateRequest{Prompt: "p"})
	if err != nil || g.Text != "xy" || g.FinishReason != "length" {
		t.Fatalf("Generate from GenerateStream: %+v, %v", g, err)
	}
	info, err := conn.Info(ctx)
	if err != nil || !slices.Equal(info.Implemented, []string{sdk.ServiceChat, sdk.ServiceGenerate}) {
		t.Fatalf("Info.Implemented = %v, %v", info.Implemented, err)
	}
	if _, err := conn.Embed(ctx, &sdk.EmbedRequest{Input: []string{"x"}}); sdk.ErrorCode(err) != sdk.CodeUnimplemented || !strings.Contains(err.Error(), "embed") {
		t.Fatalf("Embed on a plugin without it: %v", err)
	}

	conn2, stop2 := pluginhost.ServeInProcess(unary{})
	defer stop2()
	var chunks []*sdk.ChatChunk
	err = conn2.ChatStream(ctx, &sdk.ChatRequest{Model: "m", Messages: []sdk.Message{{Role: "user", Content: "hi"}}},
		func(c *sdk.ChatChunk) error { chunks = append(chunks, c); return nil })
	if err != nil || len(chunks) != 1 || chunks[0].Content != "whole answer" || !chunks[0].Done || chunks[0].FinishReason != "stop" {
		t.Fatalf("ChatStream from Chat: %+v, %v", chunks, err)
	}
	info, err = conn2.Info(ctx)
	if err != nil || !slices.Equal(info.Implemented, []string{sdk.ServiceChat}) {
		t.Fatalf("Info.Implemented = %v, %v", info.Implemented, err)
	}
	// A plugin that implements nothing says so (not "not reported").
	conn3, stop3 := pluginhost.ServeInProcess(sdk.UnimplementedPlugin{})
	defer stop3()
	if info, err := conn3.Info(ctx); err != nil || info.Implemented == nil || len(info.Implemented) != 0 {
		t.Fatalf("nothing implemented: %#v, %v", info, err)
	}
}
