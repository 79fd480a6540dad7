// Package compattest is a scripted fake backend.Backend for the tests of
// the compatibility surfaces (OpenAI, Ollama, Anthropic). It knows a few
// models, answers unknown ones with sdk.CodeModelNotFound like the real
// router, records every call, and lets a test replace any method.
package compattest

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"

	"github.com/roundhouse-ai/roundhouse/host/backend"
	"github.com/roundhouse-ai/roundhouse/sdk"
)

// Call is one recorded Backend call.
type Call struct {
	Method string
	Route  backend.Route
	// Req is the request as the surface built it (*sdk.ChatRequest,
	// *sdk.LoadRequest, backend.PullRequest, a model name...).
	Req any
}

// Backend is a fake backend.Backend. The zero value is not usable; call
// New. Func fields, when set, replace the default behaviour.
type Backend struct {
	// Models is what ListModels reports and which names are known. A
	// request for another model gets sdk.CodeModelNotFound; "" means the
	// default model (the first one).
	Models []backend.ModelInfo

	// Chunks are what the default ChatStream sends (GenerateStream sends
	// their Content as Text). Nil means DefaultChunks.
	Chunks []*sdk.ChatChunk
	// StreamErr, if set, is returned by the default streams after Chunks
	// (a mid-stream failure).
	StreamErr error
	// BlockStream makes the default streams send Chunks, then wait for the
	// context to end and return its error (a client disconnect test).
	BlockStream bool
	// Blocked is closed when a blocking stream starts waiting.
	Blocked chan struct{}
	// Canceled is closed when a blocking stream saw its context end.
	Canceled chan struct{}

	// Progress is what the default PullModel reports. Nil means
	// DefaultProgress.
	Progress []*sdk.Progress

	ChatFunc           func(ctx context.Context, rt backend.Route, req *sdk.ChatRequest) (*sdk.ChatResponse, error)
	ChatStreamFunc     func(ctx context.Context, rt backend.Route, req *sdk.ChatRequest, send func(*sdk.ChatChunk) error) error
	GenerateFunc       func(ctx context.Context, rt backend.Route, req *sdk.GenerateRequest) (*sdk.GenerateResponse, error)
	GenerateStreamFunc func(ctx context.Context, rt backend.Route, req *sdk.GenerateRequest, send func(*sdk.GenerateChunk) error) error
	EmbedFunc          func(ctx context.Context, rt backend.Route, req *sdk.EmbedRequest) (*sdk.EmbedResponse, error)
	TextToImageFunc    func(ctx context.Context, rt backend.Route, req *sdk.TextToImageRequest) (*sdk.TextToImageResponse, error)
	ImageToImageFunc   func(ctx context.Context, rt backend.Route, req *sdk.ImageToImageRequest) (*sdk.ImageToImageResponse, error)
	TextToSpeechFunc   func(ctx context.Context, rt backend.Route, req *sdk.TextToSpeechRequest) (*sdk.TextToSpeechResponse, error)
	SpeechToTextFunc   func(ctx context.Context, rt backend.Route, req *sdk.SpeechToTextRequest) (*sdk.SpeechToTextResponse, error)
	PullFunc           func(ctx context.Context, req backend.PullRequest, progress func(*sdk.Progress) error) error

	mu       sync.Mutex
	calls    []Call
	blobs    map[string]int64 // digest → size, by CreateBlob
	doneOnce sync.Once
	waitOnce sync.Once
}

var _ backend.Backend = (*Backend)(nil)

