package fake_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/anthropics/anthropic-sdk-go/v2"
	"github.com/anthropics/anthropic-sdk-go/v2/option"

	"github.com/roundhouse-ai/roundhouse/internal/openaitest/fake"
)

const claudeKey = "sk-ant-api03-fake-00000000000000000000"

// The Anthropic mode is checked with Anthropic's official Go SDK: if the
// SDK reads its answers, streams and errors, so does any client written
// from the same reference.
func claudeSDK(t *testing.T, key string) (anthropic.Client, *fake.Server) {
	t.Helper()
	srv := fake.NewServer(fake.Options{Anthropic: true, Keys: []string{claudeKey}})
	t.Cleanup(srv.Close)
	// The SDK's base URL is the API root; it adds /v1/messages itself.
	c := anthropic.NewClient(option.WithBaseURL(strings.TrimSuffix(srv.URL, "/v1")+"/"), option.WithAPIKey(key), option.WithMaxRetries(0))
	return c, srv
}

func TestAnthropicModeWithOfficialSDK(t *testing.T) {
	c, srv := claudeSDK(t, claudeKey)
	ctx := context.Background()
	params := anthropic.MessageNewParams{Model: "claude-sonnet-4-5", MaxTokens: 64,
		System:   []anthropic.TextBlockParam{{Text: "be brief"}},
		Messages: []anthropic.MessageParam{anthropic.NewUserMessage(anthropic.NewTextBlock("hello there"))}}
	msg, err := c.Messages.New(ctx, params)
	if err != nil {
		t.Fatal(err)
	}
	if len(msg.Content) != 1 || msg.Content[0].Text != "echo: hello there" || msg.StopReason != anthropic.StopReasonEndTurn ||
		msg.Usage.OutputTokens == 0 || msg.Usage.InputTokens == 0 {
		t.Fatalf("message %+v", msg)
	}
	got, _ := srv.LastRequest("/v1/messages")
	if got.Key != claudeKey || got.Header.Get("Anthropic-Version") == "" {
		t.Fatalf("the SDK sent %v", got.Header)
	}

	// The stream, accumulated by the SDK, is the same message.
	stream := c.Messages.NewStreaming(ctx, params)
	var acc anthropic.Message
	events := map[string]int{}
	for stream.Next() {
		ev := stream.Current()
		events[ev.Type]++
		if err := acc.Accumulate(ev); err != nil {
			t.Fatal(err)
		}
	}
	if err := stream.Err(); err != nil {
		t.Fatal(err)
	}
	if len(acc.Content) != 1 || acc.Content[0].Text != "echo: hello there" || acc.StopReason != anthropic.StopReasonEndTurn ||
		events["message_start"] != 1 || events["content_block_delta"] < 2 || events["message_stop"] != 1 {
		t.Fatalf("accumulated %+v, events %v", acc, events)
	}

	// Tools: a tool_use, answered by a tool_result.
	params.Tools = []anthropic.ToolUnionParam{anthropic.ToolUnionParamOfTool(anthropic.ToolInputSchemaParam{
		Properties: map[string]any{"input": map[string]any{"type": "string"}}}, "lookup")}
	stream = c.Messages.NewStreaming(ctx, params)
	acc = anthropic.Message{}
	for stream.Next() {
		if err := acc.Accumulate(stream.Current()); err != nil {
			t.Fatal(err)
		}
	}
	if err := stream.Err(); err != nil || acc.StopReason != anthropic.StopReasonToolUse || len(acc.Content) != 1 {
		t.Fatalf("tool stream %+v %v", acc, err)
	}
	use := acc.Content[0].AsToolUse()
	if use.Name != "lookup" || string(use.Input) != `{"input":"hello there"}` {
		t.Fatalf("tool_use %+v input %s", use, use.Input)
	}
	params.Messages = append(params.Messages, acc.ToParam(),
		anthropic.NewUserMessage(anthropic.NewToolResultBlock(use.ID, "42", false)))
	msg, err = c.Messages.New(ctx, params)
	if err != nil || msg.Content[0].Text != "tool said: 42" {
		t.Fatalf("after the tool: %+v %v", msg, err)
	}

	// Errors in Anthropic's shape, as the SDK reads them.
	_, err = c.Messages.New(ctx, anthropic.MessageNewParams{Model: "claude-9", MaxTokens: 5,
		Messages: []anthropic.MessageParam{anthropic.NewUserMessage(anthropic.NewTextBlock("x"))}})
	var ae *anthropic.Error
	if !errors.As(err, &ae) || ae.StatusCode != http.StatusNotFound || string(ae.Type()) != "not_found_error" {
		t.Fatalf("unknown model: %v", err)
	}
	bad, _ := claudeSDK(t, "sk-ant-wrong")
	_, err = bad.Messages.New(ctx, params)
	if !errors.As(err, &ae) || ae.StatusCode != http.StatusUnauthorized || string(ae.Type()) != "authentication_error" {
		t.Fatalf("wrong key: %v", err)
	}
}

// Without the version header or a valid key the API refuses the request;
// the key may come as x-api-key or as a Bearer token.
func TestAnthropicModeHeaders(t *testing.T) {
	srv := fake.NewServer(fake.Options{Anthropic: true, Keys: []string{claudeKey}})
	t.Cleanup(srv.Close)
	body := `{"model":"claude-sonnet-4-5","max_tokens":5,"messages":[{"role":"user","content":"x"}]}`
	for _, c := range []struct {
		hdr    []string
		status int
		want   string
	}{
		{[]string{"X-Api-Key", claudeKey}, 400, "anthropic-version: header is required"},
		{[]string{"X-Api-Key", claudeKey, "Anthropic-Version", "1999-01-01"}, 400, "invalid version"},
		{[]string{"Anthropic-Version", "2023-06-01"}, 401, "x-api-key header is required"},
		{[]string{"X-Api-Key", "sk-ant-other", "Anthropic-Version", "2023-06-01"}, 401, "invalid x-api-key"},
		{[]string{"Authorization", "Bearer " + claudeKey, "Anthropic-Version", "2023-06-01"}, 200, `"type":"message"`},
		{[]string{"X-Api-Key", claudeKey, "Anthropic-Version", "2023-06-01"}, 200, `"type":"message"`},
	} {
		req, _ := http.NewRequest("POST", srv.URL+"/messages", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		for i := 0; i < len(c.hdr); i += 2 {
			req.Header.Set(c.hdr[i], c.hdr[i+1])
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var b strings.Builder
		buf := make([]byte, 4096)
		for {
			n, err := resp.Body.Read(buf)
			b.Write(buf[:n])
			if err != nil {
				break
			}
		}
		resp.Body.Close()
		if resp.StatusCode != c.status || !strings.Contains(b.String(), c.want) ||
			(c.status != 200 && !strings.Contains(b.String(), `"type":"error"`)) {
			t.Errorf("%v: %d %s", c.hdr, resp.StatusCode, b.String())
		}
	}
}
