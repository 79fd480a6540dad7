package api

import (
	"context"
	"net/http"
	"runtime"
	"slices"
	"time"

	"github.com/roundhouse-ai/roundhouse/client"
	"github.com/roundhouse-ai/roundhouse/host"
	"github.com/roundhouse-ai/roundhouse/host/httpx"
	"github.com/roundhouse-ai/roundhouse/sdk"
)

func (s *Server) health(w http.ResponseWriter, r *http.Request) {
	// The host answers 200 while it runs (it is alive); status says
	// whether every enabled plugin is serving: "degraded" names the ones
	// that are restarting, failing to start or not passing health checks.
	resp := client.HealthResponse{Status: "ok", Version: host.Version, Uptime: host.Uptime().Seconds(), Plugins: map[string]string{}}
	for _, p := range s.h.Plugins() {
		st := p.State()
		state := string(st)
		switch {
		case st == host.StateRunning && p.Degraded():
			state = "degraded"
		case st == host.StateRestarting, st == host.StateStarting:
		default:
			resp.Plugins[p.Name()] = state
			continue
		}
		resp.Plugins[p.Name()] = state
		resp.Status = "degraded"
	}
	httpx.WriteJSON(w, http.StatusOK, resp)
}

func (s *Server) version(w http.ResponseWriter, r *http.Request) {
	httpx.WriteJSON(w, http.StatusOK, client.VersionResponse{
		Version: host.Version, SDKVersion: sdk.Version, ProtocolVersion: sdk.ProtocolVersion,
		GoVersion: runtime.Version(), Platform: runtime.GOOS + "_" + runtime.GOARCH,
	})
}

func (s *Server) listPlugins(w http.ResponseWriter, r *http.Request) {
	out := pluginList{Plugins: []pluginView{}}
	for _, p := range s.h.Plugins() {
		out.Plugins = append(out.Plugins, viewPlugin(p))
	}
	httpx.WriteJSON(w, http.StatusOK, out)
}

func (s *Server) plugin(w http.ResponseWriter, r *http.Request, name string) *host.Plugin {
	p := s.h.Plugin(name)
	if p == nil {
		writeError(w, r, s.log, sdk.Errorf(sdk.CodePluginNotFound, "no plugin named %q (GET /v1/plugins lists them)", name))
	}
	return p
}

func (s *Server) getPlugin(w http.ResponseWriter, r *http.Request) {
	if p := s.plugin(w, r, r.PathValue("name")); p != nil {
		httpx.WriteJSON(w, http.StatusOK, viewPlugin(p))
	}
}

func (s *Server) restartPlugin(w http.ResponseWriter, r *http.Request) {
	p := s.plugin(w, r, r.PathValue("name"))
	if p == nil {
		return
	}
	p.Stop()
	p.Start()
	ctx, cancel := context.WithTimeout(r.Context(), 30*time.Second)
	defer cancel()
	if _, err := p.Conn(ctx); err != nil {
		writeError(w, r, s.log, err)
		return
	}
	httpx.WriteJSON(w, http.StatusOK, viewPlugin(p))
}

func (s *Server) listServices(w http.ResponseWriter, r *http.Request) {
	// The models behind each plugin: what its engine or providers have now,
	// plus what its manifest declares. A model whose own service list is
	// known (Model.Services) is listed under those services only.
	have := map[string][]sdk.Model{}
	if ms, err := s.b.ListModels(r.Context(), false); err == nil {
		for _, m := range ms {
			have[m.Plugin] = append(have[m.Plugin], m.Model)
		}
	}
	var out client.ServiceList
	for _, name := range sdk.ServiceNames {
		si := client.ServiceInfo{Name: name, Plugins: []client.ServicePluginInfo{}}
		for _, p := range s.h.Plugins() {
			m := p.Manifest()
			if m == nil {
				continue
			}
			spec := m.GetServiceByName(name)
			if spec == nil {
				continue
			}
			models := slices.Clone(spec.SupportModels)
			for _, hm := range have[p.Name()] {
				if (len(hm.Services) == 0 || slices.Contains(hm.Services, name)) && !slices.Contains(models, hm.Name) {
					models = append(models, hm.Name)
				}
			}
			si.Plugins = append(si.Plugins, client.ServicePluginInfo{
				Plugin: p.Name(), Type: string(m.Provider.Type), State: string(p.State()),
				DefaultModel: spec.DefaultModel, Models: models, Capabilities: spec.Capabilities,
			})
		}
		out.Services = append(out.Services, si)
	}
	httpx.WriteJSON(w, http.StatusOK, out)
}
