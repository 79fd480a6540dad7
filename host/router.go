package host

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/roundhouse-ai/roundhouse/host/backend"
	"github.com/roundhouse-ai/roundhouse/sdk"
	"github.com/roundhouse-ai/roundhouse/sdk/manifest"
	"github.com/roundhouse-ai/roundhouse/sdk/pluginhost"
)

// Router implements backend.Backend over the host's plugins: it resolves
// the service and model of each request to a plugin, applies the service's
// timeout, and turns transport failures into clear errors.
type Router struct{ h *Host }

var _ backend.Backend = (*Router)(nil)

// Router returns the host's router.
func (h *Host) Router() *Router { return &Router{h: h} }

// target is the plugin chosen for one request and the model to ask for.
type target struct {
	p     *Plugin
	model string
	spec  *manifest.ServiceSpec
}

// resolve picks the plugin for service and model. A model prefixed with a
// loaded plugin's name and "/" pins that plugin ("ollama/llama3.2"); a
// prefix that is not a plugin name stays part of the model name
// ("library/tiny"). An empty model means the service's default model.
func (r *Router) resolve(ctx context.Context, service string, rt backend.Route, model string) (target, error) {
	if !slices.Contains(sdk.ServiceNames, service) {
		return target{}, sdk.Errorf(sdk.CodeServiceNotFound, "unknown service %q (services: %s)", service, strings.Join(sdk.ServiceNames, ", "))
	}
	pin := rt.Plugin
	if i := strings.Index(model, "/"); i > 0 && r.h.Plugin(model[:i]) != nil && (pin == "" || pin == model[:i]) {
		pin, model = model[:i], model[i+1:]
	}
	if pin != "" && r.h.Plugin(pin) == nil {
		return target{}, &sdk.Error{Code: sdk.CodePluginNotFound, Field: "provider",
			Message: fmt.Sprintf("no plugin named %q (GET /v1/plugins lists them)", pin)}
	}
	var buf [4]target // most hosts have a handful of plugins: no allocation
	cands := buf[:0]
	var missing []target
	var invalid *Plugin // one that declares the service but cannot run
	r.h.eachPlugin(func(p *Plugin) {
		if (pin != "" && p.name != pin) || p.manifest == nil {
			return
		}
		spec := p.manifest.GetServiceByName(service)
		if spec == nil {
			return
		}
		if (rt.Policy == backend.PolicyLocal && !p.IsLocal()) || (rt.Policy == backend.PolicyRemote && p.IsLocal()) {
			return
		}
		switch p.State() {
		case StateDisabled:
			return
		case StateInvalid:
			if invalid == nil {
				invalid = p
			}
			return
		case StateMissingDependency:
			// Kept only when nothing else offers the service (below): its
			// error then says what to install.
			missing = append(missing, target{p: p, model: model, spec: spec})
			return
		}
		cands = append(cands, target{p: p, model: model, spec: spec})
	})
	if len(cands) == 0 {
		cands = missing
	}
	if len(cands) == 0 {
		where := ""
		if pin != "" {
			where = " from plugin " + pin
		}
		if rt.Policy == backend.PolicyLocal || rt.Policy == backend.PolicyRemote {
			where += " with policy " + string(rt.Policy)
		}
		why := "check GET /v1/plugins"
		if invalid != nil {
			why = fmt.Sprintf("plugin %s cannot run: %s", invalid.name, invalid.lastError())
		}
		return target{}, sdk.Errorf(sdk.CodeServiceUnavailable, "no running plugin offers %s%s; %s", service, where, why)
	}
	// Local plugins first: they cost nothing and keep data on the machine.
	slices.SortStableFunc(cands, func(a, b target) int {
		if a.p.IsLocal() == b.p.IsLocal() {
			return 0
		}
		if a.p.IsLocal() {
			return -1
		}
		return 1
	})
	if model == "" {
		for _, c := range cands {
			if c.spec.DefaultModel != "" {
				c.model = c.spec.DefaultModel
				return c, nil
			}
		}
		return target{}, sdk.FieldError("model", "required: no plugin offering %s declares a default model", service)
	}
	var unknown error
	for _, c := range cands {
		found, why := r.h.models.has(ctx, c.p, model)
		if found {
			return c, nil
		}
		if unknown == nil {
			unknown = why
		}
	}
	if len(cands) == 1 {
		return cands[0], nil // let the plugin say what it knows of the model
	}
	if unknown != nil {
		// A plugin that could have the model is away: that is not "no
		// such model" (404) but "try again shortly" (503).
		return target{}, unknown
	}
	return target{}, &sdk.Error{Code: sdk.CodeModelNotFound, Field: "model",
		Message: fmt.Sprintf("model %q is not available from any plugin offering %s; pull it first (POST /v1/models/pull) or name the plugin (\"<plugin>/%s\")", model, service, model)}
}

