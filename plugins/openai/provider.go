package main

import (
	"context"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/roundhouse-ai/roundhouse/sdk"
	"github.com/roundhouse-ai/roundhouse/sdk/manifest"
)

// defaultTimeout bounds one unary attempt when a provider sets none.
// Streams have no total timeout: they end with the caller's context.
const defaultTimeout = 60 * time.Second

// authMode is how a provider's key travels.
type authMode int

const (
	authBearer authMode = iota // Authorization: Bearer <key> (OpenAI and most compatibles)
	authHeader                 // api-key: <key> (Azure OpenAI)
	authNone                   // no credential (a local server)
)

// provider is one configured upstream instance. It is immutable once
// built; Configure swaps whole providerSets, so a request keeps the
// provider it started with. Only key states and the model cache are
// shared with the next configuration.
type provider struct {
	name       string
	baseURL    string // no trailing slash
	displayURL string // baseURL without credentials or query
	models     []string
	headers    http.Header
	timeout    time.Duration
	timeoutSet bool // the config set a timeout: it then applies to every service
	auth       authMode
	strategy   string
	keys       *keyPool
	scrub      *scrubber
	discovered *modelCache
	// official is true for api.openai.com, which wants
	// max_completion_tokens; compatible servers get max_tokens.
	official bool
	// fingerprint changes when what a key's health depends on changes
	// (URL, auth, headers); refused and resting keys then get a new chance.
	fingerprint string
}

// providerSet is one whole configuration.
type providerSet struct {
	list   []*provider
	byName map[string]*provider
}

// checkConfig validates a whole configuration and builds its providers
// (without key states), touching nothing: Configure applies what it
// returns, ValidateConfig only reports the error. Any problem fails the
// whole configuration with an *sdk.Error whose Field names it
// ("providers[2].base_url", "providers[0].api_keys[1].value",
// "settings.max_retries"), so Configure is all or nothing.
func checkConfig(cfg *sdk.Config) (*settings, []*provider, error) {
	if cfg == nil {
		cfg = &sdk.Config{}
	}
	st, err := parseSettings(cfg)
	if err != nil {
		return nil, nil, err
	}
	provs := make([]*provider, 0, len(cfg.Providers))
	seen := make(map[string]bool, len(cfg.Providers))
	for i, c := range cfg.Providers {
		f := fmt.Sprintf("providers[%d]", i)
		pr, err := buildProvider(f, c)
		if err != nil {
			return nil, nil, err
		}
		if seen[pr.name] {
			return nil, nil, sdk.FieldError(f+".name", "duplicate provider name %q", pr.name)
		}
		seen[pr.name] = true
		provs = append(provs, pr)
	}
	return st, provs, nil
}

// newProviderSet gives the checked providers their key states, carrying
// over key states and model caches from old for what stays. It cannot
// fail: it runs only once checkConfig passed, as it updates key states
// that requests on the old configuration still use.
func newProviderSet(provs []*provider, cfgs []sdk.ProviderConfig, old *providerSet, now func() time.Time) *providerSet {
	set := &providerSet{list: provs, byName: make(map[string]*provider, len(provs))}
	for i, pr := range provs {
		c := cfgs[i]
		var prev *provider
		if old != nil {
			prev = old.byName[pr.name]
		}
		states := make([]*keyState, 0, len(c.APIKeys))
		prevStates := map[string]*keyState{}
		if prev != nil {
			for _, k := range prev.keys.keys {
				prevStates[k.value] = k
			}
		}
		revive := prev != nil && prev.fingerprint != pr.fingerprint
		for j, k := range c.APIKeys {
			k.Value = strings.TrimSpace(k.Value)
			st := prevStates[k.Value]
			if st == nil {
				st = newKeyState(k)
			}
			st.apply(k, j, revive)
			states = append(states, st)
		}
		pr.keys = newKeyPool(pr.name, pr.strategy, states, now)
		if prev != nil && prev.baseURL == pr.baseURL && prev.fingerprint == pr.fingerprint {
			pr.discovered = prev.discovered
		} else {
			pr.discovered = &modelCache{}
		}
		set.byName[pr.name] = pr
	}
	return set
}

