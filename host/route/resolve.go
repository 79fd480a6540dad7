package route

import (
	"context"
	"strings"

	"github.com/roundhouse-ai/roundhouse/host/backend"
	"github.com/roundhouse-ai/roundhouse/types"
)

// Query is one lookup the resolver asks the host: the targets that can
// serve Service with Model ("" = the service's default) within the pins
// and the policy.
type Query struct {
	Service  string
	Model    string
	Plugin   string // "" = any
	Provider string // "" = any
	Policy   backend.Policy
}

// Source is the host's knowledge of plugins, providers and models.
type Source interface {
	// IsPlugin reports whether name is a loaded plugin (model prefixes).
	IsPlugin(name string) bool
	// Targets appends the targets for q to dst, local plugins first. With
	// none it returns dst unchanged and an error saying why (model not
	// found, plugin not running, no plugin offers the service…).
	Targets(ctx context.Context, dst []Candidate, q Query) ([]Candidate, error)
}

// GroupSpec is a model group as the resolver uses it.
type GroupSpec struct {
	Strategy string
	Targets  []Candidate
	canary   *canary
}

// Wishes are a request's routing wishes after precedence: what the
// resolver resolved and why.
type Wishes struct {
	// Model is the model name without a plugin prefix.
	Model    string
	Plugin   string
	Provider string
	Policy   backend.Policy
	// Group is set when Model names a model group.
	Group string
}

// ParseWishes applies the precedence rules: the request's plugin and
// provider (body fields, else headers: the surface merged them into rt)
// come first; a model prefix "<plugin>/" or "<plugin>:<provider>/" that
// names a loaded plugin pins it when it does not contradict them (else
// the prefix stays part of the model name: "library/tiny"); the policy
// filters what is left.
func ParseWishes(rt backend.Route, model string, isPlugin func(string) bool) Wishes {
	w := Wishes{Model: model, Plugin: rt.Plugin, Provider: rt.Provider, Policy: rt.Policy}
	if w.Policy == "" {
		w.Policy = backend.PolicyAuto
	}
	head, rest, ok := strings.Cut(model, "/")
	if !ok || head == "" || rest == "" {
		return w
	}
	plugin, provider, _ := strings.Cut(head, ":")
	if !isPlugin(plugin) || (w.Plugin != "" && w.Plugin != plugin) || (w.Provider != "" && provider != "" && w.Provider != provider) {
		return w
	}
	w.Plugin, w.Model = plugin, rest
	if provider != "" {
		w.Provider = provider
	}
	return w
}

// resolve turns wishes into candidates: a group's targets, else the
// model's targets from the source, then the configured fallbacks. dst is
// reused to avoid allocating.
func (d *Dispatcher) resolve(ctx context.Context, src Source, service string, w *Wishes, dst []Candidate) ([]Candidate, *GroupSpec, error) {
	var firstErr error
	note := func(err error) {
		if firstErr == nil && err != nil {
			firstErr = err
		}
	}
	cfg := d.cfg.Load()
	var g *GroupSpec
	if w.Plugin == "" && w.Provider == "" {
		if gs, ok := cfg.groups[w.Model]; ok {
			g, w.Group = gs, w.Model
		}
	}
	var err error
	if g != nil {
		for _, gt := range g.Targets {
			n := len(dst)
			dst, err = src.Targets(ctx, dst, Query{Service: service, Model: gt.Model, Plugin: gt.Plugin, Provider: gt.Provider, Policy: w.Policy})
			note(err)
			for i := n; i < len(dst); i++ {
				dst[i].Weight = gt.Weight
			}
		}
	} else {
		dst, err = src.Targets(ctx, dst, Query{Service: service, Model: w.Model, Plugin: w.Plugin, Provider: w.Provider, Policy: w.Policy})
		note(err)
	}
	if fbs := cfg.fallbacks[w.Model]; len(fbs) > 0 {
		for _, fb := range fbs {
			q := Query{Service: service, Model: fb, Policy: w.Policy}
			if t, ok := ParseTarget(fb); ok && src.IsPlugin(t.Plugin) {
				q.Model, q.Plugin, q.Provider = t.Model, t.Plugin, t.Provider
			}
			n := len(dst)
			dst, err = src.Targets(ctx, dst, q)
			note(err)
			for i := n; i < len(dst); i++ {
				dst[i].Fallback = true
			}
		}
		dst = dedupe(dst)
	}
	if len(dst) == 0 {
		if firstErr == nil {
			firstErr = &types.Error{Code: types.CodeModelNotFound, Field: "model", Message: "no target serves model " + w.Model}
		}
		return dst, g, firstErr
	}
	return dst, g, nil
}

// dedupe drops repeated targets, keeping the first.
func dedupe(c []Candidate) []Candidate {
	out := c[:0]
	for i := range c {
		dup := false
		for j := range out {
			if out[j].Target.Key() == c[i].Target.Key() {
				dup = true
				break
			}
		}
		if !dup {
			out = append(out, c[i])
		}
	}
	return out
}