// call runs fn on the resolved plugin with the service's timeout.
func call[T any](ctx context.Context, r *Router, service string, rt backend.Route, model *string, stream bool,
	fn func(context.Context, *pluginhost.Conn) (T, error)) (T, error) {
	return callSpec(ctx, r, service, rt, model, stream, func(ctx context.Context, c *pluginhost.Conn, _ *manifest.ServiceSpec) (T, error) {
		return fn(ctx, c)
	})
}

// callSpec is call for a fn that depends on the chosen plugin's service
// spec (its capabilities).
func callSpec[T any](ctx context.Context, r *Router, service string, rt backend.Route, model *string, stream bool,
	fn func(context.Context, *pluginhost.Conn, *manifest.ServiceSpec) (T, error)) (T, error) {
	var zero T
	t, err := r.resolve(ctx, service, rt, *model)
	if err != nil {
		return zero, err
	}
	*model = t.model
	conn, err := t.p.Conn(ctx)
	if err != nil {
		return zero, err
	}
	timeout := t.spec.UnaryTimeout()
	if stream {
		timeout = t.spec.StreamTimeout()
	}
	if timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, timeout)
		defer cancel()
	}
	out, err := fn(ctx, conn, t.spec)
	if notDelivered(err) && t.p.waitDead(time.Second) {
		// The plugin died before the call reached it: wait for the
		// restart and send the call once more.
		if conn, err = t.p.Conn(ctx); err != nil {
			return zero, err
		}
		out, err = fn(ctx, conn, t.spec)
	}
	return out, t.p.crashedDuring(err)
}

func (r *Router) Chat(ctx context.Context, rt backend.Route, req *sdk.ChatRequest) (*sdk.ChatResponse, error) {
	return call(ctx, r, sdk.ServiceChat, rt, &req.Model, false, func(ctx context.Context, c *pluginhost.Conn) (*sdk.ChatResponse, error) {
		return c.Chat(ctx, req)
	})
}

// ChatStream streams chat. A plugin whose manifest says the service does
// not stream (capabilities.support_streaming: false) is asked for the
// whole answer, sent as one chunk: clients that ask to stream still work.
func (r *Router) ChatStream(ctx context.Context, rt backend.Route, req *sdk.ChatRequest, send func(*sdk.ChatChunk) error) error {
	_, err := callSpec(ctx, r, sdk.ServiceChat, rt, &req.Model, true, func(ctx context.Context, c *pluginhost.Conn, spec *manifest.ServiceSpec) (struct{}, error) {
		if !spec.Capabilities.SupportStreaming {
			return struct{}{}, sdk.ChatToStream(c.Chat)(ctx, req, send)
		}
		return struct{}{}, c.ChatStream(ctx, req, send)
	})
	return err
}

func (r *Router) Generate(ctx context.Context, rt backend.Route, req *sdk.GenerateRequest) (*sdk.GenerateResponse, error) {
	return call(ctx, r, sdk.ServiceGenerate, rt, &req.Model, false, func(ctx context.Context, c *pluginhost.Conn) (*sdk.GenerateResponse, error) {
		return c.Generate(ctx, req)
	})
}

// GenerateStream streams generate; a service that does not stream is
// collected into one chunk, as in ChatStream.
func (r *Router) GenerateStream(ctx context.Context, rt backend.Route, req *sdk.GenerateRequest, send func(*sdk.GenerateChunk) error) error {
	_, err := callSpec(ctx, r, sdk.ServiceGenerate, rt, &req.Model, true, func(ctx context.Context, c *pluginhost.Conn, spec *manifest.ServiceSpec) (struct{}, error) {
		if !spec.Capabilities.SupportStreaming {
			return struct{}{}, sdk.GenerateToStream(c.Generate)(ctx, req, send)
		}
		return struct{}{}, c.GenerateStream(ctx, req, send)
	})
	return err
}

func (r *Router) Embed(ctx context.Context, rt backend.Route, req *sdk.EmbedRequest) (*sdk.EmbedResponse, error) {
	return call(ctx, r, sdk.ServiceEmbed, rt, &req.Model, false, func(ctx context.Context, c *pluginhost.Conn) (*sdk.EmbedResponse, error) {
		return c.Embed(ctx, req)
	})
}

