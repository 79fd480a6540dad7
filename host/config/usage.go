package config

import (
	"fmt"
	"net"
	"net/url"
	"path/filepath"
	"slices"
	"time"

	"github.com/roundhouse-ai/roundhouse/sdk"
)

// Usage configures the usage records: one per service call, written off
// the request path in batches to a SQLite file.
type Usage struct {
	// Disabled turns recording off (budgets then start empty after a
	// restart).
	Disabled bool `yaml:"disabled"`
	// Path is the SQLite file; relative paths resolve against data_dir.
	// Default: <data_dir>/usage.db.
	Path string `yaml:"path"`
	// Retention is how long records are kept (pruned hourly); 0 keeps
	// them forever.
	Retention time.Duration `yaml:"retention"`
	// Batch is the most records one write holds.
	Batch int `yaml:"batch"`
	// FlushInterval is the longest a record waits before it is written.
	FlushInterval time.Duration `yaml:"flush_interval"`
	// DefaultMaxTokens is the output a request without max_tokens is
	// assumed to ask for in estimates.
	DefaultMaxTokens int `yaml:"default_max_tokens"`
}

// Price is one pricing entry: USD per million tokens of a model,
// optionally only on one plugin or provider.
type Price struct {
	Model string `yaml:"model"`
	// Plugin and Provider narrow the entry; the most specific entry wins.
	Plugin   string  `yaml:"plugin"`
	Provider string  `yaml:"provider"`
	Input    float64 `yaml:"input"`
	Output   float64 `yaml:"output"`
}

// Budget windows.
const (
	WindowMinute = "minute"
	WindowHour   = "hour"
	WindowDay    = "day"
	WindowMonth  = "month"
)

// Budget caps tokens and/or cost over one calendar window (UTC).
type Budget struct {
	// Name identifies the budget in errors, alerts and GET /v1/budgets.
	Name string `yaml:"name"`
	// Window: minute, hour, day or month (month for cost only).
	Window string `yaml:"window"`
	// App narrows the budget to one app (API key name, or the
	// X-Roundhouse-App header without keys); "*" gives every app its own
	// budget of this size; "" pools all callers.
	App string `yaml:"app"`
	// Model narrows the budget to one model or model group as the client
	// names it, or the model that served it; "" counts every model.
	Model string `yaml:"model"`
	// Tokens caps input+output tokens; 0 = no token cap.
	Tokens int64 `yaml:"tokens"`
	// Cost caps USD; 0 = no cost cap.
	Cost float64 `yaml:"cost"`
}

// Alerts are budget threshold events.
type Alerts struct {
	// Thresholds are usage ratios (0.8 = 80 %) that raise an alert once
	// per budget window.
	Thresholds []float64 `yaml:"thresholds"`
	Webhook    Webhook   `yaml:"webhook"`
}

// Webhook receives each alert as a JSON POST.
type Webhook struct {
	URL     string        `yaml:"url"`
	Timeout time.Duration `yaml:"timeout"`
	// Retries after the first attempt, with jittered backoff.
	Retries int `yaml:"retries"`
}

// Cache is the exact-match response cache (opt-in).
type Cache struct {
	// Services and Models (a model or group name) opt in; a request is
	// cached when either names it.
	Services []string `yaml:"services"`
	Models   []string `yaml:"models"`
	// Size is the most answers held; TTL how long each stays.
	Size int           `yaml:"size"`
	TTL  time.Duration `yaml:"ttl"`
	// Streams lets streamed requests be answered from (and fill) the
	// cache, replayed chunk by chunk.
	Streams bool `yaml:"streams"`
}

// Metrics configures the Prometheus endpoint.
type Metrics struct {
	// Listen, when set, serves /metrics on its own loopback listener
	// without auth (for a scraper); otherwise GET /metrics on the API
	// needs the admin scope.
	Listen string `yaml:"listen"`
	// Models are model names allowed as a label besides those named in
	// pricing, budgets and cache; others are counted as "other".
	Models []string `yaml:"models"`
}

// Enabled reports whether any service or model opts into the cache.
func (c Cache) Enabled() bool { return len(c.Services) > 0 || len(c.Models) > 0 }

// UsagePath is the resolved usage database path.
func (c *Config) UsagePath() string {
	p := c.Usage.Path
	if p == "" {
		p = "usage.db"
	}
	if !filepath.IsAbs(p) {
		p = filepath.Join(c.DataDir, p)
	}
	return p
}

