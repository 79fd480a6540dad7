package client

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/url"
	"time"

	"github.com/roundhouse-ai/roundhouse/types"
)

// Health is GET /health.
func (c *Client) Health(ctx context.Context) (*HealthResponse, error) {
	return callJSON[HealthResponse](ctx, c, http.MethodGet, "/health", nil)
}

// Version is GET /version.
func (c *Client) Version(ctx context.Context) (*VersionResponse, error) {
	return callJSON[VersionResponse](ctx, c, http.MethodGet, "/version", nil)
}

// Plugins is GET /v1/plugins.
func (c *Client) Plugins(ctx context.Context) ([]PluginStatus, error) {
	out, err := callJSON[PluginList](ctx, c, http.MethodGet, "/v1/plugins", nil)
	if err != nil {
		return nil, err
	}
	return out.Plugins, nil
}

// RestartPlugin stops and starts a plugin and waits until it runs.
func (c *Client) RestartPlugin(ctx context.Context, name string) (*PluginStatus, error) {
	return callJSON[PluginStatus](ctx, c, http.MethodPost, "/v1/plugins/"+url.PathEscape(name)+"/restart", nil)
}

// Services is GET /v1/services.
func (c *Client) Services(ctx context.Context) ([]ServiceInfo, error) {
	out, err := callJSON[ServiceList](ctx, c, http.MethodGet, "/v1/services", nil)
	if err != nil {
		return nil, err
	}
	return out.Services, nil
}

// Policy says where a service call may run.
type Policy string

// Policies.
const (
	PolicyAuto   Policy = "auto"   // local plugins first, then remote (the default)
	PolicyLocal  Policy = "local"  // only local plugins
	PolicyRemote Policy = "remote" // only remote plugins (cloud APIs)
)

// Options routes a service call. The zero value lets the host choose.
type Options struct {
	// Policy: PolicyAuto (default, ""), PolicyLocal or PolicyRemote.
	Policy Policy `json:"policy,omitempty"`
	// Plugin pins the call to one plugin ("" = the host chooses).
	Plugin string `json:"plugin,omitempty"`
}

// streaming is the body's stream field: set by the streaming methods
// only, so the method called decides, not an option.
type streaming struct {
	Stream bool `json:"stream,omitempty"`
}

type chatBody struct {
	streaming
	*types.ChatRequest
	Options
}

// Chat asks for a whole answer.
func (c *Client) Chat(ctx context.Context, req *types.ChatRequest, o Options) (*types.ChatResponse, error) {
	return callJSON[types.ChatResponse](ctx, c, http.MethodPost, "/v1/services/chat", chatBody{streaming{}, req, o})
}

// ChatStream streams the answer, calling fn per chunk.
func (c *Client) ChatStream(ctx context.Context, req *types.ChatRequest, o Options, fn func(*types.ChatChunk) error) error {
	return stream(ctx, c, http.MethodPost, "/v1/services/chat", chatBody{streaming{true}, req, o}, func(ch types.ChatChunk) error { return fn(&ch) })
}

type generateBody struct {
	streaming
	*types.GenerateRequest
	Options
}

// Generate asks for a whole completion.
func (c *Client) Generate(ctx context.Context, req *types.GenerateRequest, o Options) (*types.GenerateResponse, error) {
	return callJSON[types.GenerateResponse](ctx, c, http.MethodPost, "/v1/services/generate", generateBody{streaming{}, req, o})
}

// GenerateStream streams a completion, calling fn per chunk.
func (c *Client) GenerateStream(ctx context.Context, req *types.GenerateRequest, o Options, fn func(*types.GenerateChunk) error) error {
	return stream(ctx, c, http.MethodPost, "/v1/services/generate", generateBody{streaming{true}, req, o}, func(ch types.GenerateChunk) error { return fn(&ch) })
}

type embedBody struct {
	streaming
	*types.EmbedRequest
	Options
}

// Embed turns texts into vectors.
func (c *Client) Embed(ctx context.Context, req *types.EmbedRequest, o Options) (*types.EmbedResponse, error) {
	return callJSON[types.EmbedResponse](ctx, c, http.MethodPost, "/v1/services/embed", embedBody{streaming{}, req, o})
}

// Pull pulls a model, calling fn per progress event (the first carries the
// pull's id). Returning an error from fn, or cancelling ctx, cancels the
// pull. A failed pull returns a *StatusError.
func (c *Client) Pull(ctx context.Context, req *PullRequest, fn func(ProgressEvent) error) error {
	return progressStream(ctx, c, http.MethodPost, "/v1/models/pull", req, fn)
}

// WatchPull follows a pull another client started.
func (c *Client) WatchPull(ctx context.Context, id string, fn func(ProgressEvent) error) error {
	return progressStream(ctx, c, http.MethodGet, "/v1/pulls/"+url.PathEscape(id), nil, fn)
}

