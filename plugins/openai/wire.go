package main

import (
	"context"

	"github.com/roundhouse-ai/roundhouse/sdk"
	"github.com/roundhouse-ai/roundhouse/sdk/wire/anthropicwire"
	"github.com/roundhouse-ai/roundhouse/sdk/wire/openaiwire"
)

// Provider wire formats (ProviderConfig.Format).
const (
	formatOpenAI    = "openai"
	formatAnthropic = "anthropic" // Anthropic's Messages API: chat and generate only
)

const userAgent = "roundhouse-plugin-openai/" + pluginVersion

// defaultMaxRetries: see settings.max_retries.
const defaultMaxRetries = openaiwire.DefaultMaxRetries

// wire is the client of provider pr's upstream: the provider's URL,
// headers, auth and timeout, its key pool, and the plugin-wide settings
// as they are now. It is cheap, built per call, so a request keeps the
// configuration it started with.
func (p *plugin) wire(pr *provider) *openaiwire.Client {
	st := p.settings.Load()
	c := &openaiwire.Client{
		HTTP: p.client, BaseURL: pr.baseURL, Name: pr.name, Header: pr.headers,
		Keys: pr.keys, Timeout: pr.timeout, FixedTimeout: pr.timeoutSet,
		MaxRetries: st.maxRetries, Official: pr.official,
		Scrub: pr.scrub.scrub, Now: p.now, UserAgent: userAgent,
	}
	if st.maxTokensField != "auto" {
		c.MaxTokensField = st.maxTokensField
	}
	switch pr.auth {
	case authHeader:
		c.Auth = openaiwire.AuthAPIKeyHeader
	case authNone:
		c.Auth = openaiwire.AuthNone
	}
	if pr.format == formatAnthropic {
		// x-api-key, anthropic-version and Anthropic's error mapping, for
		// GET /models as for the Messages API.
		c = anthropicwire.New(c).Transport()
	}
	return c
}

// claude is the Messages API client of an Anthropic-format provider.
func (p *plugin) claude(pr *provider) *anthropicwire.Client { return anthropicwire.New(p.wire(pr)) }

// routeWire routes a request of service (see route) and gives its
// provider's OpenAI-wire client; an Anthropic-format provider has only
// chat and generate.
func (p *plugin) routeWire(ctx context.Context, service, model, pinned string) (*openaiwire.Client, error) {
	pr, err := p.route(ctx, model, pinned)
	if err != nil {
		return nil, err
	}
	if pr.format == formatAnthropic {
		return nil, sdk.Errorf(sdk.CodeUnimplemented, "provider %q speaks Anthropic's Messages API, which has no %s service: "+
			"send %s to a provider in the openai format (pin it with \"provider\")", pr.name, service, service)
	}
	return p.wire(pr), nil
}

// badAnswer reports an upstream answer that is not what the API promises.
func badAnswer(pr *provider, path string, err error) *sdk.Error {
	return (&openaiwire.Client{Name: pr.name, Scrub: pr.scrub.scrub}).BadAnswer(path, err)
}