// New returns a fake with two local models ("llama3.2:latest" running,
// "all-minilm:latest" available) served by plugin "ollama", and one remote
// model ("gpt-4o") served by plugin "openai".
func New() *Backend {
	return &Backend{
		Models: []backend.ModelInfo{
			{Model: sdk.Model{Name: "llama3.2:latest", SizeBytes: 2019393189, Digest: "sha256:a80c4f17acd55265feec403c7aef86be0c25983ab279d83f3bcd3abbcb5b8b72",
				ModifiedAt: 1746405464, Family: "llama", ParameterSize: "3.2B", Quantization: "Q4_K_M", Format: "gguf",
				SizeVRAMBytes: 2019393189, ExpiresAt: 1893456000, ContextLength: 4096, Services: []string{"chat", "generate"}},
				Plugin: "ollama", Type: "local", State: "running"},
			{Model: sdk.Model{Name: "all-minilm:latest", SizeBytes: 45960996, Digest: "sha256:1b226e2802dbb772b5fc32a58f103ca1804ef7501331012de126ab22f67475ef",
				ModifiedAt: 1746405000, Family: "bert", ParameterSize: "23M", Quantization: "F16", Format: "gguf", Services: []string{"embed"}},
				Plugin: "ollama", Type: "local", State: "available"},
			{Model: sdk.Model{Name: "gpt-4o", Services: []string{"chat"}}, Plugin: "openai", Type: "remote", State: "available"},
		},
		Blocked:  make(chan struct{}),
		Canceled: make(chan struct{}),
	}
}

// DefaultChunks is the default streamed answer: "Hello" in two pieces.
func DefaultChunks() []*sdk.ChatChunk {
	return []*sdk.ChatChunk{
		{Role: "assistant", Content: "Hel"},
		{Content: "lo"},
		{Done: true, FinishReason: "stop", Usage: &sdk.Usage{PromptTokens: 3, CompletionTokens: 2, TotalTokens: 5}},
	}
}

// DefaultProgress is the default pull progress, shaped like Ollama's.
func DefaultProgress() []*sdk.Progress {
	return []*sdk.Progress{
		{Status: "pulling manifest"},
		{Status: "downloading", Digest: "sha256:dde5aa3fc5ffc17176b5e8bdc82f587b24b2678c6c66101bf7da77af9f7ccdff", Total: 100},
		{Status: "downloading", Digest: "sha256:dde5aa3fc5ffc17176b5e8bdc82f587b24b2678c6c66101bf7da77af9f7ccdff", Total: 100, Completed: 50},
		{Status: "downloading", Digest: "sha256:dde5aa3fc5ffc17176b5e8bdc82f587b24b2678c6c66101bf7da77af9f7ccdff", Total: 100, Completed: 100},
		{Status: "verifying sha256 digest"},
		{Status: "writing manifest"},
		{Status: "success"},
	}
}

// Calls returns a copy of the recorded calls.
func (b *Backend) Calls() []Call {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]Call(nil), b.calls...)
}

// Last returns the last recorded call of method, or nil.
func (b *Backend) Last(method string) *Call {
	b.mu.Lock()
	defer b.mu.Unlock()
	for i := len(b.calls) - 1; i >= 0; i-- {
		if b.calls[i].Method == method {
			c := b.calls[i]
			return &c
		}
	}
	return nil
}

func (b *Backend) record(method string, rt backend.Route, req any) {
	b.mu.Lock()
	b.calls = append(b.calls, Call{Method: method, Route: rt, Req: req})
	b.mu.Unlock()
}

// Resolve finds a known model by plain or plugin-qualified name; "" is the
// first model.
func (b *Backend) Resolve(name string) (*backend.ModelInfo, error) {
	if name == "" && len(b.Models) > 0 {
		m := b.Models[0]
		return &m, nil
	}
	for _, m := range b.Models {
		if m.Name == name || m.Plugin+"/"+m.Name == name || strings.TrimSuffix(m.Name, ":latest") == name {
			return &m, nil
		}
	}
	return nil, sdk.Errorf(sdk.CodeModelNotFound, "model %q not found", name)
}

func (b *Backend) modelName(name string) (string, error) {
	m, err := b.Resolve(name)
	if err != nil {
		return "", err
	}
	return m.Name, nil
}

func (b *Backend) chunks() []*sdk.ChatChunk {
	if b.Chunks != nil {
		return b.Chunks
	}
	return DefaultChunks()
}

// finishStream applies StreamErr and BlockStream after the chunks went out.
func (b *Backend) finishStream(ctx context.Context) error {
	if b.BlockStream {
		b.waitOnce.Do(func() { close(b.Blocked) })
		<-ctx.Done()
		b.doneOnce.Do(func() { close(b.Canceled) })
		return sdk.AsError(ctx.Err())
	}
	return b.StreamErr
}