func (r *Router) Rerank(ctx context.Context, rt backend.Route, req *sdk.RerankRequest) (*sdk.RerankResponse, error) {
	return call(ctx, r, sdk.ServiceRerank, rt, &req.Model, false, func(ctx context.Context, c *pluginhost.Conn) (*sdk.RerankResponse, error) {
		return c.Rerank(ctx, req)
	})
}

func (r *Router) TextToImage(ctx context.Context, rt backend.Route, req *sdk.TextToImageRequest) (*sdk.TextToImageResponse, error) {
	return call(ctx, r, sdk.ServiceTextToImage, rt, &req.Model, false, func(ctx context.Context, c *pluginhost.Conn) (*sdk.TextToImageResponse, error) {
		return c.TextToImage(ctx, req)
	})
}

func (r *Router) ImageToImage(ctx context.Context, rt backend.Route, req *sdk.ImageToImageRequest) (*sdk.ImageToImageResponse, error) {
	return call(ctx, r, sdk.ServiceImageToImage, rt, &req.Model, false, func(ctx context.Context, c *pluginhost.Conn) (*sdk.ImageToImageResponse, error) {
		return c.ImageToImage(ctx, req)
	})
}

func (r *Router) TextToSpeech(ctx context.Context, rt backend.Route, req *sdk.TextToSpeechRequest) (*sdk.TextToSpeechResponse, error) {
	return call(ctx, r, sdk.ServiceTextToSpeech, rt, &req.Model, false, func(ctx context.Context, c *pluginhost.Conn) (*sdk.TextToSpeechResponse, error) {
		return c.TextToSpeech(ctx, req)
	})
}

func (r *Router) SpeechToText(ctx context.Context, rt backend.Route, req *sdk.SpeechToTextRequest) (*sdk.SpeechToTextResponse, error) {
	return call(ctx, r, sdk.ServiceSpeechToText, rt, &req.Model, false, func(ctx context.Context, c *pluginhost.Conn) (*sdk.SpeechToTextResponse, error) {
		return c.SpeechToText(ctx, req)
	})
}

// SpeechToTextLive opens a bidirectional transcription with the plugin
// chosen for cfg's model; the plugin first receives cfg, then the audio.
func (r *Router) SpeechToTextLive(ctx context.Context, rt backend.Route, cfg *sdk.SpeechToTextRequest,
	recv func() (*sdk.LiveSpeechInput, error), send func(*sdk.LiveSpeechOutput) error) error {
	_, err := call(ctx, r, sdk.ServiceSpeechToText, rt, &cfg.Model, true, func(ctx context.Context, c *pluginhost.Conn) (struct{}, error) {
		first := true
		return struct{}{}, c.SpeechToTextLive(ctx, func() (*sdk.LiveSpeechInput, error) {
			if first {
				first = false
				return &sdk.LiveSpeechInput{Config: cfg}, nil
			}
			return recv()
		}, send)
	})
	return err
}

// Version is the host's version.
func (r *Router) Version() string { return Version }

// loadTimeout bounds loading a model into memory, which for a large model
// on a slow disk takes minutes, not the seconds of other management calls.
const loadTimeout = 10 * time.Minute

// localPlugin picks the local plugin for a model-management call: the
// pinned one (Route.Plugin or a "<plugin>/" prefix) or, with none named,
// the one that has the model, else the first local plugin.
func (r *Router) localPlugin(ctx context.Context, pin, model string, mustHave bool) (*Plugin, string, error) {
	if i := strings.Index(model, "/"); i > 0 && r.h.Plugin(model[:i]) != nil && (pin == "" || pin == model[:i]) {
		pin, model = model[:i], model[i+1:]
	}
	if err := ValidateModelName(model); err != nil {
		return nil, "", err
	}
	if pin != "" {
		p := r.h.Plugin(pin)
		if p == nil {
			return nil, "", &sdk.Error{Code: sdk.CodePluginNotFound, Field: "plugin", Message: fmt.Sprintf("no plugin named %q", pin)}
		}
		if !p.IsLocal() {
			return nil, "", &sdk.Error{Code: sdk.CodeFailedPrecondition, Field: "plugin", Message: fmt.Sprintf("plugin %s is remote: it has no local models to manage", pin)}
		}
		return p, model, nil
	}
	var first *Plugin
	var unknown error
	for _, p := range r.h.Plugins() {
		if !p.IsLocal() {
			continue
		}
		if st := p.State(); st == StateDisabled || st == StateInvalid {
			continue
		}
		if first == nil {
			first = p
		}
		found, why := r.h.models.has(ctx, p, model)
		if found {
			return p, model, nil
		}
		if unknown == nil {
			unknown = why
		}
	}
	if first == nil {
		return nil, "", sdk.Errorf(sdk.CodeServiceUnavailable, "no local plugin is available to manage models")
	}
	if mustHave && unknown != nil {
		return nil, "", unknown
	}
	if mustHave {
		return nil, "", &sdk.Error{Code: sdk.CodeModelNotFound, Field: "model", Message: fmt.Sprintf("model %q not found", model)}
	}
	return first, model, nil
}

