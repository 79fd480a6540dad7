package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ollama/ollama/api"

	"github.com/roundhouse-ai/roundhouse/sdk"
	"github.com/roundhouse-ai/roundhouse/sdk/manifest"
)

// fakeOllama is an httptest server speaking enough of Ollama's API to test
// the mapping of requests, responses and errors without an engine.
type fakeOllama struct {
	*httptest.Server
	mu       sync.Mutex
	chatReqs []api.ChatRequest
	genReqs  []api.GenerateRequest
	embReqs  []api.EmbedRequest
	pullReqs []api.PullRequest
	aborted  chan struct{} // closed when a blocking chat saw its client go away
}

func newFakeOllama(t *testing.T) *fakeOllama {
	f := &fakeOllama{aborted: make(chan struct{})}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/version", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `{"version":"0.17.4"}`)
	})
	mux.HandleFunc("POST /api/chat", f.chat)
	mux.HandleFunc("POST /api/generate", f.generate)
	mux.HandleFunc("POST /api/embed", f.embed)
	mux.HandleFunc("POST /api/pull", f.pull)
	mux.HandleFunc("POST /api/show", func(w http.ResponseWriter, r *http.Request) {
		var req api.ShowRequest
		json.NewDecoder(r.Body).Decode(&req)
		if req.Model == "missing" {
			notFound(w, req.Model)
			return
		}
		if req.Model == "embedder" {
			fmt.Fprint(w, `{"details":{"family":"bert"},"capabilities":["embedding"]}`)
			return
		}
		fmt.Fprint(w, `{"license":"MIT","parameters":"num_predict 64","template":"{{ .Prompt }}",
			"details":{"format":"gguf","family":"llama","families":["llama"],"parameter_size":"1M","quantization_level":"F32"},
			"model_info":{"general.architecture":"llama","llama.context_length":4096},
			"capabilities":["completion"],"modified_at":"2026-01-02T03:04:05Z"}`)
	})
	mux.HandleFunc("GET /api/tags", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `{"models":[{"name":"tiny:latest","model":"tiny:latest","size":600000,"digest":"abc",
			"modified_at":"2026-01-02T03:04:05Z","details":{"format":"gguf","family":"llama","parameter_size":"1M","quantization_level":"F32"}}]}`)
	})
	mux.HandleFunc("GET /api/ps", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `{"models":[{"name":"tiny:latest","model":"tiny:latest","size":1000,"size_vram":400,"digest":"abc",
			"expires_at":"2030-01-01T00:00:00Z","context_length":4096,"details":{"family":"llama"}}]}`)
	})
	mux.HandleFunc("DELETE /api/delete", func(w http.ResponseWriter, r *http.Request) {
		var req api.DeleteRequest
		json.NewDecoder(r.Body).Decode(&req)
		if req.Model != "tiny" {
			notFound(w, req.Model)
		}
	})
	f.Server = httptest.NewServer(mux)
	t.Cleanup(f.Close)
	return f
}

func notFound(w http.ResponseWriter, model string) {
	w.WriteHeader(http.StatusNotFound)
	fmt.Fprintf(w, `{"error":"model '%s' not found"}`, model)
}

func (f *fakeOllama) host() string { return strings.TrimPrefix(f.URL, "http://") }

func ndjson(w http.ResponseWriter, v any) {
	b, _ := json.Marshal(v)
	w.Write(append(b, '\n'))
	w.(http.Flusher).Flush()
}

