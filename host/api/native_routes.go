package api

import (
	"net/http"

	"github.com/roundhouse-ai/roundhouse/client"
	"github.com/roundhouse-ai/roundhouse/host/httpx"
	"github.com/roundhouse-ai/roundhouse/host/route"
)

// listRoutes answers GET /v1/routes: strategies, model groups and their
// canaries, fallbacks, and each target's breaker, health and latency.
func (s *Server) listRoutes(w http.ResponseWriter, r *http.Request) {
	httpx.WriteJSON(w, http.StatusOK, routesWire(s.h.Routes()))
}

// routesWire maps the dispatcher's view to the client's wire type.
func routesWire(v route.Routes) client.RouteTable {
	out := client.RouteTable{Strategy: v.Strategy, Services: v.Services, Fallbacks: v.Fallbacks,
		Groups: make([]client.RouteGroup, 0, len(v.Groups)), Targets: make([]client.RouteTarget, 0, len(v.Targets))}
	for _, g := range v.Groups {
		wg := client.RouteGroup{Name: g.Name, Strategy: g.Strategy, Targets: make([]client.RouteGroupTarget, 0, len(g.Targets))}
		for _, t := range g.Targets {
			wg.Targets = append(wg.Targets, client.RouteGroupTarget(t))
		}
		if g.Canary != nil {
			c := client.RouteCanary(*g.Canary)
			wg.Canary = &c
		}
		out.Groups = append(out.Groups, wg)
	}
	for _, t := range v.Targets {
		out.Targets = append(out.Targets, client.RouteTarget{Target: t.Target, Plugin: t.Plugin, Provider: t.Provider, Model: t.Model,
			Breaker: client.RouteBreaker(t.Breaker), Health: t.Health, LatencyMS: t.LatencyMS, ErrorRate: t.ErrorRate, Requests: t.Requests})
	}
	return out
}
