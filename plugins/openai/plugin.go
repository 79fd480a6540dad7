package main

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/roundhouse-ai/roundhouse/sdk"
	"github.com/roundhouse-ai/roundhouse/sdk/wire/openaiwire"
)

// pluginVersion matches provider.version in plugin.yaml.
const pluginVersion = "0.1.0"

// notConfiguredHint is the answer while no provider is configured.
const notConfiguredHint = "the openai plugin has no provider configured: add one with POST /v1/providers " +
	`({"plugin":"openai","name":"main","base_url":"https://api.openai.com/v1","api_keys":[{"value":"sk-..."}]}) ` +
	"or under plugins.openai.providers in the host config"

// plugin is the remote plugin. Its configuration is an immutable
// providerSet swapped atomically by Configure, so a request runs to its
// end on the configuration it started with.
type plugin struct {
	sdk.UnimplementedPlugin

	client *http.Client
	now    func() time.Time

	cfgMu    sync.Mutex // serialises Configure
	set      atomic.Pointer[providerSet]
	settings atomic.Pointer[settings]
}

var (
	_ sdk.RemotePlugin = (*plugin)(nil)
	_ sdk.Shutdowner   = (*plugin)(nil)
	_ sdk.ModelLister  = (*plugin)(nil)
)

// listWait bounds the first GET /models of a provider during ListModels;
// later refreshes run in the background.
const listWait = 5 * time.Second

// ListModels lists what each provider serves, tagged with the provider:
// its configured models, else what its upstream lists at GET /models
// (cached; a stale list is returned at once and refreshed in the
// background, time-bounded). A provider that cannot list contributes
// nothing (the host then falls back to the manifest's models for it).
// With no provider configured it lists nothing.
func (p *plugin) ListModels(ctx context.Context) ([]sdk.Model, error) {
	set := p.set.Load()
	if set == nil {
		return []sdk.Model{}, nil
	}
	out := []sdk.Model{}
	var mu sync.Mutex
	var wg sync.WaitGroup
	for _, pr := range set.list {
		if len(pr.models) > 0 {
			mu.Lock() // fetches started for earlier providers append too
			for _, m := range pr.models {
				out = append(out, sdk.Model{Name: m, Provider: pr.name})
			}
			mu.Unlock()
			continue
		}
		load := func(ctx context.Context) ([]string, error) { return p.fetchModels(ctx, pr) }
		if cached := pr.discovered.peek(); len(cached) > 0 {
			if !pr.discovered.fresh(p.now()) {
				go func() {
					// Detached from the caller and bounded: one client
					// leaving must not cancel everyone's refresh.
					bctx, cancel := context.WithTimeout(context.Background(), listWait)
					defer cancel()
					_, _ = pr.discovered.get(bctx, p.now(), load)
				}()
			}
			mu.Lock()
			for _, m := range cached {
				out = append(out, sdk.Model{Name: m, Provider: pr.name})
			}
			mu.Unlock()
			continue
		}
		wg.Go(func() {
			lctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), listWait)
			defer cancel()
			models, err := pr.discovered.get(lctx, p.now(), load)
			if err != nil {
				slog.InfoContext(ctx, "provider lists no models", "provider", pr.name, "error", err)
				return
			}
			mu.Lock()
			defer mu.Unlock()
			for _, m := range models {
				out = append(out, sdk.Model{Name: m, Provider: pr.name})
			}
		})
	}
	wg.Wait()
	// Configured order is kept per provider; providers listed concurrently
	// are sorted for a stable answer.
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Provider != out[j].Provider {
			return set.index(out[i].Provider) < set.index(out[j].Provider)
		}
		return false
	})
	return out, nil
}

// index is the provider's position in the configuration.
func (s *providerSet) index(name string) int {
	for i, pr := range s.list {
		if pr.name == name {
			return i
		}
	}
	return len(s.list)
}

func newPlugin() *plugin {
	return newPluginWith(&http.Client{Transport: openaiwire.NewTransport()}, time.Now)
}

func newPluginWith(client *http.Client, now func() time.Time) *plugin {
	p := &plugin{client: client, now: now}
	p.settings.Store(&settings{maxRetries: defaultMaxRetries, maxTokensField: "auto"})
	return p
}

// settings are the plugin-wide knobs from Config.Settings.
type settings struct {
	// maxRetries: settings.max_retries, transient retries of unary calls.
	maxRetries int
	// maxTokensField: settings.max_tokens_field, which chat field carries
	// Options.MaxTokens: "auto" (max_completion_tokens for api.openai.com,
	// max_tokens for compatible servers), "max_tokens" or
	// "max_completion_tokens".
	maxTokensField string
}