func (b *Backend) Chat(ctx context.Context, rt backend.Route, req *sdk.ChatRequest) (*sdk.ChatResponse, error) {
	b.record("Chat", rt, req)
	if b.ChatFunc != nil {
		return b.ChatFunc(ctx, rt, req)
	}
	name, err := b.modelName(req.Model)
	if err != nil {
		return nil, err
	}
	return &sdk.ChatResponse{
		Model:        name,
		Message:      sdk.Message{Role: "assistant", Content: "Hello"},
		FinishReason: "stop",
		Usage:        &sdk.Usage{PromptTokens: 3, CompletionTokens: 2, TotalTokens: 5},
	}, nil
}

func (b *Backend) ChatStream(ctx context.Context, rt backend.Route, req *sdk.ChatRequest, send func(*sdk.ChatChunk) error) error {
	b.record("ChatStream", rt, req)
	if b.ChatStreamFunc != nil {
		return b.ChatStreamFunc(ctx, rt, req, send)
	}
	name, err := b.modelName(req.Model)
	if err != nil {
		return err
	}
	for _, c := range b.chunks() {
		if b.BlockStream && c.Done {
			break
		}
		cc := *c
		cc.Model = name
		if err := send(&cc); err != nil {
			return err
		}
	}
	return b.finishStream(ctx)
}

func (b *Backend) Generate(ctx context.Context, rt backend.Route, req *sdk.GenerateRequest) (*sdk.GenerateResponse, error) {
	b.record("Generate", rt, req)
	if b.GenerateFunc != nil {
		return b.GenerateFunc(ctx, rt, req)
	}
	name, err := b.modelName(req.Model)
	if err != nil {
		return nil, err
	}
	return &sdk.GenerateResponse{
		Model: name, Text: "Hello", FinishReason: "stop",
		Usage: &sdk.Usage{PromptTokens: 3, CompletionTokens: 2, TotalTokens: 5},
	}, nil
}

func (b *Backend) GenerateStream(ctx context.Context, rt backend.Route, req *sdk.GenerateRequest, send func(*sdk.GenerateChunk) error) error {
	b.record("GenerateStream", rt, req)
	if b.GenerateStreamFunc != nil {
		return b.GenerateStreamFunc(ctx, rt, req, send)
	}
	name, err := b.modelName(req.Model)
	if err != nil {
		return err
	}
	for _, c := range b.chunks() {
		if b.BlockStream && c.Done {
			break
		}
		gc := &sdk.GenerateChunk{Model: name, Text: c.Content, Thinking: c.Thinking, Done: c.Done,
			FinishReason: c.FinishReason, Usage: c.Usage}
		if err := send(gc); err != nil {
			return err
		}
	}
	return b.finishStream(ctx)
}

func (b *Backend) Embed(ctx context.Context, rt backend.Route, req *sdk.EmbedRequest) (*sdk.EmbedResponse, error) {
	b.record("Embed", rt, req)
	if b.EmbedFunc != nil {
		return b.EmbedFunc(ctx, rt, req)
	}
	name, err := b.modelName(req.Model)
	if err != nil {
		return nil, err
	}
	out := &sdk.EmbedResponse{Model: name, Usage: &sdk.Usage{}}
	for _, in := range req.Input {
		v := []float32{float32(len(in)), 0.5, -0.25}
		if req.Dimensions > 0 && req.Dimensions < len(v) {
			v = v[:req.Dimensions]
		}
		out.Embeddings = append(out.Embeddings, v)
		out.Usage.PromptTokens += len(strings.Fields(in))
	}
	out.Usage.TotalTokens = out.Usage.PromptTokens
	return out, nil
}

func (b *Backend) Rerank(ctx context.Context, rt backend.Route, req *sdk.RerankRequest) (*sdk.RerankResponse, error) {
	b.record("Rerank", rt, req)
	return nil, sdk.Errorf(sdk.CodeUnimplemented, "rerank is not faked")
}

// PNG is a tiny valid-looking image payload the fake returns.
var PNG = []byte("\x89PNG\r\n\x1a\nfake")

// WAV is the audio payload the fake returns.
var WAV = []byte("RIFF\x24\x00\x00\x00WAVEfmt fake")

