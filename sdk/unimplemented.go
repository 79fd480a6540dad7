package sdk

import "context"

// UnimplementedPlugin answers every Plugin method: Info and Configure do
// nothing, Health reports serving, and every service returns an error with
// code CodeUnimplemented. Embed it by value and override what you offer.
type UnimplementedPlugin struct{}

func unimplemented(method string) error {
	return Errorf(CodeUnimplemented, "this plugin does not implement %s", method)
}

func (UnimplementedPlugin) Info(context.Context) (*Info, error) { return &Info{}, nil }
func (UnimplementedPlugin) Health(context.Context) (*Health, error) {
	return &Health{State: HealthServing}, nil
}
func (UnimplementedPlugin) Configure(context.Context, *Config) error { return nil }
func (UnimplementedPlugin) Chat(context.Context, *ChatRequest) (*ChatResponse, error) {
	return nil, unimplemented("chat")
}
func (UnimplementedPlugin) ChatStream(context.Context, *ChatRequest, func(*ChatChunk) error) error {
	return unimplemented("streaming chat")
}
func (UnimplementedPlugin) Generate(context.Context, *GenerateRequest) (*GenerateResponse, error) {
	return nil, unimplemented("generate")
}
func (UnimplementedPlugin) GenerateStream(context.Context, *GenerateRequest, func(*GenerateChunk) error) error {
	return unimplemented("streaming generate")
}
func (UnimplementedPlugin) Embed(context.Context, *EmbedRequest) (*EmbedResponse, error) {
	return nil, unimplemented("embed")
}
func (UnimplementedPlugin) Rerank(context.Context, *RerankRequest) (*RerankResponse, error) {
	return nil, unimplemented("rerank")
}
func (UnimplementedPlugin) TextToImage(context.Context, *TextToImageRequest) (*TextToImageResponse, error) {
	return nil, unimplemented("text-to-image")
}
func (UnimplementedPlugin) TextToSpeech(context.Context, *TextToSpeechRequest) (*TextToSpeechResponse, error) {
	return nil, unimplemented("text-to-speech")
}
func (UnimplementedPlugin) TextToSpeechStream(context.Context, *TextToSpeechRequest, func(*AudioChunk) error) error {
	return unimplemented("streaming text-to-speech")
}
func (UnimplementedPlugin) SpeechToText(context.Context, *SpeechToTextRequest) (*SpeechToTextResponse, error) {
	return nil, unimplemented("speech-to-text")
}
func (UnimplementedPlugin) SpeechToTextLive(context.Context, func() (*LiveSpeechInput, error), func(*LiveSpeechOutput) error) error {
	return unimplemented("live speech-to-text")
}

// UnimplementedEngine answers every Engine method with CodeUnimplemented.
type UnimplementedEngine struct{}

func (UnimplementedEngine) CheckEngine(context.Context) (*EngineStatus, error) {
	return nil, unimplemented("engine check")
}
func (UnimplementedEngine) InstallEngine(context.Context, *InstallEngineRequest, func(*Progress) error) error {
	return unimplemented("engine install")
}
func (UnimplementedEngine) StartEngine(context.Context) (*EngineStatus, error) {
	return nil, unimplemented("engine start")
}
func (UnimplementedEngine) StopEngine(context.Context) (*EngineStatus, error) {
	return nil, unimplemented("engine stop")
}
func (UnimplementedEngine) EngineStatus(context.Context) (*EngineStatus, error) {
	return nil, unimplemented("engine status")
}
func (UnimplementedEngine) UpgradeEngine(context.Context, *InstallEngineRequest, func(*Progress) error) error {
	return unimplemented("engine upgrade")
}

// UnimplementedModels answers every Models method with CodeUnimplemented.
type UnimplementedModels struct{}

func (UnimplementedModels) PullModel(context.Context, *PullRequest, func(*Progress) error) error {
	return unimplemented("model pull")
}
func (UnimplementedModels) ListModels(context.Context) ([]Model, error) {
	return nil, unimplemented("model list")
}
func (UnimplementedModels) ListRunningModels(context.Context) ([]Model, error) {
	return nil, unimplemented("running model list")
}
func (UnimplementedModels) LoadModel(context.Context, *LoadRequest) error {
	return unimplemented("model load")
}
func (UnimplementedModels) UnloadModel(context.Context, string) error {
	return unimplemented("model unload")
}
func (UnimplementedModels) DeleteModel(context.Context, string) error {
	return unimplemented("model delete")
}
func (UnimplementedModels) ShowModel(context.Context, string) (*ModelDetails, error) {
	return nil, unimplemented("model show")
}

// UnimplementedProviders answers every Providers method with
// CodeUnimplemented.
type UnimplementedProviders struct{}

func (UnimplementedProviders) ListProviders(context.Context) ([]ProviderStatus, error) {
	return nil, unimplemented("provider list")
}
func (UnimplementedProviders) TestProvider(context.Context, string) (*ProviderTest, error) {
	return nil, unimplemented("provider test")
}
