package sdk

import "context"

// UnimplementedPlugin is the base to embed in a plugin: Info reports
// nothing of its own, Configure accepts anything, Health reports serving.
// It has no service methods: a plugin offers exactly the services whose
// methods it defines (see ChatService), so a service the plugin does not
// define is one the host knows it lacks, not one that fails at the first
// call. Embed it by value and override what you need.
type UnimplementedPlugin struct{}

func unimplemented(method string) error {
	return Errorf(CodeUnimplemented, "this plugin does not implement %s", method)
}

func (UnimplementedPlugin) Info(context.Context) (*Info, error) { return &Info{}, nil }
func (UnimplementedPlugin) Health(context.Context) (*Health, error) {
	return &Health{State: HealthServing}, nil
}
func (UnimplementedPlugin) Configure(context.Context, *Config) error { return nil }

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