func buildProvider(f string, c sdk.ProviderConfig) (*provider, error) {
	name := strings.TrimSpace(c.Name)
	if name == "" {
		return nil, sdk.FieldError(f+".name", "required")
	}
	if !manifest.ValidName(name) {
		return nil, sdk.FieldError(f+".name", "%q must be lower case letters, digits, '-' or '_'", name)
	}
	pr := &provider{name: name, headers: http.Header{}, timeout: defaultTimeout}

	raw := strings.TrimSpace(c.BaseURL)
	u, err := url.Parse(raw)
	if raw == "" {
		return nil, sdk.FieldError(f+".base_url", "required (for OpenAI: https://api.openai.com/v1)")
	}
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, sdk.FieldError(f+".base_url", "must be an http(s) URL such as https://api.openai.com/v1")
	}
	pr.baseURL = strings.TrimRight(raw, "/")
	disp := *u
	disp.User, disp.RawQuery, disp.Fragment = nil, "", ""
	pr.displayURL = strings.TrimRight(disp.String(), "/")
	pr.official = strings.EqualFold(u.Hostname(), "api.openai.com")

	switch c.KeyStrategy {
	case "":
		pr.strategy = strategyRoundRobin
	default:
		if !slices.Contains(strategies, c.KeyStrategy) {
			return nil, sdk.FieldError(f+".key_strategy", "unknown strategy %q (want %s)", c.KeyStrategy, strings.Join(strategies, ", "))
		}
		pr.strategy = c.KeyStrategy
	}

	switch strings.ToLower(c.AuthType) {
	case "", string(sdk.AuthAPIKey), string(sdk.AuthToken), "bearer":
		pr.auth = authBearer
	case "api-key", "azure":
		pr.auth = authHeader
	case string(sdk.AuthNone):
		pr.auth = authNone
	default:
		return nil, sdk.FieldError(f+".auth_type", "unknown auth type %q (want apikey, token, api-key or none)", c.AuthType)
	}

	if c.Timeout < 0 || math.IsNaN(c.Timeout) || math.IsInf(c.Timeout, 0) {
		return nil, sdk.FieldError(f+".timeout", "must be a number of seconds >= 0 (0 = %s)", defaultTimeout)
	}
	if c.Timeout > 0 {
		pr.timeout = time.Duration(c.Timeout * float64(time.Second))
		pr.timeoutSet = true
	}

	for j, m := range c.Models {
		m = strings.TrimSpace(m)
		if m == "" {
			return nil, sdk.FieldError(fmt.Sprintf("%s.models[%d]", f, j), "empty model name")
		}
		pr.models = append(pr.models, m)
	}

	names := make([]string, 0, len(c.Headers))
	for k, v := range c.Headers {
		if !validHeaderName(k) {
			return nil, sdk.FieldError(f+".headers", "%q is not a valid header name", k)
		}
		if strings.ContainsAny(v, "\r\n\x00") {
			return nil, sdk.FieldError(f+".headers."+k, "value contains control characters")
		}
		pr.headers.Set(k, v)
		names = append(names, http.CanonicalHeaderKey(k)+"="+v)
	}
	sort.Strings(names)

	seen := map[string]int{}
	secrets := make([]string, 0, len(c.APIKeys))
	for j, k := range c.APIKeys {
		kf := fmt.Sprintf("%s.api_keys[%d]", f, j)
		v := strings.TrimSpace(k.Value)
		switch {
		case v == "":
			return nil, sdk.FieldError(kf+".value", "empty API key")
		case strings.ContainsAny(v, " \t\r\n\x00"):
			return nil, sdk.FieldError(kf+".value", "the key %s contains spaces or control characters", sdk.MaskKey(v))
		case k.Weight < 0 || k.RPM < 0 || k.RPD < 0:
			return nil, sdk.FieldError(kf, "weight, rpm and rpd must be >= 0")
		}
		if prevIdx, dup := seen[v]; dup {
			return nil, sdk.FieldError(kf+".value", "the key %s is listed twice (also api_keys[%d])", sdk.MaskKey(v), prevIdx)
		}
		seen[v] = j
		secrets = append(secrets, v)
	}
	if pr.auth == authNone && len(c.APIKeys) > 0 {
		return nil, sdk.FieldError(f+".auth_type", "is none but api_keys are set")
	}
	// Credentials in the base URL (user:password@, ?api-key=...) must not
	// reach messages either.
	if pw, ok := u.User.Password(); ok {
		secrets = append(secrets, pw)
	}
	for _, vs := range u.Query() {
		for _, v := range vs {
			if len(v) >= 8 {
				secrets = append(secrets, v)
			}
		}
	}
	// Header values may be credentials too (OpenAI-Organization is not,
	// but a gateway token might be): scrub them from messages as well.
	for _, v := range c.Headers {
		if len(v) >= minKeyLenForTail {
			secrets = append(secrets, v)
		}
	}
	pr.scrub = newScrubber(secrets)
	pr.fingerprint = fmt.Sprintf("%s|%d|%s", pr.baseURL, pr.auth, strings.Join(names, "&"))
	return pr, nil
}