func progressStream(ctx context.Context, c *Client, method, path string, body any, fn func(ProgressEvent) error) error {
	var final *ErrorDetail
	err := stream(ctx, c, method, path, body, func(ev ProgressEvent) error {
		if ev.Error != nil {
			final = ev.Error
			return nil
		}
		return fn(ev)
	})
	if err == nil && final != nil {
		return streamError(*final)
	}
	return err
}

// Pulls lists pulls in flight.
func (c *Client) Pulls(ctx context.Context) ([]PullSnapshot, error) {
	out, err := callJSON[PullList](ctx, c, http.MethodGet, "/v1/pulls", nil)
	if err != nil {
		return nil, err
	}
	return out.Pulls, nil
}

// CancelPull cancels a pull by id.
func (c *Client) CancelPull(ctx context.Context, id string) (*PullSnapshot, error) {
	return callJSON[PullSnapshot](ctx, c, http.MethodDelete, "/v1/pulls/"+url.PathEscape(id), nil)
}

// LoadModel loads a model into memory.
func (c *Client) LoadModel(ctx context.Context, req *ModelRequest) error {
	return c.call(ctx, http.MethodPost, "/v1/models/load", req, nil)
}

// UnloadModel frees a model's memory.
func (c *Client) UnloadModel(ctx context.Context, req *ModelRequest) error {
	return c.call(ctx, http.MethodPost, "/v1/models/unload", req, nil)
}

// DeleteModel removes a model from its engine.
func (c *Client) DeleteModel(ctx context.Context, model string) error {
	return c.call(ctx, http.MethodDelete, "/v1/models/"+escapeModel(model), nil, nil)
}

// escapeModel keeps the slashes of a model name (the route takes the rest
// of the path) but escapes everything else.
func escapeModel(m string) string {
	return (&url.URL{Path: m}).EscapedPath()
}

// Engines lists local plugins' engines.
func (c *Client) Engines(ctx context.Context) ([]EngineInfo, error) {
	out, err := callJSON[EngineList](ctx, c, http.MethodGet, "/v1/engines", nil)
	if err != nil {
		return nil, err
	}
	return out.Engines, nil
}

// InstallEngine installs a local plugin's engine, calling fn per progress
// event.
func (c *Client) InstallEngine(ctx context.Context, plugin string, req *types.InstallEngineRequest, fn func(ProgressEvent) error) error {
	return progressStream(ctx, c, http.MethodPost, "/v1/engines/"+url.PathEscape(plugin)+"/install", req, fn)
}

// CopyModel gives a model a second name.
func (c *Client) CopyModel(ctx context.Context, req *CopyRequest) error {
	return c.call(ctx, http.MethodPost, "/v1/models/copy", req, nil)
}

// CreateModel makes a model (from a base model, uploaded blobs or a model
// file on the host's machine), calling fn per progress event (the first
// carries the operation's id, listed in Pulls with kind "create").
// Returning an error from fn, or cancelling ctx, cancels it. fn may be nil.
func (c *Client) CreateModel(ctx context.Context, req *CreateRequest, fn func(ProgressEvent) error) error {
	return progressStream(ctx, c, http.MethodPost, "/v1/models/create", req, orNop(fn))
}

// PushModel uploads a model to its registry, calling fn per progress
// event like Pull (listed in Pulls with kind "push"). fn may be nil.
func (c *Client) PushModel(ctx context.Context, req *PushRequest, fn func(ProgressEvent) error) error {
	return progressStream(ctx, c, http.MethodPost, "/v1/models/push", req, orNop(fn))
}

func orNop(fn func(ProgressEvent) error) func(ProgressEvent) error {
	if fn == nil {
		return func(ProgressEvent) error { return nil }
	}
	return fn
}

// HasBlob says whether the host's local engine has the blob with digest
// ("sha256:<hex>").
func (c *Client) HasBlob(ctx context.Context, digest string) (bool, error) {
	resp, err := c.send(ctx, http.MethodHead, "/api/blobs/"+url.PathEscape(digest), nil, 0, "", "*/*")
	if err != nil {
		var se *StatusError
		if errors.As(err, &se) && se.StatusCode == http.StatusNotFound {
			return false, nil
		}
		return false, err
	}
	resp.Body.Close()
	return true, nil
}

// progressReader counts what is read and reports it to fn at most every
// 100 ms (and at flush).
type progressReader struct {
	ctx  context.Context
	r    io.Reader
	fn   func(ProgressEvent) error
	ev   ProgressEvent
	last time.Time
	err  error // fn's error, which stopped the read
}

func (p *progressReader) Read(b []byte) (int, error) {
	if p.err != nil {
		return 0, p.err
	}
	if err := p.ctx.Err(); err != nil {
		return 0, err
	}
	n, err := p.r.Read(b)
	p.ev.Completed += int64(n)
	if now := time.Now(); now.Sub(p.last) >= 100*time.Millisecond {
		p.last = now
		if ferr := p.fn(p.ev); ferr != nil {
			p.err = ferr
			return n, ferr
		}
	}
	return n, err
}

func (p *progressReader) flush() error { return p.fn(p.ev) }