// ValidateModelName rejects names that could escape a models directory or
// confuse a registry: empty, too long, "..", backslashes, control
// characters, leading "/".
func ValidateModelName(model string) error {
	// One implementation for every surface: the compatible surfaces, which
	// must not import host, check names with it before they answer.
	return backend.ValidateModelName(model)
}

func (r *Router) ListModels(ctx context.Context, running bool) ([]backend.ModelInfo, error) {
	var out []backend.ModelInfo
	for _, p := range r.h.Plugins() {
		if st := p.State(); st == StateDisabled || st == StateInvalid {
			continue
		}
		typ := "remote"
		if p.IsLocal() {
			typ = "local"
		}
		var models []sdk.Model
		state := "available"
		if running {
			if !p.IsLocal() {
				continue
			}
			lctx, cancel := r.h.WithCallTimeout(ctx)
			conn, err := p.Conn(lctx)
			if err == nil {
				models, err = conn.ListRunningModels(lctx)
			}
			cancel()
			if err != nil {
				continue
			}
			state = "running"
		} else {
			models, _ = r.h.models.models(ctx, p)
		}
		for _, m := range models {
			out = append(out, backend.ModelInfo{Model: m, Plugin: p.name, Type: typ, State: state})
		}
	}
	return out, nil
}

func (r *Router) ShowModel(ctx context.Context, rt backend.Route, model string) (*sdk.ModelDetails, string, error) {
	p, model, err := r.localPlugin(ctx, rt.Plugin, model, false)
	if err != nil {
		return nil, "", err
	}
	ctx, cancel := context.WithTimeout(ctx, r.h.CallTimeout())
	defer cancel()
	conn, err := p.Conn(ctx)
	if err != nil {
		return nil, "", err
	}
	d, err := conn.ShowModel(ctx, model)
	return d, p.name, p.crashedDuring(err)
}

func (r *Router) PullModel(ctx context.Context, req backend.PullRequest, progress func(*sdk.Progress) error) error {
	p, model, err := r.localPlugin(ctx, req.Plugin, req.Model, false)
	if err != nil {
		return err
	}
	conn, err := p.Conn(ctx)
	if err != nil {
		return err
	}
	defer r.h.models.invalidate(p.name)
	return p.crashedDuring(conn.PullModel(ctx, &sdk.PullRequest{Model: model, Insecure: req.Insecure}, progress))
}

func (r *Router) DeleteModel(ctx context.Context, rt backend.Route, model string) error {
	p, model, err := r.localPlugin(ctx, rt.Plugin, model, false)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, r.h.CallTimeout())
	defer cancel()
	conn, err := p.Conn(ctx)
	if err != nil {
		return err
	}
	defer r.h.models.invalidate(p.name)
	return p.crashedDuring(conn.DeleteModel(ctx, model))
}

func (r *Router) LoadModel(ctx context.Context, rt backend.Route, req *sdk.LoadRequest) error {
	p, model, err := r.localPlugin(ctx, rt.Plugin, req.Model, false)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, loadTimeout)
	defer cancel()
	conn, err := p.Conn(ctx)
	if err != nil {
		return err
	}
	lr := *req
	lr.Model = model
	return p.crashedDuring(conn.LoadModel(ctx, &lr))
}

func (r *Router) UnloadModel(ctx context.Context, rt backend.Route, model string) error {
	p, model, err := r.localPlugin(ctx, rt.Plugin, model, false)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, r.h.CallTimeout())
	defer cancel()
	conn, err := p.Conn(ctx)
	if err != nil {
		return err
	}
	return p.crashedDuring(conn.UnloadModel(ctx, model))
}

