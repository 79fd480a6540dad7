package host

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/singleflight"

	"github.com/roundhouse-ai/roundhouse/sdk"
	"github.com/roundhouse-ai/roundhouse/sdk/pluginhost"
)

// modelIndexTTL bounds how stale the host's view of each plugin's models
// may be; pulls and deletes through the host invalidate it at once.
const modelIndexTTL = 5 * time.Second

// modelIndexFailTTL is how long a failed lookup is remembered: a plugin
// without a model list, or with its engine down, must not cost an extra
// RPC on every request, but a recovering engine is seen again quickly.
const modelIndexFailTTL = time.Second

// modelIndex caches which models each plugin has, for routing by model.
type modelIndex struct {
	h  *Host
	mu sync.Mutex
	by map[string]modelSnapshot
	// gen counts invalidations per plugin: a lookup that started before
	// one must not store its (older) answer after it.
	gen map[string]uint64
	// sf makes concurrent requests share one lookup per plugin.
	sf singleflight.Group
}

type modelSnapshot struct {
	expires time.Time
	models  []sdk.Model
	// failed says the plugin could not be asked: its list is unknown,
	// not empty; err says why.
	failed bool
	err    error
}

func newModelIndex(h *Host) *modelIndex {
	return &modelIndex{h: h, by: map[string]modelSnapshot{}, gen: map[string]uint64{}}
}

// invalidate drops the plugin's list after a pull or delete: the next
// request asks again, without joining a lookup already under way.
func (mi *modelIndex) invalidate(plugin string) {
	mi.mu.Lock()
	delete(mi.by, plugin)
	mi.gen[plugin]++
	mi.mu.Unlock()
	mi.sf.Forget(plugin)
}

// models returns the plugin's models (a local plugin's engine list, a
// remote plugin's providers' live models, each tagged with its provider)
// and whether the plugin could be asked. The lookup runs detached from
// the caller with its own deadline: one client hanging up must not be
// cached as "this plugin has no models" for everyone else, and a hung
// plugin must not hold every request that needs the index.
func (mi *modelIndex) models(ctx context.Context, p *Plugin) ([]sdk.Model, bool) {
	snap := mi.snapshot(ctx, p)
	return snap.models, !snap.failed
}

func (mi *modelIndex) snapshot(ctx context.Context, p *Plugin) modelSnapshot {
	mi.mu.Lock()
	snap, ok := mi.by[p.name]
	mi.mu.Unlock()
	if ok && time.Now().Before(snap.expires) {
		return snap
	}
	ch := mi.sf.DoChan(p.name, func() (any, error) {
		mi.mu.Lock()
		gen := mi.gen[p.name]
		mi.mu.Unlock()
		lctx, cancel := mi.h.WithCallTimeout(context.WithoutCancel(ctx))
		defer cancel()
		snap := mi.fetch(lctx, p)
		mi.mu.Lock()
		if mi.gen[p.name] == gen {
			mi.by[p.name] = snap
		}
		mi.mu.Unlock()
		return snap, nil
	})
	select {
	case res := <-ch:
		return res.Val.(modelSnapshot)
	case <-ctx.Done():
		// This caller left; the lookup goes on for the others and is
		// stored as usual. Nothing about the plugin is concluded here.
		return modelSnapshot{failed: true, err: ctx.Err()}
	}
}

func (mi *modelIndex) fetch(ctx context.Context, p *Plugin) modelSnapshot {
	conn, err := p.Conn(ctx)
	if err != nil {
		return modelSnapshot{expires: time.Now().Add(modelIndexFailTTL), failed: true, err: err}
	}
	var out []sdk.Model
	if p.IsLocal() {
		out, err = conn.ListModels(ctx)
		if sdk.ErrorCode(err) == sdk.CodeUnimplemented {
			err = nil // no list to consult: the plugin decides per call
		}
	} else {
		out, err = remoteModels(ctx, p, conn)
	}
	if err != nil {
		return modelSnapshot{expires: time.Now().Add(modelIndexFailTTL), failed: true, err: err}
	}
	return modelSnapshot{expires: time.Now().Add(modelIndexTTL), models: out}
}

