package host

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/roundhouse-ai/roundhouse/host/backend"
	"github.com/roundhouse-ai/roundhouse/host/route"
	"github.com/roundhouse-ai/roundhouse/sdk"
	"github.com/roundhouse-ai/roundhouse/sdk/manifest"
)

// UseSteps adds steps to every request's chain (usage, budget, cache,
// metrics…): after the request id and idempotency, before retry, breaker
// and timeout. Each runs once per target attempt.
func (h *Host) UseSteps(steps ...route.Middleware) { h.dispatch.Use(steps...) }

// SetPriceSource sets the prices the lowest_price strategy orders by.
func (h *Host) SetPriceSource(p route.PriceSource) { h.dispatch.SetPriceSource(p) }

// SetQuotaSource sets the budget use the least_quota_used strategy orders
// by.
func (h *Host) SetQuotaSource(q route.QuotaSource) { h.dispatch.SetQuotaSource(q) }

// Routes is GET /v1/routes: strategies, groups and canaries, and each
// target the host knows with its breaker, health and latency. It reads
// the model index as it stands (running plugins only): a listing starts
// nothing.
func (h *Host) Routes() route.Routes {
	var known []route.Target
	for _, p := range h.Plugins() {
		if _, ok := p.ConnIfRunning(); !ok || p.manifest == nil {
			continue
		}
		h.models.mu.Lock()
		snap := h.models.by[p.name]
		h.models.mu.Unlock()
		for _, m := range snap.models {
			known = append(known, route.Target{Plugin: p.name, Provider: m.Provider, Model: m.Name, Local: p.IsLocal()})
		}
	}
	return h.dispatch.Routes(known)
}

// dispatchTimeout is the deadline of one call to a target: the manifest's
// service timeouts for services, the call timeout for management, none
// for pulls, creates, pushes and blob uploads (the caller's context bounds
// them) and the load timeout for loads.
func (h *Host) dispatchTimeout(c *route.Call, t route.Target) time.Duration {
	switch c.Service {
	case opPull, opCreate, opPush, opCreateBlob, opEngine:
		return 0
	case opLoad:
		return loadTimeout
	case opShow, opDelete, opUnload, opCopy, opCheckBlob:
		return h.CallTimeout()
	}
	p := h.Plugin(t.Plugin)
	if p == nil || p.manifest == nil {
		return 0
	}
	spec := p.manifest.GetServiceByName(c.Service)
	if spec == nil {
		return 0
	}
	if c.Stream {
		return spec.StreamTimeout()
	}
	return spec.UnaryTimeout()
}

// serviceSource is the host's plugins, providers and models as the
// resolver sees them for service calls.
type serviceSource struct{ h *Host }

func (s serviceSource) IsPlugin(name string) bool { return s.h.Plugin(name) != nil }

