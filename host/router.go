package host

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/roundhouse-ai/roundhouse/host/backend"
	"github.com/roundhouse-ai/roundhouse/host/route"
	"github.com/roundhouse-ai/roundhouse/sdk"
	"github.com/roundhouse-ai/roundhouse/sdk/manifest"
	"github.com/roundhouse-ai/roundhouse/sdk/pluginhost"
)

// Router implements backend.Backend over the host's plugins as a thin
// typed façade over the dispatch chain (host/route): every service call,
// model-management call and engine call becomes a route.Call that the
// dispatcher resolves, orders and runs through its steps (request id,
// idempotency, extra steps, retry, breaker, timeout).
type Router struct{ h *Host }

var _ backend.Backend = (*Router)(nil)

// Router returns the host's router.
func (h *Host) Router() *Router { return &Router{h: h} }

// Operation names of the calls that are not services, for route.Call.Service.
const (
	opShow       = "show_model"
	opPull       = "pull_model"
	opDelete     = "delete_model"
	opLoad       = "load_model"
	opUnload     = "unload_model"
	opCopy       = "copy_model"
	opCreate     = "create_model"
	opPush       = "push_model"
	opCheckBlob  = "check_blob"
	opCreateBlob = "create_blob"
	opEngine     = "engine"
)

// invoke runs fn on the target the dispatcher picks. model and provider
// point into the request: the target's values are written there before
// each attempt. send is set for streams.
func invoke[T any](ctx context.Context, r *Router, src route.Source, service string, rt backend.Route, model, provider *string,
	req any, send func(any) error, fn func(context.Context, *pluginhost.Conn, *manifest.ServiceSpec, *route.Call) (T, error)) (T, error) {
	var zero T
	c := &route.Call{Service: service, Stream: send != nil, Model: *model, Route: rt, Caller: backend.CallerFrom(ctx), Req: req, Send: send}
	err := r.h.dispatch.Dispatch(ctx, src, c, func(ctx context.Context, c *route.Call, t route.Target) error {
		p := r.h.Plugin(t.Plugin)
		if p == nil {
			return sdk.Errorf(sdk.CodePluginNotFound, "no plugin named %q", t.Plugin)
		}
		*model = t.Model
		if provider != nil {
			*provider = t.Provider
		}
		conn, err := p.Conn(ctx)
		if err != nil {
			return err
		}
		spec := specOf(p, service)
		out, err := fn(ctx, conn, spec, c)
		if notDelivered(err) && !c.Started.Load() && p.waitDead(ctx, time.Second) {
			// The plugin died before the call reached it: wait for the
			// restart and send the call once more.
			if conn, err = p.Conn(ctx); err != nil {
				return err
			}
			out, err = fn(ctx, conn, spec, c)
		}
		if err = p.crashedDuring(ctx, err); err == nil {
			c.Resp = out
		}
		return err
	})
	if err != nil {
		return zero, err
	}
	out, _ := c.Resp.(T)
	return out, nil
}

// service runs a unary service call.
func service[Req, Resp any](ctx context.Context, r *Router, name string, rt backend.Route, req *Req, model, provider *string,
	fn func(*pluginhost.Conn, context.Context, *Req) (*Resp, error)) (*Resp, error) {
	return invoke(ctx, r, serviceSource{r.h}, name, rt, model, provider, req, nil,
		func(ctx context.Context, conn *pluginhost.Conn, _ *manifest.ServiceSpec, _ *route.Call) (*Resp, error) {
			return fn(conn, ctx, req)
		})
}

// stream runs a streamed service call; a plugin whose manifest says the
// service does not stream is asked for the whole answer (toStream).
func stream[Req, Chunk any](ctx context.Context, r *Router, name string, rt backend.Route, req *Req, model, provider *string,
	send func(*Chunk) error, fn func(context.Context, *pluginhost.Conn, *manifest.ServiceSpec, *Req, func(*Chunk) error) error) error {
	_, err := invoke(ctx, r, serviceSource{r.h}, name, rt, model, provider, req, func(ch any) error { return send(ch.(*Chunk)) },
		func(ctx context.Context, conn *pluginhost.Conn, spec *manifest.ServiceSpec, c *route.Call) (struct{}, error) {
			return struct{}{}, fn(ctx, conn, spec, req, func(ch *Chunk) error { return c.Send(ch) })
		})
	return err
}

