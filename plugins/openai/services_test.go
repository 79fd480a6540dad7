package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/roundhouse-ai/roundhouse/internal/openaitest/fake"
	"github.com/roundhouse-ai/roundhouse/sdk"
)

func TestNotConfigured(t *testing.T) {
	p := newTestPlugin(t)
	_, err := p.Chat(context.Background(), userChat("gpt-4o-mini", "hi"))
	e := wantCode(t, err, sdk.CodePluginNotConfigured)
	if !strings.Contains(e.Message, "POST /v1/providers") {
		t.Fatalf("the error should say how to add a provider: %q", e.Message)
	}
	for _, call := range []func() error{
		func() error {
			return p.ChatStream(context.Background(), userChat("m", "x"), func(*sdk.ChatChunk) error { return nil })
		},
		func() error {
			_, err := p.Embed(context.Background(), &sdk.EmbedRequest{Input: []string{"x"}})
			return err
		},
		func() error { _, err := p.TestProvider(context.Background(), "main"); return err },
	} {
		wantCode(t, call(), sdk.CodePluginNotConfigured)
	}
	h, _ := p.Health(context.Background())
	if h.State != sdk.HealthNotServing || !strings.Contains(h.Message, "POST /v1/providers") {
		t.Fatalf("health %+v", h)
	}
	list, err := p.ListProviders(context.Background())
	if err != nil || len(list) != 0 {
		t.Fatalf("ListProviders = %v, %v", list, err)
	}
}

