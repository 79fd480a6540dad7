package client

import (
	"context"
	"io"
	"net/http"
	"net/url"

	"github.com/roundhouse-ai/roundhouse/types"
)

// Plugin is GET /v1/plugins/{name}: one plugin's status.
func (c *Client) Plugin(ctx context.Context, name string) (*PluginStatus, error) {
	return callJSON[PluginStatus](ctx, c, http.MethodGet, "/v1/plugins/"+url.PathEscape(name), nil)
}

// InstallPluginRequest is POST /v1/plugins/install: a plugin directory or
// .tar.gz on the host's machine.
type InstallPluginRequest struct {
	Path string `json:"path"`
	// SHA256 is the archive's hex digest, checked when given (the
	// manifest's is checked too).
	SHA256 string `json:"sha256,omitempty"`
}

// InstallPlugin installs a plugin from a directory or .tar.gz on the
// host's machine into a plugin root and returns its status.
func (c *Client) InstallPlugin(ctx context.Context, req *InstallPluginRequest) (*PluginStatus, error) {
	return callJSON[PluginStatus](ctx, c, http.MethodPost, "/v1/plugins/install", req)
}

// UploadPlugin installs a plugin from a .tar.gz read from r (size bytes,
// -1 when unknown), sent as the request body; sha256 ("" = none) is its
// hex digest, checked by the host.
func (c *Client) UploadPlugin(ctx context.Context, r io.Reader, size int64, sha256 string) (*PluginStatus, error) {
	path := "/v1/plugins/install"
	if sha256 != "" {
		path += "?" + url.Values{"sha256": {sha256}}.Encode()
	}
	resp, err := c.send(ctx, http.MethodPost, path, r, size, "application/gzip", "application/json")
	if err != nil {
		return nil, err
	}
	return decodeBody[PluginStatus](resp)
}

// EnablePlugin enables a plugin (persisted across restarts) and starts it.
func (c *Client) EnablePlugin(ctx context.Context, name string) (*PluginStatus, error) {
	return callJSON[PluginStatus](ctx, c, http.MethodPost, "/v1/plugins/"+url.PathEscape(name)+"/enable", nil)
}

// DisablePlugin stops a plugin and keeps it disabled (persisted).
func (c *Client) DisablePlugin(ctx context.Context, name string) (*PluginStatus, error) {
	return callJSON[PluginStatus](ctx, c, http.MethodPost, "/v1/plugins/"+url.PathEscape(name)+"/disable", nil)
}

// RemovePlugin stops a plugin and deletes its directory from its plugin
// root.
func (c *Client) RemovePlugin(ctx context.Context, name string) error {
	return c.call(ctx, http.MethodDelete, "/v1/plugins/"+url.PathEscape(name), nil, nil)
}

// System is GET /v1/system: this machine's CPU, memory and GPUs.
func (c *Client) System(ctx context.Context) (*SystemInfo, error) {
	return callJSON[SystemInfo](ctx, c, http.MethodGet, "/v1/system", nil)
}

// StartEngine starts a local plugin's engine.
func (c *Client) StartEngine(ctx context.Context, plugin string) (*types.EngineStatus, error) {
	return callJSON[types.EngineStatus](ctx, c, http.MethodPost, "/v1/engines/"+url.PathEscape(plugin)+"/start", nil)
}

// StopEngine stops a local plugin's managed engine.
func (c *Client) StopEngine(ctx context.Context, plugin string) (*types.EngineStatus, error) {
	return callJSON[types.EngineStatus](ctx, c, http.MethodPost, "/v1/engines/"+url.PathEscape(plugin)+"/stop", nil)
}

// UpgradeEngine upgrades a local plugin's engine, calling fn (may be nil)
// per progress event like InstallEngine.
func (c *Client) UpgradeEngine(ctx context.Context, plugin string, req *types.InstallEngineRequest, fn func(ProgressEvent) error) error {
	if req == nil {
		req = &types.InstallEngineRequest{}
	}
	return progressStream(ctx, c, http.MethodPost, "/v1/engines/"+url.PathEscape(plugin)+"/upgrade", req, orNop(fn))
}

// Providers is GET /v1/providers: every remote plugin's provider
// instances, keys masked.
func (c *Client) Providers(ctx context.Context) ([]Provider, error) {
	out, err := callJSON[ProviderList](ctx, c, http.MethodGet, "/v1/providers", nil)
	if err != nil {
		return nil, err
	}
	return out.Providers, nil
}

// PutProvider adds or replaces a provider instance of a remote plugin.
func (c *Client) PutProvider(ctx context.Context, req *ProviderRequest) (*Provider, error) {
	return callJSON[Provider](ctx, c, http.MethodPost, "/v1/providers", req)
}

// DeleteProvider removes a provider instance; plugin ("" = any) names
// the remote plugin when two have one of that name.
func (c *Client) DeleteProvider(ctx context.Context, name, plugin string) error {
	return c.call(ctx, http.MethodDelete, providerPath(name, plugin, ""), nil, nil)
}

// TestProvider makes a real request to a provider instance.
func (c *Client) TestProvider(ctx context.Context, name, plugin string) (*types.ProviderTest, error) {
	return callJSON[types.ProviderTest](ctx, c, http.MethodPost, providerPath(name, plugin, "/test"), nil)
}

func providerPath(name, plugin, suffix string) string {
	p := "/v1/providers/" + url.PathEscape(name) + suffix
	if plugin != "" {
		p += "?" + url.Values{"plugin": {plugin}}.Encode()
	}
	return p
}