func (r *Router) Chat(ctx context.Context, rt backend.Route, req *sdk.ChatRequest) (*sdk.ChatResponse, error) {
	return service(ctx, r, sdk.ServiceChat, rt, req, &req.Model, &req.Provider, (*pluginhost.Conn).Chat)
}

// ChatStream streams chat. A plugin whose manifest says the service does
// not stream (capabilities.support_streaming: false) is asked for the
// whole answer, sent as one chunk: clients that ask to stream still work.
func (r *Router) ChatStream(ctx context.Context, rt backend.Route, req *sdk.ChatRequest, send func(*sdk.ChatChunk) error) error {
	return stream(ctx, r, sdk.ServiceChat, rt, req, &req.Model, &req.Provider, send,
		func(ctx context.Context, c *pluginhost.Conn, spec *manifest.ServiceSpec, req *sdk.ChatRequest, send func(*sdk.ChatChunk) error) error {
			if spec != nil && !spec.Capabilities.SupportStreaming {
				return sdk.ChatToStream(c.Chat)(ctx, req, send)
			}
			return c.ChatStream(ctx, req, send)
		})
}

func (r *Router) Generate(ctx context.Context, rt backend.Route, req *sdk.GenerateRequest) (*sdk.GenerateResponse, error) {
	return service(ctx, r, sdk.ServiceGenerate, rt, req, &req.Model, &req.Provider, (*pluginhost.Conn).Generate)
}

// GenerateStream streams generate; a service that does not stream is
// collected into one chunk, as in ChatStream.
func (r *Router) GenerateStream(ctx context.Context, rt backend.Route, req *sdk.GenerateRequest, send func(*sdk.GenerateChunk) error) error {
	return stream(ctx, r, sdk.ServiceGenerate, rt, req, &req.Model, &req.Provider, send,
		func(ctx context.Context, c *pluginhost.Conn, spec *manifest.ServiceSpec, req *sdk.GenerateRequest, send func(*sdk.GenerateChunk) error) error {
			if spec != nil && !spec.Capabilities.SupportStreaming {
				return sdk.GenerateToStream(c.Generate)(ctx, req, send)
			}
			return c.GenerateStream(ctx, req, send)
		})
}

func (r *Router) Embed(ctx context.Context, rt backend.Route, req *sdk.EmbedRequest) (*sdk.EmbedResponse, error) {
	return service(ctx, r, sdk.ServiceEmbed, rt, req, &req.Model, &req.Provider, (*pluginhost.Conn).Embed)
}

func (r *Router) Rerank(ctx context.Context, rt backend.Route, req *sdk.RerankRequest) (*sdk.RerankResponse, error) {
	return service(ctx, r, sdk.ServiceRerank, rt, req, &req.Model, &req.Provider, (*pluginhost.Conn).Rerank)
}

func (r *Router) TextToImage(ctx context.Context, rt backend.Route, req *sdk.TextToImageRequest) (*sdk.TextToImageResponse, error) {
	return service(ctx, r, sdk.ServiceTextToImage, rt, req, &req.Model, &req.Provider, (*pluginhost.Conn).TextToImage)
}

func (r *Router) ImageToImage(ctx context.Context, rt backend.Route, req *sdk.ImageToImageRequest) (*sdk.ImageToImageResponse, error) {
	return service(ctx, r, sdk.ServiceImageToImage, rt, req, &req.Model, &req.Provider, (*pluginhost.Conn).ImageToImage)
}

func (r *Router) TextToSpeech(ctx context.Context, rt backend.Route, req *sdk.TextToSpeechRequest) (*sdk.TextToSpeechResponse, error) {
	return service(ctx, r, sdk.ServiceTextToSpeech, rt, req, &req.Model, &req.Provider, (*pluginhost.Conn).TextToSpeech)
}

func (r *Router) SpeechToText(ctx context.Context, rt backend.Route, req *sdk.SpeechToTextRequest) (*sdk.SpeechToTextResponse, error) {
	return service(ctx, r, sdk.ServiceSpeechToText, rt, req, &req.Model, &req.Provider, (*pluginhost.Conn).SpeechToText)
}

