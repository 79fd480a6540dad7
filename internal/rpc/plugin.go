package rpc

import (
	"context"
	"io"

	"github.com/roundhouse-ai/roundhouse/types"
)

// The interfaces below mirror those of package sdk method for method (sdk
// cannot be imported here: it imports this package to serve). Go interfaces
// are structural, so an sdk.Plugin is an rpc.Plugin; sdk checks at compile
// time that the two sets stay identical (sdk/rpc_check.go).

// Plugin is what every plugin implements: the base every plugin has.
// The services it offers are the optional interfaces below, detected by
// type assertion when the server is made (NewServer).
type Plugin interface {
	// Info describes the plugin as it runs now (mode, compute, services).
	Info(ctx context.Context) (*types.Info, error)
	// Health says whether the plugin can serve: for a local plugin, that
	// its engine answers, not only that the process is alive.
	Health(ctx context.Context) (*types.Health, error)
	// Configure hands over settings and credentials. It is called after
	// start and again whenever the host's configuration changes.
	Configure(ctx context.Context, cfg *types.Config) error
}

// ChatService serves chat; a plugin may have either method or both.
type ChatService interface {
	Chat(ctx context.Context, req *types.ChatRequest) (*types.ChatResponse, error)
	ChatStream(ctx context.Context, req *types.ChatRequest, send func(*types.ChatChunk) error) error
}

// GenerateService serves generate; a plugin may have either method or both.
type GenerateService interface {
	Generate(ctx context.Context, req *types.GenerateRequest) (*types.GenerateResponse, error)
	GenerateStream(ctx context.Context, req *types.GenerateRequest, send func(*types.GenerateChunk) error) error
}

// EmbedService serves embed.
type EmbedService interface {
	Embed(ctx context.Context, req *types.EmbedRequest) (*types.EmbedResponse, error)
}

// RerankService serves rerank.
type RerankService interface {
	Rerank(ctx context.Context, req *types.RerankRequest) (*types.RerankResponse, error)
}

// TextToImageService serves text-to-image.
type TextToImageService interface {
	TextToImage(ctx context.Context, req *types.TextToImageRequest) (*types.TextToImageResponse, error)
}

// ImageToImageService serves image-to-image.
type ImageToImageService interface {
	ImageToImage(ctx context.Context, req *types.ImageToImageRequest) (*types.ImageToImageResponse, error)
}

// TextToSpeechService serves text-to-speech; either method or both.
type TextToSpeechService interface {
	TextToSpeech(ctx context.Context, req *types.TextToSpeechRequest) (*types.TextToSpeechResponse, error)
	TextToSpeechStream(ctx context.Context, req *types.TextToSpeechRequest, send func(*types.AudioChunk) error) error
}

// SpeechToTextService serves speech-to-text; either method or both.
type SpeechToTextService interface {
	SpeechToText(ctx context.Context, req *types.SpeechToTextRequest) (*types.SpeechToTextResponse, error)
	// SpeechToTextLive transcribes while audio arrives: recv returns the
	// next input frame, or io.EOF when the caller is done.
	SpeechToTextLive(ctx context.Context, recv func() (*types.LiveSpeechInput, error), send func(*types.LiveSpeechOutput) error) error
}

// ModelLister lists the models a plugin serves.
type ModelLister interface {
	ListModels(ctx context.Context) ([]types.Model, error)
}

// Engine is implemented by local plugins that manage an engine process.
type Engine interface {
	CheckEngine(ctx context.Context) (*types.EngineStatus, error)
	InstallEngine(ctx context.Context, req *types.InstallEngineRequest, progress func(*types.Progress) error) error
	StartEngine(ctx context.Context) (*types.EngineStatus, error)
	StopEngine(ctx context.Context) (*types.EngineStatus, error)
	EngineStatus(ctx context.Context) (*types.EngineStatus, error)
	UpgradeEngine(ctx context.Context, req *types.InstallEngineRequest, progress func(*types.Progress) error) error
}

// Models is implemented by local plugins whose engine holds models.
type Models interface {
	PullModel(ctx context.Context, req *types.PullRequest, progress func(*types.Progress) error) error
	ListModels(ctx context.Context) ([]types.Model, error)
	ListRunningModels(ctx context.Context) ([]types.Model, error)
	LoadModel(ctx context.Context, req *types.LoadRequest) error
	UnloadModel(ctx context.Context, model string) error
	DeleteModel(ctx context.Context, model string) error
	ShowModel(ctx context.Context, model string) (*types.ModelDetails, error)
}

// ModelCopier is implemented by local plugins whose engine can give a
// model a second name (ollama cp). Like the three below it is optional:
// a plugin without it answers CodeUnimplemented.
type ModelCopier interface {
	CopyModel(ctx context.Context, req *types.CopyRequest) error
}

// ModelCreator is implemented by local plugins that can make a model from
// a file, uploaded blobs or a base model plus Modelfile-like changes.
type ModelCreator interface {
	CreateModel(ctx context.Context, req *types.CreateRequest, progress func(*types.Progress) error) error
}

// ModelPusher is implemented by local plugins that can upload a model to
// its registry.
type ModelPusher interface {
	PushModel(ctx context.Context, req *types.PushRequest, progress func(*types.Progress) error) error
}

// BlobStore is implemented by local plugins whose engine stores blobs by
// digest ("sha256:<hex>"), for CreateModel's Files.
type BlobStore interface {
	// CheckBlob says whether the engine has the blob.
	CheckBlob(ctx context.Context, digest string) (bool, error)
	// CreateBlob stores the bytes read from body (until io.EOF) as the
	// blob; the engine refuses them when their digest differs.
	CreateBlob(ctx context.Context, digest string, body io.Reader) error
}

// Providers is implemented by remote plugins that proxy cloud APIs through
// configured provider instances.
type Providers interface {
	// ListProviders shows provider instances with keys masked.
	ListProviders(ctx context.Context) ([]types.ProviderStatus, error)
	// TestProvider makes a real request to one provider instance.
	TestProvider(ctx context.Context, name string) (*types.ProviderTest, error)
}

// LocalPlugin manages an engine and its models (Ollama, OpenVINO).
type LocalPlugin interface {
	Plugin
	Engine
	Models
}

// RemotePlugin proxies cloud APIs with credentials it gets via Configure.
type RemotePlugin interface {
	Plugin
	Providers
}

// ConfigValidator is implemented by plugins that can check a configuration
// without applying it. The host calls ValidateConfig before it saves a
// runtime change (a provider added through its API), so a change the
// plugin would refuse is never persisted. Return an *Error with
// CodeInvalidArgument whose Field names the setting at fault
// ("providers[2].base_url", "settings.engine_host"); apply nothing.
// Plugins without it are validated by the host's own checks only.
type ConfigValidator interface {
	ValidateConfig(ctx context.Context, cfg *types.Config) error
}

// Shutdowner is implemented by plugins that must clean up before the
// process exits, such as stopping an engine they started. Serve calls it
// once, after in-flight calls were cancelled.
type Shutdowner interface {
	Shutdown(ctx context.Context) error
}
