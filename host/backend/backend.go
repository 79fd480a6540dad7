// Package backend is the seam between the host's HTTP surfaces (native,
// OpenAI-, Ollama- and Anthropic-compatible) and the router that picks a
// plugin. Surfaces translate their dialect into sdk types and call a
// Backend; they never know which plugin answers.
package backend

import (
	"context"
	"io"

	"github.com/roundhouse-ai/roundhouse/sdk"
)

// Policy says where a request may run.
type Policy string

// Policies.
const (
	PolicyAuto   Policy = "auto"   // local first, then remote
	PolicyLocal  Policy = "local"  // only local plugins
	PolicyRemote Policy = "remote" // only remote plugins
)

// Route carries the routing wishes of one request. The model itself travels
// in the request; it may be plain ("llama3.2"), plugin-qualified
// ("ollama/llama3.2", when the prefix names a loaded plugin) or empty (the
// service's default model).
type Route struct {
	Policy Policy
	// Plugin pins a plugin by name ("" = router's choice).
	Plugin string
	// Provider pins a provider instance of a remote plugin ("" = any).
	Provider string
	// IdempotencyKey (header Idempotency-Key) makes identical non-stream
	// requests with the same key share one answer, in flight and for a
	// while after.
	IdempotencyKey string
}

// ModelInfo is a model as the host lists it across plugins.
type ModelInfo struct {
	sdk.Model
	// Plugin serves the model.
	Plugin string `json:"plugin"`
	// Type is the plugin's type: "local" or "remote".
	Type string `json:"type"`
	// State is "available" or "running".
	State string `json:"state"`
}

// PullRequest asks the host to pull a model with a local plugin.
type PullRequest struct {
	Model    string `json:"model"`
	Insecure bool   `json:"insecure,omitempty"`
	Plugin   string `json:"plugin,omitempty"`
}

// Backend is what the HTTP surfaces call. Every error is an *sdk.Error (or
// wraps one) whose Code decides the HTTP status in each dialect; unknown
// models are sdk.CodeModelNotFound, unknown services sdk.CodeServiceNotFound,
// no usable plugin sdk.CodeServiceUnavailable.
type Backend interface {
	Chat(ctx context.Context, rt Route, req *sdk.ChatRequest) (*sdk.ChatResponse, error)
	ChatStream(ctx context.Context, rt Route, req *sdk.ChatRequest, send func(*sdk.ChatChunk) error) error
	Generate(ctx context.Context, rt Route, req *sdk.GenerateRequest) (*sdk.GenerateResponse, error)
	GenerateStream(ctx context.Context, rt Route, req *sdk.GenerateRequest, send func(*sdk.GenerateChunk) error) error
	Embed(ctx context.Context, rt Route, req *sdk.EmbedRequest) (*sdk.EmbedResponse, error)
	Rerank(ctx context.Context, rt Route, req *sdk.RerankRequest) (*sdk.RerankResponse, error)
	TextToImage(ctx context.Context, rt Route, req *sdk.TextToImageRequest) (*sdk.TextToImageResponse, error)
	TextToSpeech(ctx context.Context, rt Route, req *sdk.TextToSpeechRequest) (*sdk.TextToSpeechResponse, error)
	SpeechToText(ctx context.Context, rt Route, req *sdk.SpeechToTextRequest) (*sdk.SpeechToTextResponse, error)
	// SpeechToTextLive transcribes while audio arrives: cfg picks the model,
	// recv yields audio frames (io.EOF at the end), send gets transcripts.
	SpeechToTextLive(ctx context.Context, rt Route, cfg *sdk.SpeechToTextRequest,
		recv func() (*sdk.LiveSpeechInput, error), send func(*sdk.LiveSpeechOutput) error) error

	// ListModels lists models across plugins; running=true lists only
	// loaded ones.
	ListModels(ctx context.Context, running bool) ([]ModelInfo, error)
	ShowModel(ctx context.Context, rt Route, model string) (*sdk.ModelDetails, string, error)
	PullModel(ctx context.Context, req PullRequest, progress func(*sdk.Progress) error) error
	DeleteModel(ctx context.Context, rt Route, model string) error
	LoadModel(ctx context.Context, rt Route, req *sdk.LoadRequest) error
	UnloadModel(ctx context.Context, rt Route, model string) error
	// CopyModel gives a model a second name (local plugins).
	CopyModel(ctx context.Context, rt Route, req *sdk.CopyRequest) error
	// CreateModel makes a model from uploaded blobs, a local file or a base
	// model, reporting progress.
	CreateModel(ctx context.Context, rt Route, req *sdk.CreateRequest, progress func(*sdk.Progress) error) error
	// PushModel uploads a model to its registry, reporting progress.
	PushModel(ctx context.Context, rt Route, req *sdk.PushRequest, progress func(*sdk.Progress) error) error
	// CheckBlob says whether the local plugin's engine has a blob.
	CheckBlob(ctx context.Context, rt Route, digest string) (bool, error)
	// CreateBlob streams body to the local plugin's engine as a blob.
	CreateBlob(ctx context.Context, rt Route, digest string, body io.Reader) error

	// Version is the host's version string.
	Version() string
}
