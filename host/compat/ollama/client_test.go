package ollama

// These tests drive the handlers with Ollama's official Go client
// (github.com/ollama/ollama/api), the way existing applications will.

import (
	"context"
	"errors"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/ollama/ollama/api"
	"github.com/roundhouse-ai/roundhouse/host/compat/compattest"
	"github.com/roundhouse-ai/roundhouse/sdk"
)

func officialClient(t *testing.T, fb *compattest.Backend) *api.Client {
	srv := newServer(t, fb, Options{})
	u, _ := url.Parse(srv.URL)
	return api.NewClient(u, srv.Client())
}

func TestOfficialClientBasics(t *testing.T) {
	fb := compattest.New()
	c := officialClient(t, fb)
	ctx := context.Background()
	if err := c.Heartbeat(ctx); err != nil {
		t.Fatal(err)
	}
	if v, err := c.Version(ctx); err != nil || v != "0.1.0-test" {
		t.Fatalf("version %q %v", v, err)
	}
	list, err := c.List(ctx)
	if err != nil || len(list.Models) != 3 || list.Models[0].Name != "llama3.2:latest" || list.Models[0].Details.Family != "llama" ||
		list.Models[0].ModifiedAt.IsZero() {
		t.Fatalf("list %+v %v", list, err)
	}
	ps, err := c.ListRunning(ctx)
	if err != nil || len(ps.Models) != 1 || ps.Models[0].ExpiresAt.IsZero() || ps.Models[0].ContextLength != 4096 {
		t.Fatalf("ps %+v %v", ps, err)
	}
	show, err := c.Show(ctx, &api.ShowRequest{Model: "llama3.2"})
	if err != nil || show.Details.QuantizationLevel != "Q4_K_M" || show.ModelInfo["general.architecture"] != "llama" {
		t.Fatalf("show %+v %v", show, err)
	}
	if err := c.Delete(ctx, &api.DeleteRequest{Model: "all-minilm"}); err != nil {
		t.Fatal(err)
	}
}

