package api

import (
	"net/http"
	"net/http/pprof"
	"reflect"

	"github.com/roundhouse-ai/roundhouse/client"
	"github.com/roundhouse-ai/roundhouse/host"
	"github.com/roundhouse-ai/roundhouse/sdk"
)

// nativeRoute is one route of the native API. The mux registers it and
// openapi.json documents it from this one table, so a route cannot be
// served undocumented (TestEveryRouteDocumented checks each entry).
type nativeRoute struct {
	method, path string // mux syntax: "{name}", "{name...}"
	handle       func(*Server, http.ResponseWriter, *http.Request)
	summary      string
	// body is the JSON request body (nil: none).
	body reflect.Type
	// resp is the JSON answer; status its code (0: 200).
	resp   reflect.Type
	status int
	// stream: the answer is progress events (SSE, or NDJSON).
	stream reflect.Type
	// query are the query parameters: name → description.
	query map[string]string
	// op, when set, writes the OpenAPI operation by hand.
	op func(g *schemaGen) map[string]any
}

func typ[T any]() reflect.Type { return reflect.TypeFor[T]() }

// Answer shapes that are not named types elsewhere.
type (
	statusAnswer = map[string]string
	pluginList   struct {
		Plugins []pluginView `json:"plugins"`
	}
	providerList struct {
		Providers []providerView `json:"providers"`
	}
	configAnswer struct {
		Path   string         `json:"path"`
		Config map[string]any `json:"config"`
	}
)

func pprofRoute(path string, h http.HandlerFunc) nativeRoute {
	return nativeRoute{method: "GET", path: path, handle: func(_ *Server, w http.ResponseWriter, r *http.Request) { h(w, r) },
		summary: "Go profiler (admin; net/http/pprof)", op: func(*schemaGen) map[string]any {
			return map[string]any{"summary": "Go profiler (admin; net/http/pprof)", "responses": map[string]any{"200": map[string]any{"description": "profile"}}}
		}}
}