// parseSettings decodes cfg.Settings strictly: an unknown key is an error
// naming it, as a type error is.
func parseSettings(cfg *sdk.Config) (*settings, error) {
	in := struct {
		MaxRetries     int    `json:"max_retries"`
		MaxTokensField string `json:"max_tokens_field"`
	}{MaxRetries: defaultMaxRetries, MaxTokensField: "auto"}
	if err := cfg.DecodeSettings(&in); err != nil {
		return nil, err
	}
	if in.MaxRetries < 0 || in.MaxRetries > 10 {
		return nil, sdk.FieldError("settings.max_retries", "must be a whole number from 0 to 10")
	}
	switch in.MaxTokensField {
	case "auto", "max_tokens", "max_completion_tokens":
	default:
		return nil, sdk.FieldError("settings.max_tokens_field", "must be auto, max_tokens or max_completion_tokens")
	}
	return &settings{maxRetries: in.MaxRetries, maxTokensField: in.MaxTokensField}, nil
}

func (p *plugin) maxRetries() int { return p.settings.Load().maxRetries }

// Configure applies the whole provider list at once: it is validated
// first (by checkConfig, as ValidateConfig does), and on any error the
// previous configuration stays, untouched. Keys that stay keep their
// statistics and health.
func (p *plugin) Configure(_ context.Context, cfg *sdk.Config) error {
	if cfg == nil {
		cfg = &sdk.Config{}
	}
	st, provs, err := checkConfig(cfg)
	if err != nil {
		return err
	}
	p.cfgMu.Lock()
	defer p.cfgMu.Unlock()
	set := newProviderSet(provs, cfg.Providers, p.set.Load(), p.now)
	p.settings.Store(st)
	p.set.Store(set)
	names := make([]string, 0, len(set.list))
	for _, pr := range set.list {
		names = append(names, pr.name)
	}
	slog.Info("configured", "providers", strings.Join(names, ","))
	return nil
}

// ValidateConfig checks cfg exactly as Configure would (the same
// checkConfig) without applying anything: the host asks before it saves a
// provider, and maps the error's Field ("providers[2].base_url") to the
// request field at fault.
func (p *plugin) ValidateConfig(_ context.Context, cfg *sdk.Config) error {
	_, _, err := checkConfig(cfg)
	return err
}

var serviceCaps = map[string]sdk.Capabilities{
	sdk.ServiceChat:         {SupportStreaming: true},
	sdk.ServiceGenerate:     {SupportStreaming: true},
	sdk.ServiceEmbed:        {},
	sdk.ServiceTextToImage:  {},
	sdk.ServiceImageToImage: {},
	sdk.ServiceTextToSpeech: {},
	sdk.ServiceSpeechToText: {},
}

func (p *plugin) Info(context.Context) (*sdk.Info, error) {
	n := 0
	if set := p.set.Load(); set != nil {
		n = len(set.list)
	}
	return &sdk.Info{
		Name: "openai", Version: pluginVersion, Type: string(sdk.ProviderRemote), SDKVersion: sdk.Version,
		Services: serviceCaps,
		Details:  map[string]string{"providers": fmt.Sprint(n)},
	}, nil
}

// Health is serving once a provider is configured. It makes no upstream
// call: TestProvider does that on demand.
func (p *plugin) Health(context.Context) (*sdk.Health, error) {
	set := p.set.Load()
	if set == nil || len(set.list) == 0 {
		return &sdk.Health{State: sdk.HealthNotServing, Message: notConfiguredHint}, nil
	}
	return &sdk.Health{State: sdk.HealthServing, Message: fmt.Sprintf("%d provider(s) configured", len(set.list))}, nil
}

// Shutdown closes idle upstream connections.
func (p *plugin) Shutdown(context.Context) error {
	p.client.CloseIdleConnections()
	return nil
}

// ListProviders shows each provider with its keys masked and their stats.
func (p *plugin) ListProviders(context.Context) ([]sdk.ProviderStatus, error) {
	set := p.set.Load()
	if set == nil {
		return []sdk.ProviderStatus{}, nil
	}
	now := p.now()
	out := make([]sdk.ProviderStatus, 0, len(set.list))
	for _, pr := range set.list {
		models := pr.models
		if len(models) == 0 {
			models = pr.discovered.peek()
		}
		out = append(out, sdk.ProviderStatus{
			Name: pr.name, BaseURL: pr.displayURL, Models: models, KeyStrategy: pr.strategy,
			Keys: pr.keys.statuses(now),
		})
	}
	return out, nil
}