func (f *fakeOllama) chat(w http.ResponseWriter, r *http.Request) {
	var req api.ChatRequest
	json.NewDecoder(r.Body).Decode(&req)
	f.mu.Lock()
	f.chatReqs = append(f.chatReqs, req)
	f.mu.Unlock()
	switch req.Model {
	case "missing":
		w.WriteHeader(http.StatusNotFound)
		fmt.Fprintf(w, `{"error":"model %q not found, try pulling it first"}`, req.Model)
		return
	case "embedonly":
		w.WriteHeader(http.StatusBadRequest)
		fmt.Fprint(w, `{"error":"\"embedonly\" does not support chat"}`)
		return
	case "busy":
		w.WriteHeader(http.StatusServiceUnavailable)
		fmt.Fprint(w, `{"error":"server busy, please try again.  maximum pending requests exceeded"}`)
		return
	case "slow": // one token, then nothing until the client goes away
		ndjson(w, api.ChatResponse{Model: req.Model, Message: api.Message{Role: "assistant", Content: "Hel"}})
		<-r.Context().Done()
		close(f.aborted)
		return
	case "crash": // one token, then the connection drops (engine died)
		ndjson(w, api.ChatResponse{Model: req.Model, Message: api.Message{Role: "assistant", Content: "Hel"}})
		panic(http.ErrAbortHandler)
	case "midstream-error":
		ndjson(w, api.ChatResponse{Model: req.Model, Message: api.Message{Role: "assistant", Content: "Hel"}})
		fmt.Fprint(w, `{"error":"an error was encountered while running the model: unexpected EOF"}`+"\n")
		return
	case "tools":
		args := api.NewToolCallFunctionArguments()
		args.Set("city", "Paris")
		ndjson(w, api.ChatResponse{Model: req.Model, Message: api.Message{Role: "assistant",
			ToolCalls: []api.ToolCall{{ID: "call_x", Function: api.ToolCallFunction{Name: "get_weather", Arguments: args}}}}})
		ndjson(w, api.ChatResponse{Model: req.Model, Done: true, DoneReason: "stop", Metrics: api.Metrics{PromptEvalCount: 10, EvalCount: 5}})
		return
	}
	tokens := []string{"Hel", "lo", "", " world", "."}
	if req.Stream != nil && !*req.Stream {
		tokens = []string{"Hello world."}
	}
	for _, tok := range tokens {
		ndjson(w, api.ChatResponse{Model: req.Model, Message: api.Message{Role: "assistant", Content: tok}})
	}
	ndjson(w, api.ChatResponse{Model: req.Model, Message: api.Message{Role: "assistant"}, Done: true, DoneReason: "length",
		Metrics: api.Metrics{PromptEvalCount: 7, EvalCount: 4, TotalDuration: time.Second}})
}

func (f *fakeOllama) generate(w http.ResponseWriter, r *http.Request) {
	var req api.GenerateRequest
	json.NewDecoder(r.Body).Decode(&req)
	f.mu.Lock()
	f.genReqs = append(f.genReqs, req)
	f.mu.Unlock()
	if req.Model == "missing" {
		notFound(w, req.Model)
		return
	}
	if req.Prompt == "" {
		reason := "load"
		if req.KeepAlive != nil && req.KeepAlive.Duration == 0 {
			reason = "unload"
		}
		ndjson(w, api.GenerateResponse{Model: req.Model, Done: true, DoneReason: reason})
		return
	}
	for _, tok := range []string{"Once", " upon"} {
		ndjson(w, api.GenerateResponse{Model: req.Model, Response: tok})
	}
	ndjson(w, api.GenerateResponse{Model: req.Model, Done: true, DoneReason: "stop", Metrics: api.Metrics{PromptEvalCount: 2, EvalCount: 2}})
}

func (f *fakeOllama) embed(w http.ResponseWriter, r *http.Request) {
	var req api.EmbedRequest
	json.NewDecoder(r.Body).Decode(&req)
	f.mu.Lock()
	f.embReqs = append(f.embReqs, req)
	f.mu.Unlock()
	in, _ := req.Input.([]any)
	resp := api.EmbedResponse{Model: req.Model, PromptEvalCount: 3 * len(in)}
	for i := range in {
		resp.Embeddings = append(resp.Embeddings, []float32{float32(i), 1})
	}
	json.NewEncoder(w).Encode(resp)
}