// KnownModels are the model names configured anywhere in the usage keys:
// the bounded set metrics may use as labels.
func (c *Config) KnownModels() []string {
	var out []string
	add := func(m string) {
		if m != "" && !slices.Contains(out, m) {
			out = append(out, m)
		}
	}
	for _, p := range c.Pricing {
		add(p.Model)
	}
	for _, b := range c.Budgets {
		add(b.Model)
	}
	for _, m := range c.Cache.Models {
		add(m)
	}
	for _, m := range c.Metrics.Models {
		add(m)
	}
	return out
}

// validateUsage checks the usage, pricing, budgets, alerts, cache and
// metrics keys, naming the key at fault.
func (c *Config) validateUsage() error {
	u := c.Usage
	if u.Retention < 0 {
		return fmt.Errorf("usage.retention: %s must not be negative (0 keeps records forever)", u.Retention)
	}
	if u.Batch < 1 || u.Batch > 10000 {
		return fmt.Errorf("usage.batch: %d must be between 1 and 10000", u.Batch)
	}
	if u.FlushInterval <= 0 {
		return fmt.Errorf("usage.flush_interval: %s must be positive", u.FlushInterval)
	}
	if u.DefaultMaxTokens < 0 {
		return fmt.Errorf("usage.default_max_tokens: %d must not be negative", u.DefaultMaxTokens)
	}
	for i, p := range c.Pricing {
		if p.Model == "" {
			return fmt.Errorf("pricing[%d].model: required", i)
		}
		if p.Input < 0 || p.Output < 0 {
			return fmt.Errorf("pricing[%d]: input and output (USD per million tokens) must not be negative", i)
		}
	}
	names := map[string]bool{}
	for i, b := range c.Budgets {
		if b.Name == "" || names[b.Name] {
			return fmt.Errorf("budgets[%d].name: required and unique", i)
		}
		names[b.Name] = true
		switch b.Window {
		case WindowMinute, WindowHour, WindowDay:
		case WindowMonth:
			if b.Tokens > 0 {
				return fmt.Errorf("budgets[%d].tokens: a month window caps cost only; use window day for tokens", i)
			}
		default:
			return fmt.Errorf("budgets[%d].window: %q must be minute, hour, day or month", i, b.Window)
		}
		if b.Tokens < 0 || b.Cost < 0 {
			return fmt.Errorf("budgets[%d]: tokens and cost must not be negative", i)
		}
		if b.Tokens == 0 && b.Cost == 0 {
			return fmt.Errorf("budgets[%d]: set tokens or cost (or both)", i)
		}
	}
	for i, t := range c.Alerts.Thresholds {
		if t <= 0 || t > 10 {
			return fmt.Errorf("alerts.thresholds[%d]: %v must be a ratio above 0 (0.8 = 80 %%)", i, t)
		}
	}
	if w := c.Alerts.Webhook; w.URL != "" {
		if u, err := url.Parse(w.URL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return fmt.Errorf("alerts.webhook.url: %q must be an http(s) URL", w.URL)
		}
		if w.Timeout <= 0 {
			return fmt.Errorf("alerts.webhook.timeout: %s must be positive", w.Timeout)
		}
		if w.Retries < 0 || w.Retries > 20 {
			return fmt.Errorf("alerts.webhook.retries: %d must be between 0 and 20", w.Retries)
		}
	}
	for i, s := range c.Cache.Services {
		if !slices.Contains(sdk.ServiceNames, s) {
			return fmt.Errorf("cache.services[%d]: %q is not a service (%v)", i, s, sdk.ServiceNames)
		}
	}
	if c.Cache.Enabled() {
		if c.Cache.Size < 1 {
			return fmt.Errorf("cache.size: %d must be at least 1", c.Cache.Size)
		}
		if c.Cache.TTL <= 0 {
			return fmt.Errorf("cache.ttl: %s must be positive", c.Cache.TTL)
		}
	}
	if l := c.Metrics.Listen; l != "" {
		if _, _, err := net.SplitHostPort(l); err != nil {
			return fmt.Errorf("metrics.listen: %q is not host:port: %v", l, err)
		}
		if !IsLoopback(l) {
			return fmt.Errorf("metrics.listen: %s must be a loopback address (the metrics listener has no auth)", l)
		}
	}
	return nil
}
