package openai

// These tests drive the handlers with OpenAI's official Go client, the
// way existing applications will.

import (
	"context"
	"errors"
	"testing"

	oai "github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
	"github.com/roundhouse-ai/roundhouse/host/compat/compattest"
	"github.com/roundhouse-ai/roundhouse/sdk"
)

func officialClient(t *testing.T, fb *compattest.Backend) oai.Client {
	srv := newServer(t, fb, Options{})
	return oai.NewClient(option.WithBaseURL(srv.URL+"/v1/"), option.WithAPIKey("unused"), option.WithMaxRetries(0))
}

func TestOfficialClientModels(t *testing.T) {
	c := officialClient(t, compattest.New())
	ctx := context.Background()
	page, err := c.Models.List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Data) != 3 || page.Data[0].ID != "llama3.2:latest" || page.Data[0].OwnedBy != "ollama" || page.Data[0].Created == 0 {
		t.Fatalf("models %+v", page.Data)
	}
	if plugin := page.Data[0].JSON.ExtraFields["plugin"].Raw(); plugin != `"ollama"` {
		t.Fatalf("plugin extension %q", plugin)
	}
	m, err := c.Models.Get(ctx, "gpt-4o")
	if err != nil || m.ID != "gpt-4o" || m.OwnedBy != "openai" {
		t.Fatalf("get: %+v %v", m, err)
	}
	_, err = c.Models.Get(ctx, "ghost")
	var apiErr *oai.Error
	if !errors.As(err, &apiErr) || apiErr.StatusCode != 404 || apiErr.Code != "model_not_found" {
		t.Fatalf("get unknown: %v", err)
	}
}

