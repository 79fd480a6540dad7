package e2e

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	oai "github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"

	"github.com/roundhouse-ai/roundhouse/internal/hosttest"
	"github.com/roundhouse-ai/roundhouse/internal/openaitest/fake"
)

const e2eClaudeKey = "sk-ant-api03-e2e-7d6c5b4a39281706f5e4"

// TestAnthropicProviderEndToEnd: a provider of the openai plugin declares
// format: anthropic and points at a protocol-faithful fake of Anthropic's
// Messages API (nothing real can run offline). Through the host, the
// official openai-go client chats, streams and calls a tool with a Claude
// model: host → plugin (anthropicwire: x-api-key, anthropic-version,
// named SSE events) → fake. A second, openai-format provider serves
// POST /v1/images/edits (multipart, image-to-image). The Claude key never
// shows in logs or answers.
func TestAnthropicProviderEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end: skipped in -short mode")
	}
	claude := fake.NewServer(fake.Options{Anthropic: true, Keys: []string{e2eClaudeKey}})
	t.Cleanup(claude.Close)
	images := fake.NewServer(fake.Options{Keys: []string{testKeys[0]}})
	t.Cleanup(images.Close)

	_, plugins := binaries(t)
	var logs syncBuffer
	h := hosttest.Start(t, hosttest.Options{NoEcho: true, ExtraRoots: []string{only(t, plugins, "openai")}, Log: &logs})
	var answers syncBuffer
	addProvider := func(v map[string]any) {
		t.Helper()
		body, _ := json.Marshal(v)
		resp, err := http.Post(h.URL+"/v1/providers", "application/json", bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		answers.Write(b)
		if resp.StatusCode != 200 {
			t.Fatalf("POST /v1/providers: %d %s", resp.StatusCode, b)
		}
	}
	addProvider(map[string]any{"name": "claude", "base_url": claude.URL, "format": "anthropic",
		"models": []string{"claude-sonnet-4-5"}, "api_keys": []map[string]any{{"value": e2eClaudeKey}}})
	addProvider(map[string]any{"name": "oa", "base_url": images.URL, "models": []string{"gpt-image-1"},
		"api_keys": []map[string]any{{"value": testKeys[0]}}})

	ctx := ctxFor(t, 2*time.Minute)
	c := oai.NewClient(option.WithBaseURL(h.URL+"/v1/"), option.WithAPIKey("app-key"), option.WithMaxRetries(0))
	params := oai.ChatCompletionNewParams{Model: "claude-sonnet-4-5",
		Messages: []oai.ChatCompletionMessageParamUnion{oai.SystemMessage("Be brief."), oai.UserMessage("Say hello.")}}

	t.Run("chat", func(t *testing.T) {
		r, err := c.Chat.Completions.New(ctx, params)
		if err != nil {
			t.Fatal(err)
		}
		if r.Choices[0].Message.Content != "echo: Say hello." || r.Choices[0].FinishReason != "stop" || r.Usage.CompletionTokens == 0 {
			t.Fatalf("chat: %+v", r)
		}
		got, _ := claude.LastRequest("/v1/messages")
		if got.Key != e2eClaudeKey || got.Header.Get("Anthropic-Version") == "" || got.JSON()["system"] != "Be brief." {
			t.Fatalf("upstream request: headers %v body %s", got.Header, got.Body)
		}
	})

	t.Run("stream", func(t *testing.T) {
		stream := c.Chat.Completions.NewStreaming(ctx, params)
		acc := oai.ChatCompletionAccumulator{}
		n := 0
		for stream.Next() {
			acc.AddChunk(stream.Current())
			n++
		}
		if err := stream.Err(); err != nil || n < 3 || acc.Choices[0].Message.Content != "echo: Say hello." ||
			acc.Choices[0].FinishReason != "stop" {
			t.Fatalf("stream: %d chunks, %q, %v", n, acc.Choices[0].Message.Content, err)
		}
	})

	t.Run("tools", func(t *testing.T) {
		p := params
		p.Tools = []oai.ChatCompletionToolUnionParam{oai.ChatCompletionFunctionTool(oai.FunctionDefinitionParam{
			Name: "get_weather", Parameters: oai.FunctionParameters{"type": "object",
				"properties": map[string]any{"input": map[string]any{"type": "string"}}}})}
		r, err := c.Chat.Completions.New(ctx, p)
		if err != nil {
			t.Fatal(err)
		}
		calls := r.Choices[0].Message.ToolCalls
		if len(calls) != 1 || calls[0].Function.Name != "get_weather" || calls[0].Function.Arguments != `{"input":"Say hello."}` ||
			r.Choices[0].FinishReason != "tool_calls" {
			t.Fatalf("tool call: %+v", r.Choices[0])
		}
		p.Messages = append(p.Messages, r.Choices[0].Message.ToParam(), oai.ToolMessage("sunny", calls[0].ID))
		r, err = c.Chat.Completions.New(ctx, p)
		if err != nil || r.Choices[0].Message.Content != "tool said: sunny" {
			t.Fatalf("after the tool: %+v %v", r, err)
		}
	})

	t.Run("image edit", func(t *testing.T) {
		src, err := fake.Picture("source", 64, 64, "png")
		if err != nil {
			t.Fatal(err)
		}
		r, err := c.Images.Edit(ctx, oai.ImageEditParams{Model: "gpt-image-1", Prompt: "add a hat",
			Image: oai.ImageEditParamsImageUnion{OfFile: oai.File(bytes.NewReader(src), "src.png", "image/png")}})
		if err != nil {
			t.Fatal(err)
		}
		want, _ := fake.Picture(fake.EditSeed("add a hat", src, 0), 1024, 1024, "png")
		got, err := base64.StdEncoding.DecodeString(r.Data[0].B64JSON)
		if err != nil || len(r.Data) != 1 || !bytes.Equal(got, want) {
			t.Fatalf("edit: %d images, %v", len(r.Data), err)
		}
		// The native service takes the same request as JSON.
		body, _ := json.Marshal(map[string]any{"model": "gpt-image-1", "prompt": "add a hat", "image": src, "provider": "oa"})
		resp, err := http.Post(h.URL+"/v1/services/image-to-image", "application/json", bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var native struct {
			Model  string `json:"model"`
			Images []struct {
				Data []byte `json:"data"`
			} `json:"images"`
		}
		if err := json.NewDecoder(resp.Body).Decode(&native); err != nil || resp.StatusCode != 200 ||
			len(native.Images) != 1 || !bytes.Equal(native.Images[0].Data, want) {
			t.Fatalf("native image-to-image: %d %v %+v", resp.StatusCode, err, native.Model)
		}
	})

	resp, err := http.Get(h.URL + "/v1/providers")
	if err == nil {
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		answers.Write(b)
	}
	for _, k := range []string{e2eClaudeKey, testKeys[0]} {
		if strings.Contains(logs.String(), k) || strings.Contains(answers.String(), k) {
			t.Errorf("key %s… appears in the host's logs or answers", k[:10])
		}
	}
}