// Targets lists the targets for q: every plugin offering the service that
// the pins and the policy allow, local ones first; for a local plugin its
// engine's model, for a remote one each provider that serves the model. A
// plugin reporting not_serving is skipped unless named. With a model
// nobody lists, a plugin named explicitly (or the only one offering the
// service) still gets the call, so that it says what it knows.
func (s serviceSource) Targets(ctx context.Context, dst []route.Candidate, q route.Query) ([]route.Candidate, error) {
	h := s.h
	if !slices.Contains(sdk.ServiceNames, q.Service) {
		return dst, sdk.Errorf(sdk.CodeServiceNotFound, "unknown service %q (services: %s)", q.Service, strings.Join(sdk.ServiceNames, ", "))
	}
	if q.Plugin != "" && h.Plugin(q.Plugin) == nil {
		return dst, &sdk.Error{Code: sdk.CodePluginNotFound, Field: "plugin",
			Message: fmt.Sprintf("no plugin named %q (GET /v1/plugins lists them)", q.Plugin)}
	}
	var pbuf [8]*Plugin
	plugins := pbuf[:0]
	var missing, notServing []*Plugin
	var invalid *Plugin
	h.eachPlugin(func(p *Plugin) {
		if (q.Plugin != "" && p.name != q.Plugin) || p.manifest == nil || p.manifest.GetServiceByName(q.Service) == nil {
			return
		}
		if (q.Policy == backend.PolicyLocal && !p.IsLocal()) || (q.Policy == backend.PolicyRemote && p.IsLocal()) {
			return
		}
		if q.Provider != "" && p.IsLocal() {
			return // provider instances belong to remote plugins
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
			missing = append(missing, p)
			return
		}
		if p.Degraded() && q.Plugin == "" {
			notServing = append(notServing, p)
			return
		}
		plugins = append(plugins, p)
	})
	if len(plugins) == 0 {
		// Kept only when nothing else offers the service: their errors
		// then say what to install, or what the engine says.
		plugins = append(append(plugins, notServing...), missing...)
	}
	if len(plugins) == 0 {
		where := ""
		if q.Plugin != "" {
			where = " from plugin " + q.Plugin
		}
		if q.Policy == backend.PolicyLocal || q.Policy == backend.PolicyRemote {
			where += " with policy " + string(q.Policy)
		}
		why := "check GET /v1/plugins"
		if invalid != nil {
			why = fmt.Sprintf("plugin %s cannot run: %s", invalid.name, invalid.lastError())
		}
		return dst, sdk.Errorf(sdk.CodeServiceUnavailable, "no running plugin offers %s%s; %s", q.Service, where, why)
	}
	// Local plugins first: they cost nothing and keep data on the machine.
	slices.SortStableFunc(plugins, func(a, b *Plugin) int {
		switch {
		case a.IsLocal() == b.IsLocal():
			return 0
		case a.IsLocal():
			return -1
		}
		return 1
	})
	n := len(dst)
	if q.Model == "" {
		for _, p := range plugins {
			if m := p.manifest.GetServiceByName(q.Service).DefaultModel; m != "" {
				dst = append(dst, route.Candidate{Target: route.Target{Plugin: p.name, Provider: q.Provider, Model: m, Local: p.IsLocal()}, Weight: 1})
			}
		}
		if len(dst) == n {
			return dst, sdk.FieldError("model", "required: no plugin offering %s declares a default model", q.Service)
		}
		return dst, nil
	}
	var unknown error
	var pbuf2 [4]string
	for _, p := range plugins {
		provs, why := h.models.providers(ctx, p, q.Model, pbuf2[:0])
		if why != nil && unknown == nil {
			unknown = why
		}
		for _, pr := range provs {
			if q.Provider != "" && pr != q.Provider {
				continue
			}
			dst = append(dst, route.Candidate{Target: route.Target{Plugin: p.name, Provider: pr, Model: q.Model, Local: p.IsLocal()}, Weight: 1})
		}
	}
	if len(dst) > n {
		return dst, nil
	}
	if len(plugins) == 1 {
		// Let the plugin say what it knows of the model (it may serve
		// models it does not list, or say how to get it).
		p := plugins[0]
		return append(dst, route.Candidate{Target: route.Target{Plugin: p.name, Provider: q.Provider, Model: q.Model, Local: p.IsLocal()}, Weight: 1}), nil
	}
	if unknown != nil {
		// A plugin that could have the model is away: that is not "no
		// such model" (404) but "try again shortly" (503).
		return dst, unknown
	}
	where := ""
	if q.Provider != "" {
		where = " from provider " + q.Provider
	}
	return dst, &sdk.Error{Code: sdk.CodeModelNotFound, Field: "model",
		Message: fmt.Sprintf("model %q is not available%s from any plugin offering %s; pull it first (POST /v1/models/pull), check GET /v1/models, or name the plugin (\"<plugin>/%s\")", q.Model, where, q.Service, q.Model)}
}

// pinnedSource resolves a call to one plugin chosen beforehand (model
// management and engine calls pick theirs by their own rules).
type pinnedSource struct {
	h     *Host
	t     route.Target
	err   error
	local bool
}

func (s pinnedSource) IsPlugin(name string) bool { return s.h.Plugin(name) != nil }

func (s pinnedSource) Targets(_ context.Context, dst []route.Candidate, _ route.Query) ([]route.Candidate, error) {
	if s.err != nil {
		return dst, s.err
	}
	return append(dst, route.Candidate{Target: s.t, Weight: 1}), nil
}

// specOf is p's spec of service (nil for management operations).
func specOf(p *Plugin, service string) *manifest.ServiceSpec {
	if p == nil || p.manifest == nil {
		return nil
	}
	return p.manifest.GetServiceByName(service)
}