func (f *fakeOllama) pull(w http.ResponseWriter, r *http.Request) {
	var req api.PullRequest
	json.NewDecoder(r.Body).Decode(&req)
	f.mu.Lock()
	f.pullReqs = append(f.pullReqs, req)
	f.mu.Unlock()
	ndjson(w, api.ProgressResponse{Status: "pulling manifest"})
	switch {
	case strings.HasPrefix(req.Model, "127.0.0.1") && !req.Insecure:
		fmt.Fprint(w, `{"error":"insecure protocol http"}`+"\n")
		return
	case req.Model == "nosuch":
		fmt.Fprint(w, `{"error":"pull model manifest: file does not exist"}`+"\n")
		return
	}
	for _, c := range []int64{0, 100, 200, 300} {
		ndjson(w, api.ProgressResponse{Status: "pulling 3f2a", Digest: "sha256:3f2a", Total: 300, Completed: c})
	}
	ndjson(w, api.ProgressResponse{Status: "verifying sha256 digest"})
	ndjson(w, api.ProgressResponse{Status: "writing manifest"})
	ndjson(w, api.ProgressResponse{Status: "success"})
}

// attachedPlugin is a plugin attached to f (manage_engine false).
func attachedPlugin(t *testing.T, f *fakeOllama) *plugin {
	return testPlugin(t, map[string]any{"engine_host": f.host(), "manage_engine": "false"})
}

func TestChatStreamTokens(t *testing.T) {
	f := newFakeOllama(t)
	p := attachedPlugin(t, f)
	var chunks []*sdk.ChatChunk
	err := p.ChatStream(ctxT(t, 10*time.Second), &sdk.ChatRequest{
		Model:     "tiny",
		Messages:  []sdk.Message{{Role: "system", Content: "be brief"}, {Role: "user", Content: "hi", Images: [][]byte{{1, 2}}}},
		Options:   &sdk.Options{Temperature: ptr(0.2), MaxTokens: ptr(16), ResponseFormat: &sdk.ResponseFormat{Type: "json_object"}, Think: "false"},
		KeepAlive: ptr(-1.0),
	}, func(c *sdk.ChatChunk) error { chunks = append(chunks, c); return nil })
	if err != nil {
		t.Fatal(err)
	}
	var texts []string
	for _, c := range chunks {
		texts = append(texts, c.Content)
	}
	// One chunk per token; the empty one is dropped; the last says done.
	if got := strings.Join(texts, "|"); got != "Hel|lo| world|.|" {
		t.Fatalf("chunks = %q", got)
	}
	if chunks[0].Role != "assistant" || chunks[1].Role != "" {
		t.Errorf("role: first %q, second %q", chunks[0].Role, chunks[1].Role)
	}
	last := chunks[len(chunks)-1]
	if !last.Done || last.FinishReason != "length" || last.Usage == nil || last.Usage.TotalTokens != 11 {
		t.Errorf("last chunk = %+v usage %+v", last, last.Usage)
	}
	for _, c := range chunks[:len(chunks)-1] {
		if c.Done {
			t.Error("done before the last chunk")
		}
	}
	req := f.chatReqs[0]
	if req.Stream == nil || !*req.Stream || string(req.Format) != `"json"` || req.Think == nil || req.Think.Value != false {
		t.Errorf("sent stream=%v format=%s think=%v", req.Stream, req.Format, req.Think)
	}
	if req.Options["temperature"] != 0.2 || req.Options["num_predict"] != 16.0 {
		t.Errorf("sent options %v", req.Options)
	}
	if req.KeepAlive == nil || req.KeepAlive.Duration < time.Hour {
		t.Errorf("keep_alive -1 sent as %v", req.KeepAlive)
	}
	if len(req.Messages) != 2 || req.Messages[0].Role != "system" || len(req.Messages[1].Images) != 1 {
		t.Errorf("messages = %+v", req.Messages)
	}
}

func TestChatUnary(t *testing.T) {
	f := newFakeOllama(t)
	p := attachedPlugin(t, f)
	resp, err := p.Chat(ctxT(t, 10*time.Second), &sdk.ChatRequest{Model: "tiny", Messages: []sdk.Message{{Role: "user", Content: "hi"}}})
	if err != nil {
		t.Fatal(err)
	}
	if resp.Message.Content != "Hello world." || resp.Message.Role != "assistant" || resp.FinishReason != "length" ||
		resp.Usage.PromptTokens != 7 || resp.Usage.CompletionTokens != 4 || resp.TotalDurationNS != int64(time.Second) {
		t.Fatalf("resp = %+v usage %+v", resp, resp.Usage)
	}
	if s := f.chatReqs[0].Stream; s == nil || *s {
		t.Error("unary chat should not ask Ollama to stream")
	}
}