// CopyModel copies on the plugin that has the source model.
func (r *Router) CopyModel(ctx context.Context, rt backend.Route, req *sdk.CopyRequest) error {
	p, source, err := r.localPlugin(ctx, rt.Plugin, req.Source, false)
	if err != nil {
		return withField(err, "source")
	}
	dest := req.Destination
	if i := strings.Index(dest, "/"); i > 0 && dest[:i] == p.name {
		dest = dest[i+1:] // "ollama/new" names the same plugin
	}
	if err := ValidateModelName(dest); err != nil {
		return withField(err, "destination")
	}
	ctx, cancel := context.WithTimeout(ctx, r.h.CallTimeout())
	defer cancel()
	conn, err := p.Conn(ctx)
	if err != nil {
		return err
	}
	defer r.h.models.invalidate(p.name)
	return p.crashedDuring(conn.CopyModel(ctx, &sdk.CopyRequest{Source: source, Destination: dest}))
}

// CreateModel runs on the pinned plugin, else the one that has the base
// model (From), else the first local plugin. Like a pull it has no
// deadline of its own: converting a large model takes as long as it takes,
// and the caller's context bounds it.
func (r *Router) CreateModel(ctx context.Context, rt backend.Route, req *sdk.CreateRequest, progress func(*sdk.Progress) error) error {
	var p *Plugin
	var err error
	cr := *req
	if cr.From != "" && rt.Plugin == "" {
		if p, cr.From, err = r.localPlugin(ctx, "", cr.From, false); err != nil {
			return withField(err, "from")
		}
		if err := ValidateModelName(cr.Model); err != nil {
			return err
		}
	} else if p, cr.Model, err = r.localPlugin(ctx, rt.Plugin, cr.Model, false); err != nil {
		return err
	}
	conn, err := p.Conn(ctx)
	if err != nil {
		return err
	}
	defer r.h.models.invalidate(p.name)
	return p.crashedDuring(conn.CreateModel(ctx, &cr, progress))
}

// PushModel pushes from the plugin that has the model; no deadline, like
// a pull.
func (r *Router) PushModel(ctx context.Context, rt backend.Route, req *sdk.PushRequest, progress func(*sdk.Progress) error) error {
	p, model, err := r.localPlugin(ctx, rt.Plugin, req.Model, false)
	if err != nil {
		return err
	}
	conn, err := p.Conn(ctx)
	if err != nil {
		return err
	}
	return p.crashedDuring(conn.PushModel(ctx, &sdk.PushRequest{Model: model, Insecure: req.Insecure}, progress))
}

// blobPlugin is the local plugin that holds blobs: the pinned one, else
// the first local plugin that is not disabled. A blob is uploaded for a
// CreateModel that follows, which goes to the same first plugin unless
// both name another.
func (r *Router) blobPlugin(pin string) (*Plugin, error) {
	if pin != "" {
		p := r.h.Plugin(pin)
		if p == nil {
			return nil, &sdk.Error{Code: sdk.CodePluginNotFound, Field: "plugin", Message: fmt.Sprintf("no plugin named %q", pin)}
		}
		if !p.IsLocal() {
			return nil, &sdk.Error{Code: sdk.CodeFailedPrecondition, Field: "plugin", Message: fmt.Sprintf("plugin %s is remote: it has no blob store", pin)}
		}
		return p, nil
	}
	for _, p := range r.h.Plugins() {
		if st := p.State(); p.IsLocal() && st != StateDisabled && st != StateInvalid {
			return p, nil
		}
	}
	return nil, sdk.Errorf(sdk.CodeServiceUnavailable, "no local plugin is available to store blobs")
}

func (r *Router) CheckBlob(ctx context.Context, rt backend.Route, digest string) (bool, error) {
	p, err := r.blobPlugin(rt.Plugin)
	if err != nil {
		return false, err
	}
	ctx, cancel := context.WithTimeout(ctx, r.h.CallTimeout())
	defer cancel()
	conn, err := p.Conn(ctx)
	if err != nil {
		return false, err
	}
	ok, err := conn.CheckBlob(ctx, digest)
	return ok, p.crashedDuring(err)
}

// CreateBlob streams body to the plugin; the caller's context (and the
// body's own read deadline) bound it, as a large upload takes long.
func (r *Router) CreateBlob(ctx context.Context, rt backend.Route, digest string, body io.Reader) error {
	p, err := r.blobPlugin(rt.Plugin)
	if err != nil {
		return err
	}
	conn, err := p.Conn(ctx)
	if err != nil {
		return err
	}
	return p.crashedDuring(conn.CreateBlob(ctx, digest, body))
}

// withField names the request field an error from a name check refers to.
func withField(err error, field string) error {
	var e *sdk.Error
	if errors.As(err, &e) && e.Field == "model" {
		c := *e
		c.Field = field
		return &c
	}
	return err
}