// SpeechToTextLive opens a bidirectional transcription with the plugin
// chosen for cfg's model; the plugin first receives cfg, then the audio.
// Nothing is retried once audio was read: it cannot be read twice.
func (r *Router) SpeechToTextLive(ctx context.Context, rt backend.Route, cfg *sdk.SpeechToTextRequest,
	recv func() (*sdk.LiveSpeechInput, error), send func(*sdk.LiveSpeechOutput) error) error {
	_, err := invoke(ctx, r, serviceSource{r.h}, sdk.ServiceSpeechToText, rt, &cfg.Model, &cfg.Provider, nil,
		func(ch any) error { return send(ch.(*sdk.LiveSpeechOutput)) },
		func(ctx context.Context, c *pluginhost.Conn, _ *manifest.ServiceSpec, call *route.Call) (struct{}, error) {
			first := true
			return struct{}{}, c.SpeechToTextLive(ctx, func() (*sdk.LiveSpeechInput, error) {
				if first {
					first = false
					return &sdk.LiveSpeechInput{Config: cfg}, nil
				}
				call.Started.Store(true) // audio consumed: no retry, no fallback
				return recv()
			}, func(o *sdk.LiveSpeechOutput) error { return call.Send(o) })
		})
	return err
}

// manage runs a model-management or engine call on the plugin p chosen
// by the caller (perr: why none), through the same chain as services.
func manage(ctx context.Context, r *Router, op string, rt backend.Route, p *Plugin, model string, perr error,
	progress func(*sdk.Progress) error, fn func(context.Context, *pluginhost.Conn, *route.Call) error) error {
	src := pinnedSource{h: r.h, err: perr}
	if p != nil {
		src.t = route.Target{Plugin: p.name, Model: model, Local: p.IsLocal()}
	}
	var send func(any) error
	if progress != nil {
		send = func(ch any) error { return progress(ch.(*sdk.Progress)) }
	}
	m := model
	rt.Plugin, rt.Provider = "", "" // chosen already
	_, err := invoke(ctx, r, src, op, rt, &m, nil, nil, send,
		func(ctx context.Context, conn *pluginhost.Conn, _ *manifest.ServiceSpec, c *route.Call) (struct{}, error) {
			return struct{}{}, fn(ctx, conn, c)
		})
	return err
}

// progressOf is the progress callback that goes through the call's Send
// (so the first progress counts as the stream's first byte).
func progressOf(c *route.Call) func(*sdk.Progress) error {
	return func(p *sdk.Progress) error { return c.Send(p) }
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
	var d *sdk.ModelDetails
	err = manage(ctx, r, opShow, rt, p, model, err, nil, func(ctx context.Context, conn *pluginhost.Conn, _ *route.Call) error {
		var err error
		d, err = conn.ShowModel(ctx, model)
		return err
	})
	if err != nil {
		return nil, "", err
	}
	return d, p.name, nil
}

func (r *Router) PullModel(ctx context.Context, req backend.PullRequest, progress func(*sdk.Progress) error) error {
	p, model, err := r.localPlugin(ctx, req.Plugin, req.Model, false)
	if p != nil {
		defer r.h.models.invalidate(p.name)
	}
	return manage(ctx, r, opPull, backend.Route{}, p, model, err, progress, func(ctx context.Context, conn *pluginhost.Conn, c *route.Call) error {
		return conn.PullModel(ctx, &sdk.PullRequest{Model: model, Insecure: req.Insecure, Auth: r.h.RegistryAuthFor(model)}, progressOf(c))
	})
}

func (r *Router) DeleteModel(ctx context.Context, rt backend.Route, model string) error {
	p, model, err := r.localPlugin(ctx, rt.Plugin, model, false)
	if p != nil {
		defer r.h.models.invalidate(p.name)
	}
	return manage(ctx, r, opDelete, rt, p, model, err, nil, func(ctx context.Context, conn *pluginhost.Conn, _ *route.Call) error {
		return conn.DeleteModel(ctx, model)
	})
}

