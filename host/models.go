package host

import (
	"context"
	"strings"
	"sync"
	"time"

	"github.com/roundhouse-ai/roundhouse/sdk"
)

// modelIndexTTL bounds how stale the host's view of each plugin's models
// may be; pulls and deletes through the host invalidate it at once.
const modelIndexTTL = 5 * time.Second

// modelIndex caches which models each plugin has, for routing by model.
type modelIndex struct {
	h  *Host
	mu sync.Mutex
	by map[string]modelSnapshot
}

type modelSnapshot struct {
	at     time.Time
	models []sdk.Model
}

func newModelIndex(h *Host) *modelIndex { return &modelIndex{h: h, by: map[string]modelSnapshot{}} }

func (mi *modelIndex) invalidate(plugin string) {
	mi.mu.Lock()
	delete(mi.by, plugin)
	mi.mu.Unlock()
}

// models returns the plugin's models: a local plugin's engine list, a
// remote plugin's provider models plus its manifest's supported models.
func (mi *modelIndex) models(ctx context.Context, p *Plugin) []sdk.Model {
	mi.mu.Lock()
	snap, ok := mi.by[p.name]
	mi.mu.Unlock()
	if ok && time.Since(snap.at) < modelIndexTTL {
		return snap.models
	}
	var out []sdk.Model
	conn, err := p.Conn(ctx)
	if err == nil {
		if p.IsLocal() {
			out, err = conn.ListModels(ctx)
		} else {
			var ps []sdk.ProviderStatus
			ps, err = conn.ListProviders(ctx)
			for _, pr := range ps {
				for _, m := range pr.Models {
					out = append(out, sdk.Model{Name: m})
				}
			}
			if sdk.ErrorCode(err) == sdk.CodeUnimplemented {
				err = nil
			}
		}
	}
	if err != nil {
		// Cache the failure too: a plugin without a model list, or with
		// its engine down, must not cost an extra RPC on every request.
		// Failures are kept for one second only, so a recovering engine is
		// seen again quickly.
		out = staticModels(p)
		mi.mu.Lock()
		mi.by[p.name] = modelSnapshot{at: time.Now().Add(time.Second - modelIndexTTL), models: out}
		mi.mu.Unlock()
		return out
	}
	seen := map[string]bool{}
	for _, m := range out {
		seen[m.Name] = true
	}
	for _, m := range staticModels(p) {
		if !seen[m.Name] {
			out = append(out, m)
		}
	}
	mi.mu.Lock()
	mi.by[p.name] = modelSnapshot{at: time.Now(), models: out}
	mi.mu.Unlock()
	return out
}

// staticModels are the models a remote plugin's manifest declares.
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
// "name:latest" as the same model, as Ollama does.
func (mi *modelIndex) has(ctx context.Context, p *Plugin, model string) bool {
	want := canonicalModel(model)
	for _, m := range mi.models(ctx, p) {
		if canonicalModel(m.Name) == want {
			return true
		}
	}
	return false
}

func canonicalModel(name string) string {
	last := name[strings.LastIndex(name, "/")+1:]
	if !strings.Contains(last, ":") {
		return name + ":latest"
	}
	return name
}
