package fake

// These tests drive the fake with the official openai-go client: what it
// sends is what the API reference specifies, and what it accepts back is
// what the real API answers. A fake that drifted from the protocol would
// fail here.

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
	"github.com/openai/openai-go/v3/shared"
)

const key = "sk-fake-test-00000000000000000abc"

func client(t *testing.T, opts Options) (openai.Client, *Server) {
	t.Helper()
	if opts.Keys == nil {
		opts.Keys = []string{key}
	}
	s := NewServer(opts)
	t.Cleanup(s.Close)
	return openai.NewClient(option.WithAPIKey(key), option.WithBaseURL(s.URL+"/"), option.WithMaxRetries(0)), s
}

func apiError(t *testing.T, err error, status int, code string) *openai.Error {
	t.Helper()
	var e *openai.Error
	if !errors.As(err, &e) {
		t.Fatalf("err %v is not an API error", err)
	}
	if e.StatusCode != status || e.Code != code {
		t.Fatalf("got %d %q (%s), want %d %q", e.StatusCode, e.Code, e.Message, status, code)
	}
	return e
}

func TestAuth(t *testing.T) {
	_, s := client(t, Options{})
	bad := openai.NewClient(option.WithAPIKey("sk-wrong-key-000000000000wxyz"), option.WithBaseURL(s.URL+"/"), option.WithMaxRetries(0))
	_, err := bad.Models.List(context.Background())
	e := apiError(t, err, 401, "invalid_api_key")
	if strings.Contains(e.Message, "000000000000") || !strings.HasSuffix(strings.Split(e.Message, ".")[0], "wxyz") {
		t.Fatalf("message %q", e.Message)
	}
	res, err := http.Get(s.URL + "/models")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 401 {
		t.Fatalf("no key: %d", res.StatusCode)
	}
}

func TestModels(t *testing.T) {
	c, _ := client(t, Options{Models: []string{"a", "b"}})
	page, err := c.Models.List(context.Background())
	if err != nil || len(page.Data) != 2 || page.Data[0].ID != "a" {
		t.Fatalf("%+v %v", page, err)
	}
	m, err := c.Models.Get(context.Background(), "b")
	if err != nil || m.ID != "b" {
		t.Fatalf("%+v %v", m, err)
	}
	_, err = c.Models.Get(context.Background(), "zzz")
	apiError(t, err, 404, "model_not_found")
}

func TestChatCompletion(t *testing.T) {
	c, s := client(t, Options{})
	ctx := context.Background()
	res, err := c.Chat.Completions.New(ctx, openai.ChatCompletionNewParams{
		Model:    "gpt-4o-mini",
		Messages: []openai.ChatCompletionMessageParamUnion{openai.SystemMessage("be nice"), openai.UserMessage("hello world")},
	})
	if err != nil {
		t.Fatal(err)
	}
	if res.Choices[0].Message.Content != "echo: hello world" || res.Choices[0].FinishReason != "stop" || res.Usage.TotalTokens == 0 {
		t.Fatalf("%+v", res)
	}
	if r, _ := s.LastRequest("/v1/chat/completions"); r.Key != key {
		t.Fatalf("key %q", r.Key)
	}

	// Streaming with usage, accumulated by the official accumulator.
	stream := c.Chat.Completions.NewStreaming(ctx, openai.ChatCompletionNewParams{
		Model:         "gpt-4o-mini",
		Messages:      []openai.ChatCompletionMessageParamUnion{openai.UserMessage("stream me please")},
		StreamOptions: openai.ChatCompletionStreamOptionsParam{IncludeUsage: openai.Bool(true)},
	})
	acc := openai.ChatCompletionAccumulator{}
	n := 0
	for stream.Next() {
		acc.AddChunk(stream.Current())
		n++
	}
	if err := stream.Err(); err != nil {
		t.Fatal(err)
	}
	if acc.Choices[0].Message.Content != "echo: stream me please" || acc.Usage.TotalTokens == 0 || n < 4 {
		t.Fatalf("accumulated %+v after %d chunks", acc.ChatCompletion, n)
	}

	// Tools: a streamed call whose arguments come in pieces.
	tool := openai.ChatCompletionFunctionTool(shared.FunctionDefinitionParam{Name: "lookup",
		Parameters: shared.FunctionParameters{"type": "object"}})
	stream = c.Chat.Completions.NewStreaming(ctx, openai.ChatCompletionNewParams{
		Model: "gpt-4o-mini", Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("find Paris")},
		Tools: []openai.ChatCompletionToolUnionParam{tool},
	})
	acc = openai.ChatCompletionAccumulator{}
	var finished []openai.FinishedChatCompletionToolCall
	for stream.Next() {
		acc.AddChunk(stream.Current())
		if tc, ok := acc.JustFinishedToolCall(); ok {
			finished = append(finished, tc)
		}
	}
	if err := stream.Err(); err != nil {
		t.Fatal(err)
	}
	if len(finished) != 1 || finished[0].Name != "lookup" || finished[0].Arguments != `{"input":"find Paris"}` {
		t.Fatalf("tool calls %+v", finished)
	}

	// Errors the reference documents.
	_, err = c.Chat.Completions.New(ctx, openai.ChatCompletionNewParams{Model: "nope",
		Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("x")}})
	apiError(t, err, 404, "model_not_found")
	_, err = c.Chat.Completions.New(ctx, openai.ChatCompletionNewParams{Model: "gpt-4o-mini",
		Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage(strings.Repeat("x", 200000))}})
	apiError(t, err, 400, "context_length_exceeded")
	_, err = c.Chat.Completions.New(ctx, openai.ChatCompletionNewParams{Model: "gpt-4o-mini", Temperature: openai.Float(5),
		Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("x")}})
	if e := apiError(t, err, 400, ""); e.Param != "temperature" {
		t.Fatalf("param %q", e.Param)
	}
}