// TestProvider makes a real request: GET /models, or when the provider
// does not list models, a one-token chat with its first model.
func (p *plugin) TestProvider(ctx context.Context, name string) (*sdk.ProviderTest, error) {
	set := p.set.Load()
	if set == nil || len(set.list) == 0 {
		return nil, sdk.Errorf(sdk.CodePluginNotConfigured, "%s", notConfiguredHint)
	}
	pr := set.byName[name]
	if pr == nil {
		return nil, sdk.Errorf(sdk.CodeNotFound, "no provider %q in the openai plugin (have: %s)", name, set.names())
	}
	start := time.Now()
	models, err := p.fetchModels(ctx, pr)
	if err == nil {
		return &sdk.ProviderTest{OK: true, Latency: time.Since(start).Seconds(), Models: models,
			Message: fmt.Sprintf("GET /models listed %d model(s)", len(models))}, nil
	}
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	e := sdk.AsError(err)
	switch e.Code {
	case sdk.CodeUpstreamAuth, sdk.CodeNoUsableKey, sdk.CodeUpstreamQuota, sdk.CodeUpstreamRateLimited, sdk.CodeUpstreamTimeout:
		return &sdk.ProviderTest{OK: false, Latency: time.Since(start).Seconds(), Message: e.Message}, nil
	}
	model := ""
	if len(pr.models) > 0 {
		model = pr.models[0]
	}
	if model == "" {
		return &sdk.ProviderTest{OK: false, Latency: time.Since(start).Seconds(),
			Message: e.Message + "; and no model is configured to try a chat with"}, nil
	}
	one := 1
	start = time.Now()
	_, cerr := p.chatOn(ctx, pr, &sdk.ChatRequest{Model: model,
		Messages: []sdk.Message{{Role: "user", Content: "ping"}}, Options: &sdk.Options{MaxTokens: &one}})
	if cerr != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return &sdk.ProviderTest{OK: false, Latency: time.Since(start).Seconds(),
			Message: fmt.Sprintf("GET /models failed (%s); a 1-token chat with %s failed too: %s", e.Message, model, sdk.AsError(cerr).Message)}, nil
	}
	return &sdk.ProviderTest{OK: true, Latency: time.Since(start).Seconds(), Models: pr.models,
		Message: fmt.Sprintf("GET /models failed (%s) but a 1-token chat with %s answered", e.Message, model)}, nil
}

func (s *providerSet) names() string {
	n := make([]string, 0, len(s.list))
	for _, pr := range s.list {
		n = append(n, pr.name)
	}
	return strings.Join(n, ", ")
}

// route picks the provider for a request: the pinned one; else one whose
// configured models include model; else, with several providers, one
// whose listed models (GET /models, cached) include it; else the first.
func (p *plugin) route(ctx context.Context, model, pinned string) (*provider, error) {
	set := p.set.Load()
	if set == nil || len(set.list) == 0 {
		return nil, sdk.Errorf(sdk.CodePluginNotConfigured, "%s", notConfiguredHint)
	}
	if pinned != "" {
		if pr := set.byName[pinned]; pr != nil {
			return pr, nil
		}
		return nil, sdk.Errorf(sdk.CodeNotFound, "no provider %q in the openai plugin (have: %s)", pinned, set.names())
	}
	if len(set.list) == 1 || model == "" {
		return set.list[0], nil
	}
	for _, pr := range set.list {
		if modelMatches(pr.models, model) {
			return pr, nil
		}
	}
	// Ask the providers that list no models which ones they serve, all at
	// once; the first in configured order that has the model wins.
	dctx, cancel := context.WithTimeout(ctx, discoverWait)
	defer cancel()
	found := make([]bool, len(set.list))
	var wg sync.WaitGroup
	for i, pr := range set.list {
		if len(pr.models) > 0 {
			continue
		}
		wg.Go(func() {
			models, err := pr.discovered.get(dctx, p.now(), func(ctx context.Context) ([]string, error) {
				return p.fetchModels(ctx, pr)
			})
			found[i] = err == nil && modelMatches(models, model)
		})
	}
	wg.Wait()
	for i, ok := range found {
		if ok {
			return set.list[i], nil
		}
	}
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	return set.list[0], nil
}

// fetchModels lists a provider's models with GET /models.
func (p *plugin) fetchModels(ctx context.Context, pr *provider) ([]string, error) {
	u, err := p.wire(pr).Send(ctx, &openaiwire.Request{Method: http.MethodGet, Path: "/models", Accept: "application/json"})
	if err != nil {
		return nil, err
	}
	defer u.Close()
	var list struct {
		Data []struct {
			ID string `json:"id"`
		} `json:"data"`
	}
	if err := json.Unmarshal(u.Data, &list); err != nil {
		return nil, badAnswer(pr, "/models", err)
	}
	models := make([]string, 0, len(list.Data))
	for _, m := range list.Data {
		if m.ID != "" {
			models = append(models, m.ID)
		}
	}
	sort.Strings(models)
	return models, nil
}