// remoteModels are a remote plugin's providers' live models, each tagged
// with its provider: what the plugin lists (ListModels: configured models,
// else the upstream's GET /models), else the providers' own lists. The
// manifest's models stand in only for a provider that lists none; with no
// provider configured there are none.
func remoteModels(ctx context.Context, p *Plugin, conn *pluginhost.Conn) ([]sdk.Model, error) {
	ps, err := conn.ListProviders(ctx)
	if err != nil && sdk.ErrorCode(err) != sdk.CodeUnimplemented {
		return nil, err
	}
	out, err := conn.ListModels(ctx)
	switch {
	case sdk.ErrorCode(err) == sdk.CodeUnimplemented:
		out = nil
		for _, pr := range ps {
			for _, m := range pr.Models {
				out = append(out, sdk.Model{Name: m, Provider: pr.Name})
			}
		}
	case err != nil:
		return nil, err
	}
	listed := map[string]bool{}
	for _, m := range out {
		listed[m.Provider] = true
	}
	for _, pr := range ps {
		if listed[pr.Name] {
			continue
		}
		for _, m := range staticModels(p) {
			m.Provider = pr.Name
			out = append(out, m)
		}
	}
	return out, nil
}

// staticModels are the models a remote plugin's manifest declares: the
// fallback for a provider that cannot list its own.
func staticModels(p *Plugin) []sdk.Model {
	if p.manifest == nil || p.IsLocal() {
		return nil
	}
	var out []sdk.Model
	seen := map[string]bool{}
	for _, s := range p.manifest.Services {
		for _, m := range append([]string{s.DefaultModel}, s.SupportModels...) {
			if m != "" && !seen[m] {
				seen[m] = true
				out = append(out, sdk.Model{Name: m, Services: []string{s.ServiceName}})
			}
		}
	}
	return out
}

// has reports whether the plugin has the model, treating "name" and
// "name:latest" as the same model, as Ollama does. When the plugin could
// not be asked (down, restarting, not answering, its engine down) and the
// model is not in its static list, unknown says why: the model may well
// be there.
func (mi *modelIndex) has(ctx context.Context, p *Plugin, model string) (found bool, unknown error) {
	provs, unknown := mi.providers(ctx, p, model, nil)
	return len(provs) > 0, unknown
}

// providers appends to dst the providers of p that serve model ("" for a
// local plugin's model), with unknown as in has.
func (mi *modelIndex) providers(ctx context.Context, p *Plugin, model string, dst []string) ([]string, error) {
	want := canonicalModel(model)
	snap := mi.snapshot(ctx, p)
	for _, m := range snap.models {
		if canonicalModel(m.Name) == want {
			dst = append(dst, m.Provider)
		}
	}
	if len(dst) == 0 && snap.failed {
		return dst, lookupError(p, snap.err)
	}
	return dst, nil
}

// lookupError explains a failed model lookup: the plugin's own error
// when it answered one (engine unavailable...), plugin_unavailable with
// Retry-After when it did not answer or is not running.
func lookupError(p *Plugin, err error) error {
	switch sdk.ErrorCode(err) {
	case sdk.CodeTimeout, sdk.CodeCanceled, sdk.CodeUnavailable:
		return &sdk.Error{Code: sdk.CodePluginUnavailable, Retryable: true, RetryAfter: time.Second, Err: err,
			Message: fmt.Sprintf("plugin %s is not answering right now (%s is %s); retry shortly", p.name, p.name, p.State())}
	}
	return err
}

func canonicalModel(name string) string {
	last := name[strings.LastIndex(name, "/")+1:]
	if !strings.Contains(last, ":") {
		return name + ":latest"
	}
	return name
}