func TestOfficialClientPull(t *testing.T) {
	fb := compattest.New()
	c := officialClient(t, fb)
	var steps []api.ProgressResponse
	err := c.Pull(context.Background(), &api.PullRequest{Model: "llama3.2"}, func(p api.ProgressResponse) error {
		steps = append(steps, p)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(steps) != 7 || steps[0].Status != "pulling manifest" || steps[2].Completed != 50 || steps[2].Total != 100 ||
		!strings.HasPrefix(steps[3].Status, "pulling ") || steps[6].Status != "success" {
		t.Fatalf("steps %+v", steps)
	}
	err = c.Pull(context.Background(), &api.PullRequest{Model: "missing-model"}, func(api.ProgressResponse) error { return nil })
	var se api.StatusError
	if !errors.As(err, &se) || se.StatusCode != 404 {
		t.Fatalf("pull unknown: %T %v", err, err)
	}
}

func TestOfficialClientChatAndGenerate(t *testing.T) {
	fb := compattest.New()
	c := officialClient(t, fb)
	ctx := context.Background()
	var text strings.Builder
	var final api.ChatResponse
	err := c.Chat(ctx, &api.ChatRequest{
		Model:     "llama3.2",
		Messages:  []api.Message{{Role: "user", Content: "hi", Images: []api.ImageData{[]byte("img")}}},
		Options:   map[string]any{"temperature": 0.2, "num_ctx": 2048},
		Think:     &api.ThinkValue{Value: "low"},
		KeepAlive: &api.Duration{Duration: 10 * time.Minute},
	}, func(r api.ChatResponse) error {
		text.WriteString(r.Message.Content)
		if r.Done {
			final = r
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if text.String() != "Hello" || final.DoneReason != "stop" || final.EvalCount != 2 || final.TotalDuration <= 0 {
		t.Fatalf("chat %q %+v", text.String(), final)
	}
	req := fb.Last("ChatStream").Req.(*sdk.ChatRequest)
	if string(req.Messages[0].Images[0]) != "img" || *req.Options.NumCtx != 2048 || req.Options.Think != "low" || *req.KeepAlive != 600 {
		t.Fatalf("translated %+v", req)
	}

	// Tool calls arrive whole, arguments as an object.
	fb.Chunks = []*sdk.ChatChunk{
		{ToolCalls: []sdk.ToolCall{{Index: 0, ID: "call_1", Name: "get_weather"}}},
		{ToolCalls: []sdk.ToolCall{{Index: 0, Arguments: `{"city":"Tokyo"}`}}},
		{Done: true, FinishReason: "tool_calls"},
	}
	var calls []api.ToolCall
	err = c.Chat(ctx, &api.ChatRequest{Model: "llama3.2", Messages: []api.Message{{Role: "user", Content: "weather?"}}},
		func(r api.ChatResponse) error { calls = append(calls, r.Message.ToolCalls...); return nil })
	if err != nil || len(calls) != 1 || calls[0].Function.Name != "get_weather" {
		t.Fatalf("tool calls %+v %v", calls, err)
	}
	if city, _ := calls[0].Function.Arguments.Get("city"); city != "Tokyo" {
		t.Fatalf("arguments %v", calls[0].Function.Arguments)
	}
	fb.Chunks = nil

	stream := false
	var gen api.GenerateResponse
	err = c.Generate(ctx, &api.GenerateRequest{Model: "llama3.2", Prompt: "hi", Stream: &stream}, func(r api.GenerateResponse) error {
		gen = r
		return nil
	})
	if err != nil || gen.Response != "Hello" || !gen.Done {
		t.Fatalf("generate %+v %v", gen, err)
	}
	// Unload with the client's idiom.
	err = c.Generate(ctx, &api.GenerateRequest{Model: "llama3.2", KeepAlive: &api.Duration{}}, func(r api.GenerateResponse) error {
		gen = r
		return nil
	})
	if err != nil || gen.DoneReason != "unload" {
		t.Fatalf("unload %+v %v", gen, err)
	}
}

func TestOfficialClientEmbed(t *testing.T) {
	c := officialClient(t, compattest.New())
	ctx := context.Background()
	e, err := c.Embed(ctx, &api.EmbedRequest{Model: "all-minilm", Input: []string{"abc", "de"}})
	if err != nil || len(e.Embeddings) != 2 || e.Embeddings[0][0] != 3 {
		t.Fatalf("embed %+v %v", e, err)
	}
	l, err := c.Embeddings(ctx, &api.EmbeddingRequest{Model: "all-minilm", Prompt: "abcd"})
	if err != nil || len(l.Embedding) != 3 || l.Embedding[0] != 4 {
		t.Fatalf("embeddings %+v %v", l, err)
	}
}

func TestOfficialClientUnknownModel(t *testing.T) {
	c := officialClient(t, compattest.New())
	ctx := context.Background()
	checks := map[string]error{
		"chat": c.Chat(ctx, &api.ChatRequest{Model: "ghost", Messages: []api.Message{{Role: "user", Content: "x"}}},
			func(api.ChatResponse) error { return nil }),
		"generate": c.Generate(ctx, &api.GenerateRequest{Model: "ghost", Prompt: "x"}, func(api.GenerateResponse) error { return nil }),
		"delete":   c.Delete(ctx, &api.DeleteRequest{Model: "ghost"}),
	}
	_, checks["show"] = c.Show(ctx, &api.ShowRequest{Model: "ghost"})
	_, checks["embed"] = c.Embed(ctx, &api.EmbedRequest{Model: "ghost", Input: "x"})
	for name, err := range checks {
		var se api.StatusError
		if !errors.As(err, &se) || se.StatusCode != 404 || !strings.Contains(se.ErrorMessage, "ghost") {
			t.Errorf("%s: %T %v", name, err, err)
		}
	}
}