// nativeRoutes is the native API.
func nativeRoutes() []nativeRoute {
	// The resumable blob uploads (native_uploads.go) follow the table.
	return append([]nativeRoute{
		{method: "GET", path: "/health", handle: (*Server).health, summary: "Host health and plugin states (always open)", resp: typ[client.HealthResponse]()},
		{method: "GET", path: "/version", handle: (*Server).version, summary: "Versions (always open)", resp: typ[client.VersionResponse]()},
		{method: "GET", path: "/openapi.json", handle: (*Server).openapi, summary: "This document", resp: typ[map[string]any]()},
		{method: "GET", path: "/v1/openapi.json", handle: (*Server).openapi, summary: "This document", resp: typ[map[string]any]()},

		{method: "GET", path: "/v1/system", handle: (*Server).system, summary: "This machine: OS, CPU, memory, GPUs", resp: typ[SystemInfo]()},
		{method: "GET", path: "/v1/plugins", handle: (*Server).listPlugins, summary: "Plugins with state, pid, restarts, reload_error, in_flight", resp: typ[pluginList]()},
		{method: "GET", path: "/v1/plugins/{name}", handle: (*Server).getPlugin, summary: "One plugin; reload_error says why the last reload kept this version", resp: typ[pluginView]()},
		{method: "POST", path: "/v1/plugins/{name}/restart", handle: (*Server).restartPlugin, summary: "Restart a plugin (admin)", resp: typ[pluginView]()},
		{method: "POST", path: "/v1/plugins/{name}/enable", handle: (*Server).enablePlugin, summary: "Enable a plugin (admin); saved, overrides plugins.<name>.disabled", resp: typ[pluginView]()},
		{method: "POST", path: "/v1/plugins/{name}/disable", handle: (*Server).disablePlugin, summary: "Disable and stop a plugin (admin); saved, overrides the config file", resp: typ[pluginView]()},
		{method: "DELETE", path: "/v1/plugins/{name}", handle: (*Server).removePlugin, summary: "Stop a plugin and delete its directory (admin; only inside a plugin root)", resp: typ[statusAnswer]()},
		{method: "POST", path: "/v1/plugins/install", handle: (*Server).installPlugin, status: http.StatusCreated, resp: typ[pluginView](), op: installOp},
		{method: "POST", path: "/v1/reload", handle: (*Server).reload, summary: "Reload the config file and plugin roots now, like SIGHUP (admin); a config that does not load answers 400 and changes nothing", resp: typ[host.ReloadResult]()},
		{method: "GET", path: "/v1/config", handle: (*Server).effectiveConfig, summary: "The effective configuration, runtime state merged, secrets masked (admin); keys as in the config file (docs/config.md)", resp: typ[configAnswer]()},
		{method: "GET", path: "/v1/inventory", handle: (*Server).inventory, summary: "Models across plugins (the native model list)", resp: typ[inventoryList](),
			query: map[string]string{"running": "true: only models loaded now"}},

		{method: "GET", path: "/v1/services", handle: (*Server).listServices, summary: "Services and the plugins behind them", resp: typ[client.ServiceList]()},
		{method: "POST", path: "/v1/services/{service}", handle: (*Server).invokeService, op: serviceOp},
		{method: "GET", path: "/v1/services/speech-to-text/live", handle: (*Server).speechToTextLive, op: func(*schemaGen) map[string]any {
			return map[string]any{"summary": "Live speech to text over a WebSocket: JSON config, then binary audio frames; answers JSON events",
				"responses": map[string]any{"101": map[string]any{"description": "switching to WebSocket"}}}
		}},

		{method: "GET", path: "/v1/models/recommended", handle: (*Server).recommendedModels, op: func(g *schemaGen) map[string]any {
			return recommendedPath(g.okFunc())["get"].(map[string]any)
		}},
		{method: "POST", path: "/v1/models/pull", handle: (*Server).pullModel, summary: "Pull a model; streams progress (first event: pull id; last: success or error)",
			body: typ[client.PullRequest](), stream: typ[client.ProgressEvent]()},
		{method: "POST", path: "/v1/models/push", handle: (*Server).pushModel, summary: "Push a model to its registry (manage scope); streams progress like a pull and is listed in GET /v1/pulls with kind push",
			body: typ[client.PushRequest](), stream: typ[client.ProgressEvent]()},
		{method: "POST", path: "/v1/models/create", handle: (*Server).createModel, summary: "Create a model (manage scope) from a base model (from), blobs uploaded with POST /api/blobs/{digest} (files: name → sha256:<hex>) or a model file on the host's machine (path); streams progress like a pull and is listed in GET /v1/pulls with kind create",
			body: typ[client.CreateRequest](), stream: typ[client.ProgressEvent]()},
		{method: "POST", path: "/v1/models/copy", handle: (*Server).copyModel, summary: "Give a model a second name (manage scope)", body: typ[client.CopyRequest](), resp: typ[statusAnswer]()},
		{method: "POST", path: "/v1/models/load", handle: (*Server).loadModel, summary: "Load a model", body: typ[client.ModelRequest](), resp: typ[statusAnswer]()},
		{method: "POST", path: "/v1/models/unload", handle: (*Server).unloadModel, summary: "Unload a model", body: typ[client.ModelRequest](), resp: typ[statusAnswer]()},
		{method: "DELETE", path: "/v1/models/{name...}", handle: (*Server).deleteModel, summary: "Delete a model (the name may contain slashes)", resp: typ[statusAnswer](),
			query: map[string]string{"plugin": "the plugin that has the model, when several could"}},
		{method: "GET", path: "/v1/pulls", handle: (*Server).listPulls, summary: "Pulls, pushes and creates in flight (kind says which; /api/pull pulls too)", resp: typ[client.PullList]()},
		{method: "GET", path: "/v1/pulls/{id}", handle: (*Server).watchPull, summary: "Watch a pull, push or create", stream: typ[client.ProgressEvent]()},
		{method: "DELETE", path: "/v1/pulls/{id}", handle: (*Server).cancelPull, summary: "Cancel a pull, push or create (manage scope)", resp: typ[client.PullSnapshot]()},

		{method: "GET", path: "/v1/engines", handle: (*Server).listEngines, summary: "Local engines", resp: typ[client.EngineList]()},
		{method: "POST", path: "/v1/engines/{plugin}/install", handle: (*Server).installEngine, summary: "Install a local plugin's engine (admin); streams progress",
			body: typ[sdk.InstallEngineRequest](), stream: typ[client.ProgressEvent]()},
		{method: "POST", path: "/v1/engines/{plugin}/upgrade", handle: (*Server).upgradeEngine, summary: "Upgrade a local plugin's engine (admin); streams progress",
			body: typ[sdk.InstallEngineRequest](), stream: typ[client.ProgressEvent]()},
		{method: "POST", path: "/v1/engines/{plugin}/start", handle: (*Server).startEngine, summary: "Start a local plugin's engine (admin)", resp: typ[sdk.EngineStatus]()},
		{method: "POST", path: "/v1/engines/{plugin}/stop", handle: (*Server).stopEngine, summary: "Stop a local plugin's engine (admin)", resp: typ[sdk.EngineStatus]()},

		{method: "GET", path: "/v1/routes", handle: (*Server).listRoutes, summary: "Routing: strategies per service and group, model groups with canary weights, fallbacks, and each target's breaker state and counts, health score and EWMA latency", resp: typ[client.RouteTable]()},

		{method: "GET", path: "/v1/usage", handle: (*Server).usageSummary, op: usageOp("/v1/usage")},
		{method: "GET", path: "/v1/usage/records", handle: (*Server).usageRecords, op: usageOp("/v1/usage/records")},
		{method: "GET", path: "/v1/budgets", handle: (*Server).budgets, op: usageOp("/v1/budgets")},
		{method: "GET", path: "/metrics", handle: (*Server).metrics, op: usageOp("/metrics")},

		{method: "GET", path: "/v1/providers", handle: (*Server).listProviders, summary: "Remote provider instances, keys masked (admin); error says why one is left out", resp: typ[providerList]()},
		{method: "POST", path: "/v1/providers", handle: (*Server).putProvider, summary: "Add or replace a provider instance (admin); checked by its plugin, saved (0600) and applied without restart",
			body: typ[providerBody](), resp: typ[providerView]()},
		{method: "DELETE", path: "/v1/providers/{name}", handle: (*Server).deleteProvider, summary: "Delete a provider added through the API (admin)", resp: typ[statusAnswer](),
			query: map[string]string{"plugin": "the plugin, when several have a provider of this name"}},
		{method: "POST", path: "/v1/providers/{name}/test", handle: (*Server).testProvider, summary: "Test a provider's connection and keys (admin)", resp: typ[sdk.ProviderTest](),
			query: map[string]string{"plugin": "the plugin, when several have a provider of this name"}},

		{method: "GET", path: "/v1/registries", handle: (*Server).listRegistries, summary: "Model registry hosts with saved credentials, secrets masked (admin)", resp: typ[client.RegistryList]()},
		{method: "PUT", path: "/v1/registries/{host}", handle: (*Server).putRegistry, summary: "Save the credentials of a registry host (admin; username and password, or token); with verify the host logs in to the registry first (insecure: over HTTP) and refused credentials answer 400 unsaved; saved 0600 and attached to pulls and pushes of models named host/...",
			body: typ[client.RegistryLogin](), resp: typ[client.Registry]()},
		{method: "DELETE", path: "/v1/registries/{host}", handle: (*Server).deleteRegistry, summary: "Forget the credentials of a registry host (admin)", status: http.StatusNoContent},

		pprofRoute("/debug/pprof/", pprof.Index),
		pprofRoute("/debug/pprof/cmdline", pprof.Cmdline),
		pprofRoute("/debug/pprof/profile", pprof.Profile),
		pprofRoute("/debug/pprof/symbol", pprof.Symbol),
		pprofRoute("/debug/pprof/trace", pprof.Trace),
	}, uploadRoutes()...)
}

