package sdk

import (
	"context"
	"io"
)

// Plugin is what every plugin implements: Info, Health and Configure.
// Embed UnimplementedPlugin for sensible defaults of all three; methods
// added to this interface in later SDK versions then need no change in
// your plugin.
//
// What a plugin offers is the service interfaces it implements besides
// (ChatService, EmbedService, ... and ModelLister, Engine, Models,
// Providers): Serve finds them by type assertion, reports them to the
// host (Info.Implemented), and the host refuses to run a plugin whose
// plugin.yaml declares a service it has no method for.
type Plugin interface {
	// Info describes the plugin as it runs now (mode, compute, services).
	Info(ctx context.Context) (*Info, error)
	// Health says whether the plugin can serve: for a local plugin, that
	// its engine answers, not only that the process is alive.
	Health(ctx context.Context) (*Health, error)
	// Configure hands over settings and credentials. It is called after
	// start and again whenever the host's configuration changes.
	Configure(ctx context.Context, cfg *Config) error
}

// ChatService serves chat (ServiceChat). A plugin needs only one of the
// two methods: with only ChatStream, Serve answers Chat by collecting the
// stream (ChatFromStream); with only Chat, it answers ChatStream with one
// chunk (ChatToStream). Implement both when the engine has both.
//
// Streaming methods call send once per chunk, the last with Done set; a
// non-nil error from send means the caller has gone and the method
// should return promptly.
type ChatService interface {
	Chat(ctx context.Context, req *ChatRequest) (*ChatResponse, error)
	ChatStream(ctx context.Context, req *ChatRequest, send func(*ChatChunk) error) error
}

// GenerateService serves generate (ServiceGenerate); one of the two
// methods is enough, as for ChatService (GenerateFromStream,
// GenerateToStream).
type GenerateService interface {
	Generate(ctx context.Context, req *GenerateRequest) (*GenerateResponse, error)
	GenerateStream(ctx context.Context, req *GenerateRequest, send func(*GenerateChunk) error) error
}

// EmbedService serves embed (ServiceEmbed).
type EmbedService interface {
	Embed(ctx context.Context, req *EmbedRequest) (*EmbedResponse, error)
}

// RerankService serves rerank (ServiceRerank).
type RerankService interface {
	Rerank(ctx context.Context, req *RerankRequest) (*RerankResponse, error)
}

// TextToImageService serves text-to-image (ServiceTextToImage).
type TextToImageService interface {
	TextToImage(ctx context.Context, req *TextToImageRequest) (*TextToImageResponse, error)
}

// TextToSpeechService serves text-to-speech (ServiceTextToSpeech); one of
// the two methods is enough (TextToSpeechFromStream, TextToSpeechToStream).
type TextToSpeechService interface {
	TextToSpeech(ctx context.Context, req *TextToSpeechRequest) (*TextToSpeechResponse, error)
	TextToSpeechStream(ctx context.Context, req *TextToSpeechRequest, send func(*AudioChunk) error) error
}

// SpeechToTextService serves speech-to-text (ServiceSpeechToText); one of
// the two methods is enough (SpeechToTextFromLive, SpeechToTextToLive).
type SpeechToTextService interface {
	SpeechToText(ctx context.Context, req *SpeechToTextRequest) (*SpeechToTextResponse, error)
	// SpeechToTextLive transcribes while audio arrives: recv returns the
	// next input frame, or io.EOF when the caller is done.
	SpeechToTextLive(ctx context.Context, recv func() (*LiveSpeechInput, error), send func(*LiveSpeechOutput) error) error
}

// ModelLister lists the models a plugin serves, for GET /v1/models and
// for routing requests by model. Models includes it; a plugin without an
// engine (a remote plugin, a plugin with built-in models) implements just
// this. A remote plugin tags each model with the provider instance that
// serves it (Model.Provider); the manifest's models stand in only for an
// instance that lists none.
type ModelLister interface {
	ListModels(ctx context.Context) ([]Model, error)
}

// Engine is implemented by local plugins that manage an engine process.
type Engine interface {
	CheckEngine(ctx context.Context) (*EngineStatus, error)
	InstallEngine(ctx context.Context, req *InstallEngineRequest, progress func(*Progress) error) error
	StartEngine(ctx context.Context) (*EngineStatus, error)
	StopEngine(ctx context.Context) (*EngineStatus, error)
	EngineStatus(ctx context.Context) (*EngineStatus, error)
	UpgradeEngine(ctx context.Context, req *InstallEngineRequest, progress func(*Progress) error) error
}

// Models is implemented by local plugins whose engine holds models.
type Models interface {
	PullModel(ctx context.Context, req *PullRequest, progress func(*Progress) error) error
	ListModels(ctx context.Context) ([]Model, error)
	ListRunningModels(ctx context.Context) ([]Model, error)
	LoadModel(ctx context.Context, req *LoadRequest) error
	UnloadModel(ctx context.Context, model string) error
	DeleteModel(ctx context.Context, model string) error
	ShowModel(ctx context.Context, model string) (*ModelDetails, error)
}

// ModelCopier is implemented by local plugins whose engine can give a
// model a second name (ollama cp). Like the three below it is optional:
// a plugin without it answers CodeUnimplemented.
type ModelCopier interface {
	CopyModel(ctx context.Context, req *CopyRequest) error
}

// ModelCreator is implemented by local plugins that can make a model from
// a file, uploaded blobs or a base model plus Modelfile-like changes.
type ModelCreator interface {
	CreateModel(ctx context.Context, req *CreateRequest, progress func(*Progress) error) error
}

// ModelPusher is implemented by local plugins that can upload a model to
// its registry.
type ModelPusher interface {
	PushModel(ctx context.Context, req *PushRequest, progress func(*Progress) error) error
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
	ListProviders(ctx context.Context) ([]ProviderStatus, error)
	// TestProvider makes a real request to one provider instance.
	TestProvider(ctx context.Context, name string) (*ProviderTest, error)
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
	ValidateConfig(ctx context.Context, cfg *Config) error
}

// Shutdowner is implemented by plugins that must clean up before the
// process exits, such as stopping an engine they started. Serve calls it
// once, after in-flight calls were cancelled.
type Shutdowner interface {
	Shutdown(ctx context.Context) error
}