func (r *Router) LoadModel(ctx context.Context, rt backend.Route, req *sdk.LoadRequest) error {
	p, model, err := r.localPlugin(ctx, rt.Plugin, req.Model, false)
	return manage(ctx, r, opLoad, rt, p, model, err, nil, func(ctx context.Context, conn *pluginhost.Conn, _ *route.Call) error {
		lr := *req
		lr.Model = model
		return conn.LoadModel(ctx, &lr)
	})
}

func (r *Router) UnloadModel(ctx context.Context, rt backend.Route, model string) error {
	p, model, err := r.localPlugin(ctx, rt.Plugin, model, false)
	return manage(ctx, r, opUnload, rt, p, model, err, nil, func(ctx context.Context, conn *pluginhost.Conn, _ *route.Call) error {
		return conn.UnloadModel(ctx, model)
	})
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
	defer r.h.models.invalidate(p.name)
	return manage(ctx, r, opCopy, rt, p, source, nil, nil, func(ctx context.Context, conn *pluginhost.Conn, _ *route.Call) error {
		return conn.CopyModel(ctx, &sdk.CopyRequest{Source: source, Destination: dest})
	})
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
	defer r.h.models.invalidate(p.name)
	return manage(ctx, r, opCreate, rt, p, cr.Model, nil, progress, func(ctx context.Context, conn *pluginhost.Conn, c *route.Call) error {
		return conn.CreateModel(ctx, &cr, progressOf(c))
	})
}

// PushModel pushes from the plugin that has the model; no deadline, like
// a pull.
func (r *Router) PushModel(ctx context.Context, rt backend.Route, req *sdk.PushRequest, progress func(*sdk.Progress) error) error {
	p, model, err := r.localPlugin(ctx, rt.Plugin, req.Model, false)
	return manage(ctx, r, opPush, rt, p, model, err, progress, func(ctx context.Context, conn *pluginhost.Conn, c *route.Call) error {
		return conn.PushModel(ctx, &sdk.PushRequest{Model: model, Insecure: req.Insecure, Auth: r.h.RegistryAuthFor(model)}, progressOf(c))
	})
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
	var ok bool
	err = manage(ctx, r, opCheckBlob, rt, p, digest, err, nil, func(ctx context.Context, conn *pluginhost.Conn, _ *route.Call) error {
		var err error
		ok, err = conn.CheckBlob(ctx, digest)
		return err
	})
	return ok, err
}

// CreateBlob streams body to the plugin; the caller's context (and the
// body's own read deadline) bound it, as a large upload takes long. The
// body is read once: the call counts as started from its first read, so
// it is never sent twice.
func (r *Router) CreateBlob(ctx context.Context, rt backend.Route, digest string, body io.Reader) error {
	p, err := r.blobPlugin(rt.Plugin)
	return manage(ctx, r, opCreateBlob, rt, p, digest, err, nil, func(ctx context.Context, conn *pluginhost.Conn, c *route.Call) error {
		return conn.CreateBlob(ctx, digest, startedReader{body, c})
	})
}

// startedReader marks the call started at the first read of a body that
// cannot be read again.
type startedReader struct {
	r io.Reader
	c *route.Call
}

func (s startedReader) Read(b []byte) (int, error) {
	s.c.Started.Store(true)
	return s.r.Read(b)
}

// EngineCall runs fn (start, stop, install, upgrade an engine) on the
// local plugin named, through the dispatch chain (request id, breaker,
// crash classification); progress, when set, receives fn's progress.
func (r *Router) EngineCall(ctx context.Context, plugin string, progress func(*sdk.Progress) error,
	fn func(ctx context.Context, conn *pluginhost.Conn, progress func(*sdk.Progress) error) error) error {
	p := r.h.Plugin(plugin)
	var perr error
	switch {
	case p == nil:
		perr = &sdk.Error{Code: sdk.CodePluginNotFound, Field: "plugin", Message: fmt.Sprintf("no plugin named %q", plugin)}
	case !p.IsLocal():
		perr = sdk.Errorf(sdk.CodeFailedPrecondition, "plugin %s is remote: it has no engine", plugin)
	}
	return manage(ctx, r, opEngine, backend.Route{}, p, "", perr, progress, func(ctx context.Context, conn *pluginhost.Conn, c *route.Call) error {
		if progress == nil {
			return fn(ctx, conn, nil)
		}
		return fn(ctx, conn, progressOf(c))
	})
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