func TestChatTools(t *testing.T) {
	f := newFakeOllama(t)
	p := attachedPlugin(t, f)
	resp, err := p.Chat(ctxT(t, 10*time.Second), &sdk.ChatRequest{
		Model: "tools",
		Messages: []sdk.Message{
			{Role: "user", Content: "weather?"},
			{Role: "assistant", ToolCalls: []sdk.ToolCall{{ID: "call_1", Name: "get_weather", Arguments: `{"city":"Rome"}`}}},
			{Role: "tool", Content: "sunny", ToolCallID: "call_1", Name: "get_weather"},
		},
		Tools: []sdk.Tool{{Type: "function", Name: "get_weather", Parameters: map[string]any{"type": "object",
			"properties": map[string]any{"city": map[string]any{"type": "string"}}}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if resp.FinishReason != "tool_calls" || len(resp.Message.ToolCalls) != 1 {
		t.Fatalf("resp = %+v", resp)
	}
	if tc := resp.Message.ToolCalls[0]; tc.Name != "get_weather" || tc.Arguments != `{"city":"Paris"}` || tc.ID != "call_x" {
		t.Errorf("tool call = %+v", tc)
	}
	sent := f.chatReqs[0]
	if len(sent.Tools) != 1 || sent.Tools[0].Function.Name != "get_weather" {
		t.Errorf("tools sent = %v", sent.Tools)
	}
	if m := sent.Messages[1]; len(m.ToolCalls) != 1 || m.ToolCalls[0].Function.Arguments.String() != `{"city":"Rome"}` {
		t.Errorf("assistant tool call sent = %+v", m)
	}
	if m := sent.Messages[2]; m.ToolName != "get_weather" || m.ToolCallID != "call_1" {
		t.Errorf("tool answer sent = %+v", m)
	}
}

func TestChatErrors(t *testing.T) {
	f := newFakeOllama(t)
	p := attachedPlugin(t, f)
	ctx := ctxT(t, 10*time.Second)
	chat := func(model string) error {
		return p.ChatStream(ctx, &sdk.ChatRequest{Model: model, Messages: []sdk.Message{{Role: "user", Content: "hi"}}},
			func(*sdk.ChatChunk) error { return nil })
	}
	e := wantCode(t, chat("missing"), sdk.CodeModelNotFound)
	if !strings.Contains(e.Message, "PullModel") {
		t.Errorf("not-found message does not say what to do: %q", e.Message)
	}
	wantCode(t, chat("embedonly"), sdk.CodeModelUnsupported)
	if e := wantCode(t, chat("busy"), sdk.CodeEngineUnavailable); !e.Retryable {
		t.Error("busy should be retryable")
	}
	if e := wantCode(t, chat("crash"), sdk.CodeEngineUnavailable); !e.Retryable {
		t.Error("a stream cut off should be retryable")
	}
	wantCode(t, chat("midstream-error"), sdk.CodeUpstreamError)
	wantCode(t, chat("../x"), sdk.CodeModelInvalidName)
	wantCode(t, p.ChatStream(ctx, &sdk.ChatRequest{Model: "tiny"}, nil), sdk.CodeInvalidArgument)
	e = wantCode(t, p.ChatStream(ctx, &sdk.ChatRequest{Model: "tiny", Messages: []sdk.Message{{Role: "robot"}}}, nil), sdk.CodeInvalidArgument)
	if e.Field != "messages[0].role" {
		t.Errorf("field = %q", e.Field)
	}
	if n := len(f.chatReqs); n != 5 {
		t.Errorf("%d chats reached Ollama; invalid requests must be rejected before", n)
	}

	// The caller going away stops the stream with its own error.
	gone := errors.New("client gone")
	err := p.ChatStream(ctx, &sdk.ChatRequest{Model: "tiny", Messages: []sdk.Message{{Role: "user", Content: "hi"}}},
		func(*sdk.ChatChunk) error { return gone })
	if !errors.Is(err, gone) {
		t.Errorf("send error: got %v", err)
	}
}

// Cancelling the context must abort the HTTP request to Ollama.
func TestChatCancelReachesOllama(t *testing.T) {
	f := newFakeOllama(t)
	p := attachedPlugin(t, f)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() {
		done <- p.ChatStream(ctx, &sdk.ChatRequest{Model: "slow", Messages: []sdk.Message{{Role: "user", Content: "hi"}}},
			func(c *sdk.ChatChunk) error {
				cancel()
				return nil
			})
	}()
	select {
	case err := <-done:
		if sdk.ErrorCode(err) != sdk.CodeCanceled {
			t.Fatalf("cancelled stream returned %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("ChatStream did not return after cancel")
	}
	select {
	case <-f.aborted:
	case <-time.After(5 * time.Second):
		t.Fatal("Ollama never saw the request go away")
	}
}

func TestGenerate(t *testing.T) {
	f := newFakeOllama(t)
	p := attachedPlugin(t, f)
	ctx := ctxT(t, 10*time.Second)
	resp, err := p.Generate(ctx, &sdk.GenerateRequest{Model: "tiny", Prompt: "tell", System: "sys", Suffix: "end", Raw: true,
		Options: &sdk.Options{Stop: []string{"."}, Seed: ptr(int64(1))}})
	if err != nil {
		t.Fatal(err)
	}
	if resp.Text != "Once upon" || resp.FinishReason != "stop" || resp.Usage.TotalTokens != 4 {
		t.Fatalf("resp = %+v", resp)
	}
	g := f.genReqs[0]
	if g.System != "sys" || g.Suffix != "end" || !g.Raw || g.Options["seed"] != 1.0 {
		t.Errorf("sent %+v", g)
	}
	var texts []string
	err = p.GenerateStream(ctx, &sdk.GenerateRequest{Model: "tiny", Prompt: "tell"}, func(c *sdk.GenerateChunk) error {
		texts = append(texts, c.Text)
		return nil
	})
	if err != nil || strings.Join(texts, "|") != "Once| upon|" {
		t.Fatalf("stream %q, %v", texts, err)
	}
	wantCode(t, p.GenerateStream(ctx, &sdk.GenerateRequest{Model: "missing", Prompt: "x"}, func(*sdk.GenerateChunk) error { return nil }), sdk.CodeModelNotFound)
}

func TestEmbed(t *testing.T) {
	f := newFakeOllama(t)
	p := attachedPlugin(t, f)
	ctx := ctxT(t, 10*time.Second)
	resp, err := p.Embed(ctx, &sdk.EmbedRequest{Model: "tiny", Input: []string{"a", "b"}, Dimensions: 2, Truncate: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(resp.Embeddings) != 2 || resp.Embeddings[1][0] != 1 || resp.Usage.PromptTokens != 6 {
		t.Fatalf("resp = %+v", resp)
	}
	if r := f.embReqs[0]; r.Dimensions != 2 || r.Truncate == nil || !*r.Truncate {
		t.Errorf("sent %+v", r)
	}
	wantCode(t, errOf(p.Embed(ctx, &sdk.EmbedRequest{Model: "tiny"})), sdk.CodeInvalidArgument)
	wantCode(t, errOf(p.Embed(ctx, &sdk.EmbedRequest{Model: "a/../b", Input: []string{"x"}})), sdk.CodeModelInvalidName)
}

func errOf[T any](_ T, err error) error { return err }

func TestPullProgressAndErrors(t *testing.T) {
	f := newFakeOllama(t)
	p := attachedPlugin(t, f)
	ctx := ctxT(t, 10*time.Second)
	var events []sdk.Progress
	err := p.PullModel(ctx, &sdk.PullRequest{Model: "127.0.0.1:5000/library/tiny:latest", Insecure: true}, func(pr *sdk.Progress) error {
		events = append(events, *pr)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if !f.pullReqs[0].Insecure {
		t.Error("insecure not passed on")
	}
	var statuses []string
	for _, e := range events {
		statuses = append(statuses, e.Status)
	}
	want := "pulling manifest|downloading|downloading|downloading|downloading|verifying sha256 digest|writing manifest|success"
	if got := strings.Join(statuses, "|"); got != want {
		t.Fatalf("statuses %s", got)
	}
	if e := events[3]; e.Digest != "sha256:3f2a" || e.Total != 300 || e.Completed != 200 {
		t.Errorf("progress event = %+v", e)
	}

	e := wantCode(t, p.PullModel(ctx, &sdk.PullRequest{Model: "127.0.0.1:5000/library/tiny"}, nil), sdk.CodeModelPullFailed)
	if e.Field != "insecure" {
		t.Errorf("plain-http registry without insecure: %+v", e)
	}
	wantCode(t, p.PullModel(ctx, &sdk.PullRequest{Model: "nosuch"}, nil), sdk.CodeModelNotFound)
	wantCode(t, p.PullModel(ctx, &sdk.PullRequest{Model: "bad name"}, nil), sdk.CodeModelInvalidName)
	// A progress callback that fails (the caller left) stops the pull.
	stop := errors.New("stop")
	if err := p.PullModel(ctx, &sdk.PullRequest{Model: "tiny"}, func(*sdk.Progress) error { return stop }); !errors.Is(err, stop) {
		t.Errorf("progress error: %v", err)
	}
}

func TestModelManagement(t *testing.T) {
	f := newFakeOllama(t)
	p := attachedPlugin(t, f)
	ctx := ctxT(t, 10*time.Second)

	models, err := p.ListModels(ctx)
	if err != nil || len(models) != 1 {
		t.Fatalf("ListModels = %v, %v", models, err)
	}
	if m := models[0]; m.Name != "tiny:latest" || m.SizeBytes != 600000 || m.Family != "llama" || m.Quantization != "F32" || m.ModifiedAt == 0 {
		t.Errorf("model = %+v", m)
	}
	running, err := p.ListRunningModels(ctx)
	if err != nil || len(running) != 1 {
		t.Fatalf("ListRunningModels = %v, %v", running, err)
	}
	if m := running[0]; m.SizeVRAMBytes != 400 || m.ExpiresAt == 0 || m.ContextLength != 4096 {
		t.Errorf("running = %+v", m)
	}
	d, err := p.ShowModel(ctx, "tiny")
	if err != nil {
		t.Fatal(err)
	}
	if d.Model.ContextLength != 4096 || d.License != "MIT" || strings.Join(d.Model.Services, ",") != "chat,generate" || d.Details["capabilities"] != "completion" {
		t.Errorf("show = %+v", d)
	}
	wantCode(t, errOf(p.ShowModel(ctx, "missing")), sdk.CodeModelNotFound)

	if err := p.LoadModel(ctx, &sdk.LoadRequest{Model: "tiny", KeepAlive: ptr(60.0)}); err != nil {
		t.Fatal(err)
	}
	if g := f.genReqs[len(f.genReqs)-1]; g.Prompt != "" || g.KeepAlive == nil || g.KeepAlive.Duration != time.Minute {
		t.Errorf("load sent %+v", g)
	}
	wantCode(t, p.LoadModel(ctx, &sdk.LoadRequest{Model: "missing"}), sdk.CodeModelNotFound)
	// A model that only embeds cannot generate: it is loaded through embed.
	gens := len(f.genReqs)
	if err := p.LoadModel(ctx, &sdk.LoadRequest{Model: "embedder"}); err != nil {
		t.Fatal(err)
	}
	if len(f.genReqs) != gens || len(f.embReqs) != 1 || f.embReqs[0].Model != "embedder" || f.embReqs[0].Input != nil {
		t.Errorf("embedding model load: %d generates, embeds %+v", len(f.genReqs)-gens, f.embReqs)
	}
	if d, _ := p.ShowModel(ctx, "embedder"); strings.Join(d.Model.Services, ",") != "embed" {
		t.Errorf("embedder services = %v", d.Model.Services)
	}
	// Unload waits for /api/ps to drop the model; the fake never does, so
	// bound it by the context instead of the 10 s internal limit.
	uctx, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
	defer cancel()
	err = p.UnloadModel(uctx, "tiny")
	if g := f.genReqs[len(f.genReqs)-1]; g.KeepAlive == nil || g.KeepAlive.Duration != 0 {
		t.Errorf("unload sent keep_alive %v", g.KeepAlive)
	}
	if err != nil && sdk.ErrorCode(err) != sdk.CodeTimeout {
		t.Errorf("unload: %v", err)
	}

	if err := p.DeleteModel(ctx, "tiny"); err != nil {
		t.Fatal(err)
	}
	wantCode(t, p.DeleteModel(ctx, "other"), sdk.CodeModelNotFound)
	wantCode(t, p.DeleteModel(ctx, "../../x"), sdk.CodeModelInvalidName)
}

func TestInfoAttached(t *testing.T) {
	f := newFakeOllama(t)
	p := attachedPlugin(t, f)
	info, err := p.Info(ctxT(t, 10*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	if info.EngineMode != modeAttached || info.EngineHost != f.host() || info.Name != "ollama" || info.Type != "local" {
		t.Errorf("info = %+v", info)
	}
	if info.Compute == nil || info.Compute.Kind != "mixed" || info.Compute.VRAMUsedBytes != 400 {
		t.Errorf("compute = %+v", info.Compute)
	}
	if !info.Services["chat"].SupportStreaming || !info.Services["generate"].SupportStreaming || len(info.Services) != 3 {
		t.Errorf("services = %+v", info.Services)
	}
	h, err := p.Health(context.Background())
	if err != nil || h.State != sdk.HealthServing {
		t.Errorf("health = %+v, %v", h, err)
	}
}

func TestCompute(t *testing.T) {
	if c := compute(0, 0); c != nil {
		t.Errorf("nothing loaded: %+v", c)
	}
	if c := compute(100, 0); c.Kind != "cpu" {
		t.Errorf("cpu: %+v", c)
	}
	if c := compute(100, 100); c.Kind != "gpu" {
		t.Errorf("gpu: %+v", c)
	}
	if c := compute(100, 50); c.Kind != "mixed" {
		t.Errorf("mixed: %+v", c)
	}
}

// An engine that does not answer is a retryable engine_unavailable that
// says what to do.
func TestUnreachableEngine(t *testing.T) {
	p := testPlugin(t, map[string]any{"engine_host": freeHost(t), "manage_engine": false})
	ctx := ctxT(t, 10*time.Second)
	_, err := p.Chat(ctx, &sdk.ChatRequest{Model: "tiny", Messages: []sdk.Message{{Role: "user", Content: "hi"}}})
	e := wantCode(t, err, sdk.CodeEngineUnavailable)
	if !e.Retryable || !strings.Contains(e.Message, "not reachable") {
		t.Errorf("error = %+v", e)
	}
	h, _ := p.Health(ctx)
	if h.State != sdk.HealthNotServing {
		t.Errorf("health = %+v", h)
	}
	// manage_engine false: StartEngine never starts one.
	_, err = p.StartEngine(ctx)
	wantCode(t, err, sdk.CodeEngineNotManaged)
}

func TestSettings(t *testing.T) {
	m := loadManifest()
	s, err := parseSettings(&sdk.Config{DataDir: "/data"}, m)
	if err != nil {
		t.Fatal(err)
	}
	if s.hostPort != "127.0.0.1:16677" || s.manage != manageAuto || s.modelsDir != "/data/models" || s.downloadDir != "/data/downloads" {
		t.Errorf("defaults = %+v", s)
	}
	s, err = parseSettings(&sdk.Config{DataDir: "/data", Settings: map[string]any{
		"engine_host": "http://localhost", "manage_engine": true, "models_dir": "m", "ollama_path": "/opt/ollama/bin/ollama",
		"engine_env": map[string]any{"OLLAMA_NUM_PARALLEL": 2.0}, "start_timeout": 5.0,
	}}, m)
	if err != nil {
		t.Fatal(err)
	}
	if s.hostPort != "localhost:11434" || s.manage != manageTrue || s.modelsDir != "/data/m" || s.ollamaPath != "/opt/ollama/bin/ollama" ||
		s.engineEnv["OLLAMA_NUM_PARALLEL"] != "2" || s.startTimeout != 5*time.Second {
		t.Errorf("parsed = %+v", s)
	}
	for key, v := range map[string]any{
		"manage_engine": "sometimes", "engine_host": "ftp://x", "download_sha256": "abc",
		"engine_env": map[string]any{"OLLAMA_HOST": "x"}, "start_timeout": -1.0,
	} {
		_, err := parseSettings(&sdk.Config{Settings: map[string]any{key: v}}, m)
		if e := sdk.AsError(err); e == nil || !strings.HasPrefix(e.Field, "settings."+key) {
			t.Errorf("%s=%v: %v", key, v, err)
		}
	}
	for _, tt := range []struct {
		settings map[string]any
		err      string
	}{
		{map[string]any{"engine_hots": "x"}, "settings.engine_hots: unknown setting (known: data_dir, download_dir, download_sha256, " +
			"download_url, engine_env, engine_host, manage_engine, models_dir, ollama, ollama_path, start_timeout)"},
		{map[string]any{"manage_engine": 1.0}, "settings.manage_engine: must be auto, true or false, not number"},
		{map[string]any{"manage_engine": "sometimes"}, `settings.manage_engine: unknown value "sometimes" (want auto, true or false)`},
		{map[string]any{"models_dir": 3.0}, "settings.models_dir: must be a string, not number"},
		{map[string]any{"engine_env": "x"}, "settings.engine_env: must be an object, not string"},
		{map[string]any{"start_timeout": "0s"}, "settings.start_timeout: must be > 0 seconds"},
		{map[string]any{"start_timeout": true}, `settings.start_timeout: must be a duration such as "30s" or a number of seconds, not bool`},
	} {
		_, err := parseSettings(&sdk.Config{Settings: tt.settings}, m)
		if e := sdk.AsError(err); e == nil || e.Code != sdk.CodeInvalidArgument || e.Error() != tt.err {
			t.Errorf("%v: %v, want %s", tt.settings, err, tt.err)
		}
	}
	for v, want := range map[any]time.Duration{"90s": 90 * time.Second, "2": 2 * time.Second, 0.5: 500 * time.Millisecond} {
		s, err := parseSettings(&sdk.Config{Settings: map[string]any{"start_timeout": v}}, m)
		if err != nil || s.startTimeout != want {
			t.Errorf("start_timeout %v: %v, %v", v, s.startTimeout, err)
		}
	}
	for v, want := range map[any]manageMode{false: manageFalse, "attached": manageFalse, " Managed ": manageTrue, "": manageAuto, nil: manageAuto} {
		s, err := parseSettings(&sdk.Config{Settings: map[string]any{"manage_engine": v}}, m)
		if err != nil || s.manage != want {
			t.Errorf("manage_engine %v: %v, %v", v, s.manage, err)
		}
	}
}

func TestManifestValid(t *testing.T) {
	m, err := manifest.Parse(embeddedManifest, "yaml")
	if err != nil {
		t.Fatal(err)
	}
	for _, plat := range []string{"linux_amd64", "linux_arm64", "darwin_amd64", "darwin_arm64", "windows_amd64"} {
		goos, goarch, _ := strings.Cut(plat, "_")
		if err := m.Validate(goos, goarch); err != nil {
			t.Errorf("%s: %v", plat, err)
		}
	}
	if m.Provider.Name != "ollama" || m.Provider.EngineHost != "127.0.0.1:16677" || m.Provider.Type != sdk.ProviderLocal {
		t.Errorf("provider = %+v", m.Provider)
	}
	if exe := m.Platforms["windows_amd64"].Executable; exe != "roundhouse-plugin-ollama.exe" {
		t.Errorf("windows executable = %q", exe)
	}
	for _, name := range []string{"chat", "generate", "embed"} {
		if m.GetServiceByName(name) == nil {
			t.Errorf("service %s missing", name)
		}
	}
	// The on-disk file is what the host reads; it must be the embedded one.
	loaded, err := manifest.Load(".")
	if err != nil {
		t.Fatal(err)
	}
	loaded.Dir = ""
	if err := loaded.Validate("linux", "amd64"); err != nil {
		t.Error(err)
	}
	_ = io.Discard
}