func TestChat(t *testing.T) {
	srv := startFake(t, fake.Options{})
	p := newTestPlugin(t)
	configure(t, p, prov("main", srv.URL, fakeKey))

	temp, max, seed := 0.5, 50, int64(7)
	req := userChat("gpt-4o-mini", "hello there")
	req.Messages = append([]sdk.Message{{Role: "system", Content: "be brief"}}, req.Messages...)
	req.Options = &sdk.Options{Temperature: &temp, MaxTokens: &max, Seed: &seed, Stop: []string{"END"}}
	resp, err := p.Chat(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	if resp.Message.Content != "echo: hello there" || resp.Message.Role != "assistant" || resp.FinishReason != "stop" {
		t.Fatalf("resp %+v", resp)
	}
	if resp.Usage == nil || resp.Usage.TotalTokens == 0 || resp.Model != "gpt-4o-mini" {
		t.Fatalf("usage/model %+v", resp)
	}
	r, _ := srv.LastRequest("/v1/chat/completions")
	if r.Key != fakeKey {
		t.Fatalf("sent key %q", r.Key)
	}
	body := r.JSON()
	if body["max_tokens"] != 50.0 || body["max_completion_tokens"] != nil {
		t.Fatalf("a compatible server gets max_tokens: %v", body)
	}
	if body["temperature"] != 0.5 || body["seed"] != 7.0 || body["stream"] != nil || body["stream_options"] != nil {
		t.Fatalf("body %v", body)
	}
	if ua := r.Header.Get("User-Agent"); !strings.HasPrefix(ua, "roundhouse-plugin-openai/") {
		t.Fatalf("user agent %q", ua)
	}
}

func TestChatStream(t *testing.T) {
	for _, field := range []string{"reasoning_content", "reasoning"} {
		t.Run(field, func(t *testing.T) {
			srv := startFake(t, fake.Options{ReasoningField: field, Chat: func(req *fake.ChatRequest) (*fake.Reply, error) {
				return &fake.Reply{Reasoning: "let me think about it", Content: "the answer is 42"}, nil
			}})
			p := newTestPlugin(t)
			configure(t, p, prov("main", srv.URL, fakeKey))
			var chunks []*sdk.ChatChunk
			err := p.ChatStream(context.Background(), userChat("gpt-4o-mini", "q"), func(c *sdk.ChatChunk) error {
				chunks = append(chunks, c)
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			var content, thinking strings.Builder
			for i, c := range chunks {
				content.WriteString(c.Content)
				thinking.WriteString(c.Thinking)
				if c.Done != (i == len(chunks)-1) {
					t.Fatalf("only the last chunk is done: %d of %d", i, len(chunks))
				}
			}
			if content.String() != "the answer is 42" || thinking.String() != "let me think about it" {
				t.Fatalf("content %q thinking %q", content.String(), thinking.String())
			}
			if chunks[0].Role != "assistant" {
				t.Fatalf("first chunk %+v", chunks[0])
			}
			last := chunks[len(chunks)-1]
			if last.FinishReason != "stop" || last.Usage == nil || last.Usage.CompletionTokens == 0 {
				t.Fatalf("last chunk %+v (usage %+v)", last, last.Usage)
			}
			r, _ := srv.LastRequest("/v1/chat/completions")
			body := r.JSON()
			if body["stream"] != true || body["stream_options"].(map[string]any)["include_usage"] != true {
				t.Fatalf("body %v", body)
			}
			if r.Header.Get("Accept") != "text/event-stream" {
				t.Fatalf("accept %q", r.Header.Get("Accept"))
			}
		})
	}
}

func TestChatToolsRoundTrip(t *testing.T) {
	srv := startFake(t, fake.Options{})
	p := newTestPlugin(t)
	configure(t, p, prov("main", srv.URL, fakeKey))
	tools := []sdk.Tool{{Name: "get_weather", Description: "weather for a city",
		Parameters: map[string]any{"type": "object", "properties": map[string]any{"input": map[string]any{"type": "string"}}}}}
	req := userChat("gpt-4o-mini", "Paris")
	req.Tools = tools

	resp, err := p.Chat(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	if len(resp.Message.ToolCalls) != 1 || resp.FinishReason != "tool_calls" {
		t.Fatalf("resp %+v", resp)
	}
	tc := resp.Message.ToolCalls[0]
	if tc.Name != "get_weather" || tc.Arguments != `{"input":"Paris"}` || !strings.HasPrefix(tc.ID, "call_") {
		t.Fatalf("tool call %+v", tc)
	}

	// The same through a stream: argument fragments are accumulated.
	var calls []sdk.ToolCall
	var finish string
	err = p.ChatStream(context.Background(), req, func(c *sdk.ChatChunk) error {
		calls = append(calls, c.ToolCalls...)
		if c.Done {
			finish = c.FinishReason
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(calls) != 1 || calls[0].Name != "get_weather" || calls[0].Arguments != `{"input":"Paris"}` || calls[0].ID == "" || finish != "tool_calls" {
		t.Fatalf("streamed calls %+v finish %q", calls, finish)
	}

	// Answer the call.
	req.Messages = append(req.Messages, resp.Message, sdk.Message{Role: "tool", ToolCallID: tc.ID, Content: "sunny"})
	resp, err = p.Chat(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	if resp.Message.Content != "tool said: sunny" {
		t.Fatalf("resp %+v", resp)
	}
	r, _ := srv.LastRequest("/v1/chat/completions")
	var sent struct {
		Messages []map[string]any `json:"messages"`
		Tools    []map[string]any `json:"tools"`
	}
	json.Unmarshal(r.Body, &sent)
	asst := sent.Messages[1]
	if asst["content"] != nil || asst["tool_calls"] == nil {
		t.Fatalf("assistant tool turn: %v", asst)
	}
	if sent.Messages[2]["tool_call_id"] != tc.ID || sent.Tools[0]["type"] != "function" {
		t.Fatalf("tool message %v tools %v", sent.Messages[2], sent.Tools)
	}
}

func TestChatErrorsFromUpstream(t *testing.T) {
	srv := startFake(t, fake.Options{ContextLimit: 100})
	p := newTestPlugin(t)
	configure(t, p, prov("main", srv.URL, fakeKey))
	ctx := context.Background()

	_, err := p.Chat(ctx, userChat("gpt-nope", "hi"))
	wantCode(t, err, sdk.CodeModelNotFound)

	e := wantCode(t, func() error { _, err := p.Chat(ctx, userChat("gpt-4o-mini", strings.Repeat("long ", 100))); return err }(),
		sdk.CodeContextTooLong)
	if e.Field != "messages" {
		t.Fatalf("field %q", e.Field)
	}

	bad := 3.0
	req := userChat("gpt-4o-mini", "hi")
	req.Options = &sdk.Options{Temperature: &bad}
	e = wantCode(t, func() error { _, err := p.Chat(ctx, req); return err }(), sdk.CodeInvalidArgument)
	if e.Field != "temperature" {
		t.Fatalf("field %q", e.Field)
	}
	// The same error from a stream (before anything was sent).
	err = p.ChatStream(ctx, req, func(*sdk.ChatChunk) error { return nil })
	wantCode(t, err, sdk.CodeInvalidArgument)

	// Errors from the plugin's own checks.
	_, err = p.Chat(ctx, &sdk.ChatRequest{Model: "gpt-4o-mini"})
	if e := wantCode(t, err, sdk.CodeInvalidArgument); e.Field != "messages" {
		t.Fatalf("field %q", e.Field)
	}
	// Nothing reached the upstream for the bad requests: a client error
	// is not counted against the key.
	if st := keyStatus(t, p, "main", sdk.MaskKey(fakeKey)); st.Failures != 0 || st.State != stateOK {
		t.Fatalf("key %+v", st)
	}
}

func TestChatContentFilterAndErrorInStream(t *testing.T) {
	srv := startFake(t, fake.Options{Chat: func(req *fake.ChatRequest) (*fake.Reply, error) {
		return nil, &fake.APIError{Status: 400, Code: "content_filter", Message: "The response was filtered due to the prompt triggering content management policy."}
	}})
	p := newTestPlugin(t)
	configure(t, p, prov("main", srv.URL, fakeKey))
	_, err := p.Chat(context.Background(), userChat("gpt-4o-mini", "bad"))
	wantCode(t, err, sdk.CodeContentFiltered)
}

func TestGenerate(t *testing.T) {
	srv := startFake(t, fake.Options{})
	p := newTestPlugin(t)
	configure(t, p, prov("main", srv.URL, fakeKey))
	max := 40
	req := &sdk.GenerateRequest{Model: "gpt-3.5-turbo-instruct", System: "You complete text.", Prompt: "once upon a time",
		Options: &sdk.Options{MaxTokens: &max}}
	resp, err := p.Generate(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	if resp.Text != "echo: once upon a time" || resp.FinishReason != "stop" || resp.Usage == nil {
		t.Fatalf("resp %+v", resp)
	}
	r, _ := srv.LastRequest("/v1/completions")
	if b := r.JSON(); b["prompt"] != "You complete text.\n\nonce upon a time" || b["max_tokens"] != 40.0 {
		t.Fatalf("body %v", b)
	}

	var text strings.Builder
	var last *sdk.GenerateChunk
	err = p.GenerateStream(context.Background(), req, func(c *sdk.GenerateChunk) error {
		text.WriteString(c.Text)
		last = c
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if text.String() != "echo: once upon a time" || !last.Done || last.Usage == nil || last.FinishReason != "stop" {
		t.Fatalf("text %q last %+v", text.String(), last)
	}

	_, err = p.Generate(context.Background(), &sdk.GenerateRequest{Model: "gpt-3.5-turbo-instruct", Prompt: "x", Images: [][]byte{{1}}})
	wantCode(t, err, sdk.CodeInvalidArgument)
}

func TestEmbed(t *testing.T) {
	srv := startFake(t, fake.Options{})
	p := newTestPlugin(t)
	configure(t, p, prov("main", srv.URL, fakeKey))
	for _, format := range []string{"", "float", "base64"} {
		req := &sdk.EmbedRequest{Model: "text-embedding-3-small", Input: []string{"alpha", "beta"}, Dimensions: 64}
		if format != "" {
			req.Extra = map[string]any{"encoding_format": format}
		}
		resp, err := p.Embed(context.Background(), req)
		if err != nil {
			t.Fatal(err)
		}
		if len(resp.Embeddings) != 2 || resp.Usage == nil {
			t.Fatalf("%s: resp %+v", format, resp)
		}
		for i, in := range req.Input {
			want := fake.Vector(in, 64)
			if len(resp.Embeddings[i]) != 64 {
				t.Fatalf("%s: %d dims", format, len(resp.Embeddings[i]))
			}
			for j := range want {
				if resp.Embeddings[i][j] != want[j] {
					t.Fatalf("%s: vector %d differs at %d: %v vs %v", format, i, j, resp.Embeddings[i][j], want[j])
				}
			}
		}
		r, _ := srv.LastRequest("/v1/embeddings")
		want := format
		if want == "" {
			want = "float"
		}
		if b := r.JSON(); b["encoding_format"] != want || b["dimensions"] != 64.0 {
			t.Fatalf("body %v", b)
		}
	}
	_, err := p.Embed(context.Background(), &sdk.EmbedRequest{Input: []string{"ok", ""}})
	if e := wantCode(t, err, sdk.CodeInvalidArgument); e.Field != "input[1]" {
		t.Fatalf("field %q", e.Field)
	}
}

func TestTextToImage(t *testing.T) {
	srv := startFake(t, fake.Options{})
	p := newTestPlugin(t)
	configure(t, p, prov("main", srv.URL, fakeKey))
	ctx := context.Background()

	resp, err := p.TextToImage(ctx, &sdk.TextToImageRequest{Model: "dall-e-3", Prompt: "a red fox", Size: "1024x1024", Quality: "hd", Style: "vivid"})
	if err != nil {
		t.Fatal(err)
	}
	img := resp.Images[0]
	if len(resp.Images) != 1 || img.MIMEType != "image/png" || !bytes.HasPrefix(img.Data, []byte("\x89PNG")) ||
		!strings.Contains(img.RevisedPrompt, "a red fox") {
		t.Fatalf("image %+v", img.MIMEType)
	}
	r, _ := srv.LastRequest("/v1/images/generations")
	if b := r.JSON(); b["response_format"] != "b64_json" || b["style"] != "vivid" {
		t.Fatalf("body %v", b)
	}

	// GPT image models take no response_format and answer in base64.
	resp, err = p.TextToImage(ctx, &sdk.TextToImageRequest{Model: "gpt-image-1", Prompt: "a fox", N: 2, Size: "1024x1024",
		Extra: map[string]any{"output_format": "jpeg", "quality": "low"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(resp.Images) != 2 || resp.Images[0].MIMEType != "image/jpeg" || !bytes.HasPrefix(resp.Images[1].Data, []byte{0xff, 0xd8}) {
		t.Fatalf("gpt-image answer: %d images, %s", len(resp.Images), resp.Images[0].MIMEType)
	}

	// A URL answer stays a URL.
	resp, err = p.TextToImage(ctx, &sdk.TextToImageRequest{Model: "dall-e-2", Prompt: "a fox", Size: "256x256",
		Extra: map[string]any{"response_format": "url"}})
	if err != nil {
		t.Fatal(err)
	}
	if u := resp.Images[0].URL; !strings.HasPrefix(u, "http://") || resp.Images[0].Data != nil {
		t.Fatalf("url answer %+v", resp.Images[0])
	} else if res, err := http.Get(u); err != nil || res.StatusCode != 200 {
		t.Fatalf("GET %s: %v", u, err)
	} else {
		res.Body.Close()
	}

	_, err = p.TextToImage(ctx, &sdk.TextToImageRequest{Model: "dall-e-3", Prompt: "something " + fake.PolicyTrigger})
	wantCode(t, err, sdk.CodeContentFiltered)
	_, err = p.TextToImage(ctx, &sdk.TextToImageRequest{Model: "dall-e-3", Prompt: "x", Size: "7x7"})
	if e := wantCode(t, err, sdk.CodeInvalidArgument); e.Field != "size" {
		t.Fatalf("field %q", e.Field)
	}
}

func TestTextToSpeechAndBack(t *testing.T) {
	srv := startFake(t, fake.Options{})
	p := newTestPlugin(t)
	configure(t, p, prov("main", srv.URL, fakeKey))
	ctx := context.Background()

	text := "Roundhouse speaks. It also listens."
	resp, err := p.TextToSpeech(ctx, &sdk.TextToSpeechRequest{Model: "gpt-4o-mini-tts", Input: text, Voice: "coral",
		Format: "wav", Instructions: "calm", Speed: 1.25})
	if err != nil {
		t.Fatal(err)
	}
	if resp.MIMEType != "audio/wav" || !bytes.HasPrefix(resp.Audio, []byte("RIFF")) {
		t.Fatalf("mime %s, %d bytes", resp.MIMEType, len(resp.Audio))
	}
	r, _ := srv.LastRequest("/v1/audio/speech")
	if b := r.JSON(); b["voice"] != "coral" || b["response_format"] != "wav" || b["speed"] != 1.25 || b["instructions"] != "calm" {
		t.Fatalf("body %v", b)
	}

	// Defaults: voice alloy, mp3.
	mp3, err := p.TextToSpeech(ctx, &sdk.TextToSpeechRequest{Model: "tts-1", Input: "hi"})
	if err != nil {
		t.Fatal(err)
	}
	if mp3.MIMEType != "audio/mpeg" || mp3.Audio[0] != 0xff {
		t.Fatalf("mp3 %s", mp3.MIMEType)
	}

	// Streamed speech joins to the same bytes.
	var joined []byte
	var done bool
	err = p.TextToSpeechStream(ctx, &sdk.TextToSpeechRequest{Model: "gpt-4o-mini-tts", Input: text, Voice: "coral",
		Format: "wav", Instructions: "calm", Speed: 1.25}, func(c *sdk.AudioChunk) error {
		joined = append(joined, c.Data...)
		done = c.Done
		return nil
	})
	if err != nil || !done || !bytes.Equal(joined, resp.Audio) {
		t.Fatalf("stream: err %v done %v, %d vs %d bytes", err, done, len(joined), len(resp.Audio))
	}

	// Transcribe the speech back.
	stt, err := p.SpeechToText(ctx, &sdk.SpeechToTextRequest{Model: "whisper-1", Audio: resp.Audio, Filename: "clip.wav", Language: "en"})
	if err != nil {
		t.Fatal(err)
	}
	if stt.Text != text {
		t.Fatalf("transcript %q", stt.Text)
	}
	temp := 0.2
	stt, err = p.SpeechToText(ctx, &sdk.SpeechToTextRequest{Model: "whisper-1", Audio: resp.Audio, MIMEType: "audio/wav",
		Temperature: &temp, Prompt: "names: Roundhouse", Extra: map[string]any{"timestamp_granularities": []any{"segment", "word"}}})
	if err != nil {
		t.Fatal(err)
	}
	if stt.Text != text || stt.Language != "english" || stt.Duration <= 0 || len(stt.Segments) != 2 ||
		stt.Segments[1].Text != "It also listens." || stt.Segments[1].End != stt.Duration {
		t.Fatalf("verbose transcript %+v", stt)
	}
	r, _ = srv.LastRequest("/v1/audio/transcriptions")
	if r.FileName != "audio.wav" || r.Form["response_format"][0] != "verbose_json" || r.Form["temperature"][0] != "0.2" ||
		strings.Join(r.Form["timestamp_granularities[]"], ",") != "segment,word" || r.Form["prompt"][0] != "names: Roundhouse" {
		t.Fatalf("upload: file %q form %v", r.FileName, r.Form)
	}

	srt, err := p.SpeechToText(ctx, &sdk.SpeechToTextRequest{Audio: resp.Audio, Filename: "a.wav", Extra: map[string]any{"response_format": "srt"}})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(srt.Text, "1\n00:00:00,000 --> ") || srt.Model != "whisper-1" {
		t.Fatalf("srt %q", srt.Text)
	}

	_, err = p.SpeechToText(ctx, &sdk.SpeechToTextRequest{Audio: []byte("x"), Filename: "notes.txt"})
	if e := wantCode(t, err, sdk.CodeInvalidArgument); e.Field != "file" {
		t.Fatalf("field %q", e.Field)
	}
}

func TestSendFailsPromptlyWhenCallerStops(t *testing.T) {
	srv := startFake(t, fake.Options{})
	p := newTestPlugin(t)
	configure(t, p, prov("main", srv.URL, fakeKey))
	stop := errors.New("caller gone")
	n := 0
	err := p.ChatStream(context.Background(), userChat("gpt-4o-mini", "one two three four five"), func(*sdk.ChatChunk) error {
		n++
		if n == 2 {
			return stop
		}
		return nil
	})
	if !errors.Is(err, stop) || n != 2 {
		t.Fatalf("err %v after %d chunks", err, n)
	}
	if st := keyStatus(t, p, "main", sdk.MaskKey(fakeKey)); st.Failures != 0 {
		t.Fatalf("a caller going away is not the key's failure: %+v", st)
	}
}

func TestChatRequestMapping(t *testing.T) {
	srv := startFake(t, fake.Options{})
	p := newTestPlugin(t)
	configure(t, p, prov("main", srv.URL, fakeKey))
	png := []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
	topP, pp, fp := 0.9, 0.1, 0.2
	req := &sdk.ChatRequest{Model: "gpt-4o-mini",
		Messages: []sdk.Message{{Role: "user", Content: "what is this?", Images: [][]byte{png}, Name: "ann"}},
		Options: &sdk.Options{TopP: &topP, PresencePenalty: &pp, FrequencyPenalty: &fp, Think: "High", Stop: []string{"a", "b"},
			ResponseFormat: &sdk.ResponseFormat{Type: "json_schema", Name: "my schema!", Strict: true,
				Schema: map[string]any{"type": "object"}}},
		Extra: map[string]any{"user": "u-1", "temperature": nil, "stream": true, "parallel_tool_calls": false},
	}
	resp, err := p.Chat(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	if resp.Message.Content != `{"echo":"what is this?"}` {
		t.Fatalf("content %q", resp.Message.Content)
	}
	r, _ := srv.LastRequest("/v1/chat/completions")
	var sent struct {
		Messages []struct {
			Content []struct {
				Type     string `json:"type"`
				Text     string `json:"text"`
				ImageURL struct {
					URL string `json:"url"`
				} `json:"image_url"`
			} `json:"content"`
			Name string `json:"name"`
		} `json:"messages"`
		ResponseFormat struct {
			Type       string `json:"type"`
			JSONSchema struct {
				Name   string         `json:"name"`
				Strict bool           `json:"strict"`
				Schema map[string]any `json:"schema"`
			} `json:"json_schema"`
		} `json:"response_format"`
		ReasoningEffort string   `json:"reasoning_effort"`
		Stop            []string `json:"stop"`
		User            string   `json:"user"`
		Stream          *bool    `json:"stream"`
	}
	if err := json.Unmarshal(r.Body, &sent); err != nil {
		t.Fatal(err)
	}
	parts := sent.Messages[0].Content
	if len(parts) != 2 || parts[0].Type != "text" || parts[0].Text != "what is this?" || parts[1].Type != "image_url" ||
		!strings.HasPrefix(parts[1].ImageURL.URL, "data:image/png;base64,iVBORw0KGgo") || sent.Messages[0].Name != "ann" {
		t.Fatalf("message %+v", sent.Messages[0])
	}
	rf := sent.ResponseFormat
	if rf.Type != "json_schema" || rf.JSONSchema.Name != "my_schema_" || !rf.JSONSchema.Strict || rf.JSONSchema.Schema["type"] != "object" {
		t.Fatalf("response_format %+v", rf)
	}
	body := r.JSON()
	if sent.ReasoningEffort != "high" || strings.Join(sent.Stop, ",") != "a,b" || sent.User != "u-1" || sent.Stream != nil ||
		body["top_p"] != 0.9 || body["presence_penalty"] != 0.1 || body["frequency_penalty"] != 0.2 ||
		body["parallel_tool_calls"] != false {
		t.Fatalf("body %s", r.Body)
	}
	if _, ok := body["temperature"]; ok {
		t.Fatalf("a null Extra value deletes the field: %s", r.Body)
	}
	_, err = p.Chat(context.Background(), &sdk.ChatRequest{Model: "gpt-4o-mini", Messages: req.Messages,
		Options: &sdk.Options{ResponseFormat: &sdk.ResponseFormat{Type: "xml"}}})
	if e := wantCode(t, err, sdk.CodeInvalidArgument); e.Field != "options.response_format.type" {
		t.Fatalf("field %q", e.Field)
	}
	_, err = p.Chat(context.Background(), &sdk.ChatRequest{Model: "gpt-4o-mini",
		Messages: []sdk.Message{{Role: "tool", Content: "x"}}})
	if e := wantCode(t, err, sdk.CodeInvalidArgument); e.Field != "messages[0].tool_call_id" {
		t.Fatalf("field %q", e.Field)
	}
}

func TestChatToolChoiceMapping(t *testing.T) {
	srv := startFake(t, fake.Options{})
	p := newTestPlugin(t)
	configure(t, p, prov("main", srv.URL, fakeKey))
	no := false
	tools := []sdk.Tool{{Type: "function", Name: "get_weather", Parameters: map[string]any{"type": "object"}}}
	tests := []struct {
		choice *sdk.ToolChoice
		want   string
	}{
		{&sdk.ToolChoice{Mode: sdk.ToolChoiceFunction, Name: "get_weather"}, `{"function":{"name":"get_weather"},"type":"function"}`},
		{&sdk.ToolChoice{Mode: sdk.ToolChoiceRequired}, `"required"`},
		{nil, `null`},
	}
	for _, tt := range tests {
		_, err := p.Chat(context.Background(), &sdk.ChatRequest{Model: "gpt-4o-mini", Tools: tools,
			ToolChoice: tt.choice, ParallelToolCalls: &no, Messages: []sdk.Message{{Role: "user", Content: "weather?"}}})
		if err != nil {
			t.Fatal(err)
		}
		r, _ := srv.LastRequest("/v1/chat/completions")
		body := r.JSON()
		got, _ := json.Marshal(body["tool_choice"])
		if string(got) != tt.want || body["parallel_tool_calls"] != false {
			t.Errorf("choice %+v: sent tool_choice %s, parallel_tool_calls %v", tt.choice, got, body["parallel_tool_calls"])
		}
	}
	_, err := p.Chat(context.Background(), &sdk.ChatRequest{Model: "gpt-4o-mini", Tools: tools,
		ToolChoice: &sdk.ToolChoice{Mode: "sometimes"}, Messages: []sdk.Message{{Role: "user", Content: "x"}}})
	if e := sdk.AsError(err); e == nil || e.Field != "tool_choice.mode" {
		t.Fatalf("bad mode: %v", err)
	}
}