func (b *Backend) TextToImage(ctx context.Context, rt backend.Route, req *sdk.TextToImageRequest) (*sdk.TextToImageResponse, error) {
	b.record("TextToImage", rt, req)
	if b.TextToImageFunc != nil {
		return b.TextToImageFunc(ctx, rt, req)
	}
	return &sdk.TextToImageResponse{Model: req.Model, Images: fakeImages(req.N, req.Prompt)}, nil
}

// ImageToImage answers n copies of PNG, as TextToImage does.
func (b *Backend) ImageToImage(ctx context.Context, rt backend.Route, req *sdk.ImageToImageRequest) (*sdk.ImageToImageResponse, error) {
	b.record("ImageToImage", rt, req)
	if b.ImageToImageFunc != nil {
		return b.ImageToImageFunc(ctx, rt, req)
	}
	return &sdk.ImageToImageResponse{Model: req.Model, Images: fakeImages(req.N, req.Prompt)}, nil
}

func fakeImages(n int, prompt string) []sdk.Image {
	var out []sdk.Image
	for range max(n, 1) {
		out = append(out, sdk.Image{Data: PNG, MIMEType: "image/png", RevisedPrompt: prompt})
	}
	return out
}

func (b *Backend) TextToSpeech(ctx context.Context, rt backend.Route, req *sdk.TextToSpeechRequest) (*sdk.TextToSpeechResponse, error) {
	b.record("TextToSpeech", rt, req)
	if b.TextToSpeechFunc != nil {
		return b.TextToSpeechFunc(ctx, rt, req)
	}
	return &sdk.TextToSpeechResponse{Model: req.Model, Audio: WAV, MIMEType: "audio/wav"}, nil
}

func (b *Backend) SpeechToText(ctx context.Context, rt backend.Route, req *sdk.SpeechToTextRequest) (*sdk.SpeechToTextResponse, error) {
	b.record("SpeechToText", rt, req)
	if b.SpeechToTextFunc != nil {
		return b.SpeechToTextFunc(ctx, rt, req)
	}
	return &sdk.SpeechToTextResponse{
		Model: req.Model, Text: "hello world", Language: "en", Duration: 1.5,
		Segments: []sdk.TranscriptSegment{{Start: 0, End: 0.7, Text: "hello"}, {Start: 0.7, End: 1.5, Text: " world"}},
	}, nil
}

// SpeechToTextLive answers one partial transcript per audio frame and a
// final one at the end.
func (b *Backend) SpeechToTextLive(ctx context.Context, rt backend.Route, cfg *sdk.SpeechToTextRequest,
	recv func() (*sdk.LiveSpeechInput, error), send func(*sdk.LiveSpeechOutput) error) error {
	b.record("SpeechToTextLive", rt, cfg)
	total := 0
	for {
		in, err := recv()
		if err != nil || in.End {
			return send(&sdk.LiveSpeechOutput{Text: fmt.Sprintf("%d bytes", total), IsFinal: true})
		}
		total += len(in.Audio)
		if err := send(&sdk.LiveSpeechOutput{Text: fmt.Sprintf("%d", total)}); err != nil {
			return err
		}
	}
}

func (b *Backend) ListModels(ctx context.Context, running bool) ([]backend.ModelInfo, error) {
	b.record("ListModels", backend.Route{}, running)
	var out []backend.ModelInfo
	for _, m := range b.Models {
		if running && m.State != "running" {
			continue
		}
		out = append(out, m)
	}
	return out, nil
}

func (b *Backend) ShowModel(ctx context.Context, rt backend.Route, model string) (*sdk.ModelDetails, string, error) {
	b.record("ShowModel", rt, model)
	m, err := b.Resolve(model)
	if err != nil {
		return nil, "", err
	}
	return &sdk.ModelDetails{
		Model:      m.Model,
		Template:   "{{ .Prompt }}",
		Parameters: "stop \"<|eot_id|>\"",
		License:    "test license",
		Details:    map[string]string{"general.architecture": m.Family},
	}, m.Plugin, nil
}

func (b *Backend) PullModel(ctx context.Context, req backend.PullRequest, progress func(*sdk.Progress) error) error {
	b.record("PullModel", backend.Route{}, req)
	if b.PullFunc != nil {
		return b.PullFunc(ctx, req, progress)
	}
	if req.Model == "" {
		return sdk.FieldError("model", "is required")
	}
	if strings.Contains(req.Model, "missing") {
		return sdk.Errorf(sdk.CodeModelNotFound, "pull model manifest: file does not exist")
	}
	steps := b.Progress
	if steps == nil {
		steps = DefaultProgress()
	}
	for _, p := range steps {
		if err := progress(p); err != nil {
			return err
		}
	}
	return b.StreamErr
}