func TestOfficialClientChat(t *testing.T) {
	fb := compattest.New()
	c := officialClient(t, fb)
	ctx := context.Background()
	resp, err := c.Chat.Completions.New(ctx, oai.ChatCompletionNewParams{
		Model:       "llama3.2",
		Messages:    []oai.ChatCompletionMessageParamUnion{oai.SystemMessage("be brief"), oai.UserMessage("hi")},
		Temperature: oai.Float(0.3),
		Seed:        oai.Int(42),
		Stop:        oai.ChatCompletionNewParamsStopUnion{OfStringArray: []string{"END"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if resp.Choices[0].Message.Content != "Hello" || resp.Choices[0].FinishReason != "stop" || resp.Usage.TotalTokens != 5 || resp.Object != "chat.completion" {
		t.Fatalf("chat %+v", resp)
	}
	req := fb.Last("Chat").Req.(*sdk.ChatRequest)
	if len(req.Messages) != 2 || req.Messages[0].Role != "system" || *req.Options.Seed != 42 || req.Options.Stop[0] != "END" {
		t.Fatalf("translated request %+v", req)
	}
}

func TestOfficialClientChatStream(t *testing.T) {
	fb := compattest.New()
	c := officialClient(t, fb)
	stream := c.Chat.Completions.NewStreaming(context.Background(), oai.ChatCompletionNewParams{
		Model:         "llama3.2",
		Messages:      []oai.ChatCompletionMessageParamUnion{oai.UserMessage("hi")},
		StreamOptions: oai.ChatCompletionStreamOptionsParam{IncludeUsage: oai.Bool(true)},
	})
	acc := oai.ChatCompletionAccumulator{}
	for stream.Next() {
		acc.AddChunk(stream.Current())
	}
	if err := stream.Err(); err != nil {
		t.Fatal(err)
	}
	if acc.Choices[0].Message.Content != "Hello" || acc.Choices[0].FinishReason != "stop" || acc.Usage.TotalTokens != 5 {
		t.Fatalf("accumulated %+v", acc.ChatCompletion)
	}
}

func TestOfficialClientChatStreamToolCalls(t *testing.T) {
	fb := compattest.New()
	fb.Chunks = []*sdk.ChatChunk{
		{ToolCalls: []sdk.ToolCall{{Index: 0, ID: "call_1", Name: "get_weather"}}},
		{ToolCalls: []sdk.ToolCall{{Index: 0, Arguments: `{"city":`}}},
		{ToolCalls: []sdk.ToolCall{{Index: 0, Arguments: `"Paris"}`}}},
		{Done: true, FinishReason: "tool_calls"},
	}
	c := officialClient(t, fb)
	stream := c.Chat.Completions.NewStreaming(context.Background(), oai.ChatCompletionNewParams{
		Model:    "llama3.2",
		Messages: []oai.ChatCompletionMessageParamUnion{oai.UserMessage("weather in Paris?")},
	})
	acc := oai.ChatCompletionAccumulator{}
	var finished []oai.FinishedChatCompletionToolCall
	for stream.Next() {
		acc.AddChunk(stream.Current())
		if tc, ok := acc.JustFinishedToolCall(); ok {
			finished = append(finished, tc)
		}
	}
	if err := stream.Err(); err != nil {
		t.Fatal(err)
	}
	tcs := acc.Choices[0].Message.ToolCalls
	if len(tcs) != 1 || tcs[0].ID != "call_1" || tcs[0].Function.Name != "get_weather" || tcs[0].Function.Arguments != `{"city":"Paris"}` ||
		acc.Choices[0].FinishReason != "tool_calls" {
		t.Fatalf("tool calls %+v", acc.Choices[0])
	}
	if len(finished) != 1 || finished[0].Arguments != `{"city":"Paris"}` {
		t.Fatalf("finished %+v", finished)
	}
}

func TestOfficialClientStreamError(t *testing.T) {
	fb := compattest.New()
	fb.Chunks = []*sdk.ChatChunk{{Content: "par"}}
	fb.StreamErr = sdk.Errorf(sdk.CodeEngineUnavailable, "engine crashed")
	c := officialClient(t, fb)
	stream := c.Chat.Completions.NewStreaming(context.Background(), oai.ChatCompletionNewParams{
		Model: "llama3.2", Messages: []oai.ChatCompletionMessageParamUnion{oai.UserMessage("hi")},
	})
	for stream.Next() {
	}
	if err := stream.Err(); err == nil {
		t.Fatal("the client saw no error")
	}
}

func TestOfficialClientEmbeddingsAndCompletions(t *testing.T) {
	c := officialClient(t, compattest.New())
	ctx := context.Background()
	for _, format := range []oai.EmbeddingNewParamsEncodingFormat{"", oai.EmbeddingNewParamsEncodingFormatFloat} {
		emb, err := c.Embeddings.New(ctx, oai.EmbeddingNewParams{
			Model:          "all-minilm",
			Input:          oai.EmbeddingNewParamsInputUnion{OfArrayOfStrings: []string{"abc", "de"}},
			EncodingFormat: format,
		})
		if err != nil {
			t.Fatal(err)
		}
		if len(emb.Data) != 2 || emb.Data[0].Embedding[0] != 3 || emb.Data[1].Embedding[0] != 2 || emb.Data[1].Index != 1 {
			t.Fatalf("embeddings %+v", emb.Data)
		}
	}
	comp, err := c.Completions.New(ctx, oai.CompletionNewParams{
		Model:  "llama3.2",
		Prompt: oai.CompletionNewParamsPromptUnion{OfString: oai.String("Say")},
	})
	if err != nil || comp.Choices[0].Text != "Hello" {
		t.Fatalf("completion %+v %v", comp, err)
	}
}

func TestOfficialClientUnknownModel(t *testing.T) {
	c := officialClient(t, compattest.New())
	_, err := c.Chat.Completions.New(context.Background(), oai.ChatCompletionNewParams{
		Model: "ghost", Messages: []oai.ChatCompletionMessageParamUnion{oai.UserMessage("hi")},
	})
	var apiErr *oai.Error
	if !errors.As(err, &apiErr) {
		t.Fatalf("error %T %v", err, err)
	}
	if apiErr.StatusCode != 404 || apiErr.Code != "model_not_found" || apiErr.Type != "invalid_request_error" || apiErr.Param != "model" {
		t.Fatalf("api error %d %q %q %q %q", apiErr.StatusCode, apiErr.Code, apiErr.Type, apiErr.Param, apiErr.Message)
	}
}