func validHeaderName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c <= ' ' || c >= 0x7f || strings.IndexByte(`()<>@,;:\"/[]?={}`, c) >= 0 {
			return false
		}
	}
	return true
}

// modelMatches reports whether list names model, treating "name" and
// "name:latest" as the same model (Ollama's tag convention).
func modelMatches(list []string, model string) bool {
	if model == "" {
		return false
	}
	alt := ""
	if base, ok := strings.CutSuffix(model, ":latest"); ok {
		alt = base
	} else if !strings.Contains(model, ":") {
		alt = model + ":latest"
	}
	for _, m := range list {
		if m == model || (alt != "" && m == alt) {
			return true
		}
	}
	return false
}

// Model discovery cache lifetimes.
const (
	modelsTTL      = 10 * time.Minute
	modelsErrorTTL = 30 * time.Second
	discoverWait   = 10 * time.Second
)

// modelCache holds the models a provider listed at GET /models. One load
// runs at a time; callers arriving meanwhile wait for it.
type modelCache struct {
	mu      sync.Mutex
	models  []string
	err     error
	expires time.Time
	loading chan struct{}
}

func (c *modelCache) get(ctx context.Context, now time.Time, load func(context.Context) ([]string, error)) ([]string, error) {
	for {
		c.mu.Lock()
		if c.loading == nil && now.Before(c.expires) {
			m, err := c.models, c.err
			c.mu.Unlock()
			return m, err
		}
		if c.loading != nil {
			ch := c.loading
			c.mu.Unlock()
			select {
			case <-ch:
				continue
			case <-ctx.Done():
				return nil, ctx.Err()
			}
		}
		ch := make(chan struct{})
		c.loading = ch
		c.mu.Unlock()

		models, err := load(ctx)
		c.mu.Lock()
		c.loading = nil
		close(ch)
		if err == nil {
			c.models, c.err, c.expires = models, nil, now.Add(modelsTTL)
		} else if ctx.Err() == nil { // do not cache our own caller's cancellation
			c.err, c.expires = err, now.Add(modelsErrorTTL)
		}
		c.mu.Unlock()
		return models, err
	}
}

// fresh reports whether the cache holds an answer that has not expired.
func (c *modelCache) fresh(now time.Time) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.loading == nil && now.Before(c.expires)
}

// peek returns the cached models without loading.
func (c *modelCache) peek() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.models
}