func TestCompletions(t *testing.T) {
	c, _ := client(t, Options{})
	res, err := c.Completions.New(context.Background(), openai.CompletionNewParams{Model: "gpt-3.5-turbo-instruct",
		Prompt: openai.CompletionNewParamsPromptUnion{OfString: openai.String("say this")}, MaxTokens: openai.Int(2)})
	if err != nil {
		t.Fatal(err)
	}
	if res.Choices[0].Text != "echo: say" || res.Choices[0].FinishReason != "length" {
		t.Fatalf("%+v", res.Choices[0])
	}
	stream := c.Completions.NewStreaming(context.Background(), openai.CompletionNewParams{Model: "gpt-3.5-turbo-instruct",
		Prompt: openai.CompletionNewParamsPromptUnion{OfString: openai.String("a b c")}})
	var text strings.Builder
	for stream.Next() {
		for _, ch := range stream.Current().Choices {
			text.WriteString(ch.Text)
		}
	}
	if stream.Err() != nil || text.String() != "echo: a b c" {
		t.Fatalf("%q %v", text.String(), stream.Err())
	}
}

func TestEmbeddings(t *testing.T) {
	c, _ := client(t, Options{})
	for _, format := range []openai.EmbeddingNewParamsEncodingFormat{openai.EmbeddingNewParamsEncodingFormatFloat, openai.EmbeddingNewParamsEncodingFormatBase64} {
		res, err := c.Embeddings.New(context.Background(), openai.EmbeddingNewParams{Model: "text-embedding-3-small",
			Input:          openai.EmbeddingNewParamsInputUnion{OfArrayOfStrings: []string{"x", "y"}},
			EncodingFormat: format, Dimensions: openai.Int(8)})
		if err != nil {
			t.Fatal(err)
		}
		want := Vector("y", 8)
		if len(res.Data) != 2 || res.Data[1].Index != 1 || len(res.Data[1].Embedding) != 8 || float32(res.Data[1].Embedding[3]) != want[3] {
			t.Fatalf("%s: %+v", format, res.Data)
		}
	}
	_, err := c.Embeddings.New(context.Background(), openai.EmbeddingNewParams{Model: "text-embedding-ada-002",
		Input: openai.EmbeddingNewParamsInputUnion{OfString: openai.String("x")}, Dimensions: openai.Int(8)})
	apiError(t, err, 400, "")
}