// routes registers the native table, then the compatible surfaces (which
// follow their vendors' specifications and are documented there).
func (s *Server) routes() {
	for _, rt := range nativeRoutes() {
		handle := rt.handle
		s.mux.HandleFunc(rt.method+" "+rt.path, func(w http.ResponseWriter, r *http.Request) { handle(s, w, r) })
	}
	s.compatRoutes()
}

func installOp(g *schemaGen) map[string]any {
	return map[string]any{
		"summary": "Install a plugin (admin) from a directory or .tar.gz on the host's machine (JSON path), or an uploaded .tar.gz (Content-Type: application/gzip, ?sha256=); " +
			"the manifest is validated, the executable for this platform must be inside the plugin, sha256 (of the archive, or of the executable for a directory) and the manifest's are checked, " +
			"absolute paths, .. and links escaping the plugin are refused; installed atomically into the first plugin root",
		"parameters": []any{map[string]any{"name": "sha256", "in": "query", "schema": map[string]any{"type": "string"}, "description": "hex sha256 of an uploaded archive"}},
		"requestBody": map[string]any{"required": true, "content": map[string]any{
			"application/json": map[string]any{"schema": g.ref(typ[installBody]())},
			"application/gzip": map[string]any{"schema": map[string]any{"type": "string", "format": "binary"}}}},
		"responses": map[string]any{"201": map[string]any{"description": "installed", "content": map[string]any{"application/json": map[string]any{"schema": g.ref(typ[pluginView]())}}},
			"default": g.errResp()},
	}
}

func serviceOp(g *schemaGen) map[string]any {
	return map[string]any{
		"summary":     "Call a service by name; the body is the service's request (see /v1/services/<name> for each)",
		"parameters":  []any{map[string]any{"name": "service", "in": "path", "required": true, "schema": map[string]any{"type": "string", "enum": sdk.ServiceNames}}},
		"requestBody": map[string]any{"required": true, "content": map[string]any{"application/json": map[string]any{"schema": map[string]any{"type": "object"}}}},
		"responses":   map[string]any{"200": map[string]any{"description": "the service's result"}, "default": g.errResp()},
	}
}