func (b *Backend) DeleteModel(ctx context.Context, rt backend.Route, model string) error {
	b.record("DeleteModel", rt, model)
	if model == "" {
		return sdk.FieldError("model", "is required")
	}
	_, err := b.Resolve(model)
	return err
}

func (b *Backend) LoadModel(ctx context.Context, rt backend.Route, req *sdk.LoadRequest) error {
	b.record("LoadModel", rt, req)
	_, err := b.Resolve(req.Model)
	return err
}

func (b *Backend) UnloadModel(ctx context.Context, rt backend.Route, model string) error {
	b.record("UnloadModel", rt, model)
	_, err := b.Resolve(model)
	return err
}

// CopyModel succeeds for a known source.
func (b *Backend) CopyModel(ctx context.Context, rt backend.Route, req *sdk.CopyRequest) error {
	b.record("CopyModel", rt, req)
	if req.Source == "" || req.Destination == "" {
		return sdk.FieldError("source", "and destination are required")
	}
	if _, err := b.Resolve(req.Source); err != nil {
		var e *sdk.Error
		if errors.As(err, &e) {
			c := *e
			c.Field = "source"
			return &c
		}
		return err
	}
	return nil
}

// CreateModel reports CreateProgress (or a default sequence). A digest
// in Files that was not uploaded (CreateBlob) is refused, as by Ollama.
func (b *Backend) CreateModel(ctx context.Context, rt backend.Route, req *sdk.CreateRequest, progress func(*sdk.Progress) error) error {
	b.record("CreateModel", rt, req)
	for _, d := range req.Files {
		b.mu.Lock()
		_, ok := b.blobs[d]
		b.mu.Unlock()
		if !ok {
			return sdk.Errorf(sdk.CodeInvalidArgument, "blob %s not found", d)
		}
	}
	for _, s := range []string{"parsing GGUF", "using existing layer", "writing manifest", "success"} {
		if err := progress(&sdk.Progress{Status: s}); err != nil {
			return err
		}
	}
	return nil
}

// PushModel reports the default pull progress with "uploading" phases.
func (b *Backend) PushModel(ctx context.Context, rt backend.Route, req *sdk.PushRequest, progress func(*sdk.Progress) error) error {
	b.record("PushModel", rt, req)
	if _, err := b.Resolve(req.Model); err != nil {
		return err
	}
	for _, p := range []*sdk.Progress{{Status: "retrieving manifest"},
		{Status: "uploading", Digest: "sha256:aaaa", Total: 100, Completed: 100},
		{Status: "pushing manifest"}, {Status: "success"}} {
		if err := progress(p); err != nil {
			return err
		}
	}
	return nil
}

// CheckBlob says whether CreateBlob stored digest.
func (b *Backend) CheckBlob(ctx context.Context, rt backend.Route, digest string) (bool, error) {
	b.record("CheckBlob", rt, digest)
	b.mu.Lock()
	defer b.mu.Unlock()
	_, ok := b.blobs[digest]
	return ok, nil
}

// CreateBlob stores body under digest after checking its sha256.
func (b *Backend) CreateBlob(ctx context.Context, rt backend.Route, digest string, body io.Reader) error {
	b.record("CreateBlob", rt, digest)
	h := sha256.New()
	n, err := io.Copy(h, body)
	if err != nil {
		return err
	}
	if got := "sha256:" + hex.EncodeToString(h.Sum(nil)); got != digest {
		return &sdk.Error{Code: sdk.CodeInvalidArgument, Field: "digest", Message: "digest mismatch: the body's is " + got}
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.blobs == nil {
		b.blobs = map[string]int64{}
	}
	b.blobs[digest] = n
	return nil
}

func (b *Backend) Version() string { return "0.1.0-test" }

// String describes the fake (for test failure messages).
func (b *Backend) String() string { return fmt.Sprintf("compattest.Backend(%d models)", len(b.Models)) }