func TestImages(t *testing.T) {
	c, _ := client(t, Options{})
	ctx := context.Background()
	res, err := c.Images.Generate(ctx, openai.ImageGenerateParams{Model: "dall-e-3", Prompt: "a cat",
		ResponseFormat: openai.ImageGenerateParamsResponseFormatB64JSON, Size: "1792x1024"})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Data) != 1 || res.Data[0].B64JSON == "" || res.Data[0].RevisedPrompt == "" {
		t.Fatalf("%+v", res)
	}
	res, err = c.Images.Generate(ctx, openai.ImageGenerateParams{Model: "gpt-image-1", Prompt: "a cat", N: openai.Int(2)})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Data) != 2 || res.OutputFormat != "png" || res.Usage.TotalTokens == 0 {
		t.Fatalf("%+v", res)
	}
	res, err = c.Images.Generate(ctx, openai.ImageGenerateParams{Model: "dall-e-2", Prompt: "a cat", Size: "256x256"})
	if err != nil {
		t.Fatal(err)
	}
	get, err := http.Get(res.Data[0].URL) // dall-e's default is a URL
	if err != nil {
		t.Fatal(err)
	}
	img, _ := io.ReadAll(get.Body)
	get.Body.Close()
	if get.Header.Get("Content-Type") != "image/png" || !bytes.HasPrefix(img, []byte("\x89PNG")) {
		t.Fatalf("%s %d bytes", get.Header.Get("Content-Type"), len(img))
	}
	_, err = c.Images.Generate(ctx, openai.ImageGenerateParams{Model: "dall-e-3", Prompt: "a cat", N: openai.Int(2)})
	apiError(t, err, 400, "")
	_, err = c.Images.Generate(ctx, openai.ImageGenerateParams{Model: "dall-e-3", Prompt: PolicyTrigger})
	apiError(t, err, 400, "content_policy_violation")
}

func TestSpeechAndTranscription(t *testing.T) {
	c, s := client(t, Options{})
	ctx := context.Background()
	res, err := c.Audio.Speech.New(ctx, openai.AudioSpeechNewParams{Model: "gpt-4o-mini-tts", Input: "hello from the fake",
		Voice: openai.AudioSpeechNewParamsVoiceUnion{OfString: openai.String("alloy")}, ResponseFormat: openai.AudioSpeechNewParamsResponseFormatWAV})
	if err != nil {
		t.Fatal(err)
	}
	audio, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.Header.Get("Content-Type") != "audio/wav" || !bytes.HasPrefix(audio, []byte("RIFF")) {
		t.Fatalf("%s", res.Header.Get("Content-Type"))
	}
	if d, ok := wavDuration(audio); !ok || d < 1 {
		t.Fatalf("duration %v %v", d, ok)
	}

	tr, err := c.Audio.Transcriptions.New(ctx, openai.AudioTranscriptionNewParams{Model: "whisper-1",
		File: openai.File(bytes.NewReader(audio), "speech.wav", "audio/wav"), Language: openai.String("en"),
		ResponseFormat: openai.AudioResponseFormatVerboseJSON})
	if err != nil {
		t.Fatal(err)
	}
	if tr.Text != "hello from the fake" || tr.Language != "english" || len(tr.Segments) != 1 || tr.Duration <= 0 {
		t.Fatalf("%+v", tr)
	}
	r, _ := s.LastRequest("/v1/audio/transcriptions")
	if r.FileName != "speech.wav" || !bytes.Equal(r.FileData, audio) || r.Form["model"][0] != "whisper-1" {
		t.Fatalf("upload %q %v", r.FileName, r.Form)
	}
	_, err = c.Audio.Transcriptions.New(ctx, openai.AudioTranscriptionNewParams{Model: "whisper-1",
		File: openai.File(strings.NewReader("hi"), "notes.txt", "text/plain")})
	if e := apiError(t, err, 400, ""); e.Param != "file" {
		t.Fatalf("param %q", e.Param)
	}
	_, err = c.Audio.Speech.New(ctx, openai.AudioSpeechNewParams{Model: "tts-1", Input: "x", Instructions: openai.String("calm"),
		Voice: openai.AudioSpeechNewParamsVoiceUnion{OfString: openai.String("alloy")}})
	apiError(t, err, 400, "")
}
