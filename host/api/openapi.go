package api

import (
	"encoding/json"
	"net/http"
	"reflect"
	"strings"
	"sync"

	"github.com/roundhouse-ai/roundhouse/client"
	"github.com/roundhouse-ai/roundhouse/host"
	"github.com/roundhouse-ai/roundhouse/sdk"
)

// The OpenAPI document of the native API is generated from the Go types
// the handlers decode and encode, so it cannot drift from the code.

var (
	openapiOnce sync.Once
	openapiDoc  []byte
)

func (s *Server) openapi(w http.ResponseWriter, r *http.Request) {
	openapiOnce.Do(func() { openapiDoc, _ = json.MarshalIndent(buildOpenAPI(), "", "  ") })
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(openapiDoc)
}

type schemaGen struct{ defs map[string]any }

func (g *schemaGen) ref(t reflect.Type) map[string]any {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.String:
		return map[string]any{"type": "string"}
	case reflect.Bool:
		return map[string]any{"type": "boolean"}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64, reflect.Uint, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return map[string]any{"type": "integer"}
	case reflect.Float32, reflect.Float64:
		return map[string]any{"type": "number"}
	case reflect.Slice:
		if t.Elem().Kind() == reflect.Uint8 {
			return map[string]any{"type": "string", "format": "byte", "description": "base64"}
		}
		return map[string]any{"type": "array", "items": g.ref(t.Elem())}
	case reflect.Map:
		return map[string]any{"type": "object", "additionalProperties": g.ref(t.Elem())}
	case reflect.Interface:
		return map[string]any{}
	case reflect.Struct:
		if t.PkgPath() == "time" {
			return map[string]any{"type": "string", "format": "date-time"}
		}
		name := t.Name()
		if name == "" {
			return g.object(t)
		}
		if _, ok := g.defs[name]; !ok {
			g.defs[name] = nil // reserve: recursion
			g.defs[name] = g.object(t)
		}
		return map[string]any{"$ref": "#/components/schemas/" + name}
	}
	return map[string]any{}
}

func (g *schemaGen) object(t reflect.Type) map[string]any {
	props := map[string]any{}
	g.fields(t, props)
	return map[string]any{"type": "object", "properties": props}
}

func (g *schemaGen) fields(t reflect.Type, props map[string]any) {
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		if tag == "-" || (!f.IsExported() && !f.Anonymous) {
			continue
		}
		name, _, _ := strings.Cut(tag, ",")
		if f.Anonymous && name == "" {
			ft := f.Type
			if ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			g.fields(ft, props)
			continue
		}
		if name == "" {
			name = f.Name
		}
		props[name] = g.ref(f.Type)
	}
}

func buildOpenAPI() map[string]any {
	g := &schemaGen{defs: map[string]any{}}
	errResp := map[string]any{"description": "error", "content": map[string]any{"application/json": map[string]any{"schema": g.ref(reflect.TypeFor[client.ErrorBody]())}}}
	jsonBody := func(t reflect.Type) map[string]any {
		return map[string]any{"required": true, "content": map[string]any{"application/json": map[string]any{"schema": g.ref(t)}}}
	}
	ok := func(t reflect.Type, desc string) map[string]any {
		return map[string]any{"200": map[string]any{"description": desc, "content": map[string]any{"application/json": map[string]any{"schema": g.ref(t)}}}, "default": errResp}
	}
	stream := func(t reflect.Type, desc string) map[string]any {
		sc := g.ref(t)
		return map[string]any{"200": map[string]any{"description": desc, "content": map[string]any{
			"text/event-stream": map[string]any{"schema": sc}, "application/x-ndjson": map[string]any{"schema": sc}, "application/json": map[string]any{"schema": sc}}},
			"default": errResp}
	}
	paths := map[string]any{
		"/health":      map[string]any{"get": map[string]any{"summary": "Host health and plugin states", "responses": ok(reflect.TypeFor[client.HealthResponse](), "health")}},
		"/version":     map[string]any{"get": map[string]any{"summary": "Versions", "responses": ok(reflect.TypeFor[client.VersionResponse](), "versions")}},
		"/v1/plugins":  map[string]any{"get": map[string]any{"summary": "Plugins with state, pid, restarts", "responses": ok(reflect.TypeFor[client.PluginList](), "plugins")}},
		"/v1/services": map[string]any{"get": map[string]any{"summary": "Services and the plugins behind them", "responses": ok(reflect.TypeFor[client.ServiceList](), "services")}},
		"/v1/models/pull": map[string]any{"post": map[string]any{"summary": "Pull a model; streams progress (first event: pull id; last: success or error)",
			"requestBody": jsonBody(reflect.TypeFor[client.PullRequest]()), "responses": stream(reflect.TypeFor[client.ProgressEvent](), "progress events")}},
		"/v1/models/push": map[string]any{"post": map[string]any{"summary": "Push a model to its registry (manage scope); streams progress like a pull and is listed in GET /v1/pulls with kind push",
			"requestBody": jsonBody(reflect.TypeFor[client.PushRequest]()), "responses": stream(reflect.TypeFor[client.ProgressEvent](), "progress events")}},
		"/v1/models/create": map[string]any{"post": map[string]any{"summary": "Create a model (manage scope) from a base model (from), blobs uploaded with POST /api/blobs/{digest} (files: name → sha256:<hex>) or a model file on the host's machine (path); streams progress like a pull and is listed in GET /v1/pulls with kind create",
			"requestBody": jsonBody(reflect.TypeFor[client.CreateRequest]()), "responses": stream(reflect.TypeFor[client.ProgressEvent](), "progress events")}},
		"/v1/models/copy": map[string]any{"post": map[string]any{"summary": "Give a model a second name (manage scope)",
			"requestBody": jsonBody(reflect.TypeFor[client.CopyRequest]()), "responses": ok(reflect.TypeFor[map[string]string](), "copied")}},
		"/api/blobs/{digest}": map[string]any{
			"head": map[string]any{"summary": "Whether the local engine has a blob (Ollama-compatible; manage scope): 200 yes, 404 no. digest is sha256:<64 hex>",
				"responses": map[string]any{"200": map[string]any{"description": "present"}, "404": map[string]any{"description": "absent"}}},
			"post": map[string]any{"summary": "Upload a blob (Ollama-compatible; manage scope): the body is the file's bytes, streamed (any Content-Type, application/octet-stream preferred; limit limits.max_blob_bytes); the host checks it against digest. Then name it in files of POST /v1/models/create",
				"requestBody": map[string]any{"required": true, "content": map[string]any{"application/octet-stream": map[string]any{"schema": map[string]any{"type": "string", "format": "binary"}}}},
				"responses":   map[string]any{"201": map[string]any{"description": "created"}, "default": errResp}}},
		"/v1/models/load":   map[string]any{"post": map[string]any{"summary": "Load a model", "requestBody": jsonBody(reflect.TypeFor[client.ModelRequest]()), "responses": ok(reflect.TypeFor[map[string]string](), "loaded")}},
		"/v1/models/unload": map[string]any{"post": map[string]any{"summary": "Unload a model", "requestBody": jsonBody(reflect.TypeFor[client.ModelRequest]()), "responses": ok(reflect.TypeFor[map[string]string](), "unloaded")}},
		"/v1/models/{name}": map[string]any{"delete": map[string]any{"summary": "Delete a model (the name may contain slashes)", "responses": ok(reflect.TypeFor[map[string]string](), "deleted")}},
		"/v1/pulls":         map[string]any{"get": map[string]any{"summary": "Pulls, pushes and creates in flight (kind says which; /api/pull pulls too)", "responses": ok(reflect.TypeFor[client.PullList](), "pulls")}},
		"/v1/pulls/{id}": map[string]any{
			"get":    map[string]any{"summary": "Watch a pull, push or create", "responses": stream(reflect.TypeFor[client.ProgressEvent](), "progress events")},
			"delete": map[string]any{"summary": "Cancel a pull, push or create (manage scope)", "responses": ok(reflect.TypeFor[client.PullSnapshot](), "cancelled")}},
		"/v1/routes": map[string]any{"get": map[string]any{"summary": "Routing: strategies per service and group, model groups with canary weights, fallbacks, and each target's breaker state and counts, health score and EWMA latency",
			"responses": ok(reflect.TypeFor[client.RouteTable](), "routes")}},
		"/v1/engines": map[string]any{"get": map[string]any{"summary": "Local engines", "responses": ok(reflect.TypeFor[client.EngineList](), "engines")}},
		"/v1/engines/{plugin}/install": map[string]any{"post": map[string]any{"summary": "Install a local plugin's engine (admin); streams progress",
			"requestBody": jsonBody(reflect.TypeFor[sdk.InstallEngineRequest]()), "responses": stream(reflect.TypeFor[client.ProgressEvent](), "progress events")}},
		"/v1/providers": map[string]any{
			"get":  map[string]any{"summary": "Remote provider instances, keys masked (admin)", "responses": ok(reflect.TypeFor[map[string][]sdk.ProviderStatus](), "providers")},
			"post": map[string]any{"summary": "Add or replace a provider instance (admin); applies without restart", "requestBody": jsonBody(reflect.TypeFor[providerBody]()), "responses": ok(reflect.TypeFor[sdk.ProviderStatus](), "saved")}},
	}
	paths["/v1/models/recommended"] = recommendedPath(ok)
	usagePaths(paths, ok, errResp)
	services := []struct {
		name      string
		req, resp reflect.Type
		chunk     reflect.Type
	}{
		{sdk.ServiceChat, reflect.TypeFor[chatBody](), reflect.TypeFor[sdk.ChatResponse](), reflect.TypeFor[sdk.ChatChunk]()},
		{sdk.ServiceGenerate, reflect.TypeFor[generateBody](), reflect.TypeFor[sdk.GenerateResponse](), reflect.TypeFor[sdk.GenerateChunk]()},
		{sdk.ServiceEmbed, reflect.TypeFor[embedBody](), reflect.TypeFor[sdk.EmbedResponse](), nil},
		{sdk.ServiceRerank, reflect.TypeFor[rerankBody](), reflect.TypeFor[sdk.RerankResponse](), nil},
		{sdk.ServiceTextToImage, reflect.TypeFor[textToImageBody](), reflect.TypeFor[sdk.TextToImageResponse](), nil},
		{sdk.ServiceTextToSpeech, reflect.TypeFor[textToSpeechBody](), reflect.TypeFor[sdk.TextToSpeechResponse](), nil},
		{sdk.ServiceSpeechToText, reflect.TypeFor[speechToTextBody](), reflect.TypeFor[sdk.SpeechToTextResponse](), nil},
	}
	str := map[string]any{"schema": map[string]any{"type": "string"}}
	answerHeaders := map[string]any{
		"X-Roundhouse-Plugin":   map[string]any{"description": "the plugin that answered", "schema": str["schema"]},
		"X-Roundhouse-Provider": map[string]any{"description": "the provider instance that answered (remote plugins; empty for local ones)", "schema": str["schema"]},
		"X-Roundhouse-Model":    map[string]any{"description": "the model that answered", "schema": str["schema"]},
		"X-Request-Id":          map[string]any{"description": "the request's id: the client's X-Request-Id when sent, else a new one; also in host and plugin logs", "schema": str["schema"]},
	}
	routeHeaders := []any{
		map[string]any{"name": "X-Roundhouse-Plugin", "in": "header", "description": "pin a plugin (the body's plugin field wins)", "schema": str["schema"]},
		map[string]any{"name": "X-Roundhouse-Provider", "in": "header", "description": "pin a provider instance (the body's provider field wins)", "schema": str["schema"]},
		map[string]any{"name": "X-Roundhouse-Policy", "in": "header", "description": "auto | local | remote (the body's policy field wins)", "schema": str["schema"]},
		map[string]any{"name": "Idempotency-Key", "in": "header", "description": "identical non-stream requests with the same key share one answer, in flight and for routing.idempotency_ttl", "schema": str["schema"]},
		map[string]any{"name": "X-Request-Id", "in": "header", "description": "kept as the request's id (1-128 printable ASCII)", "schema": str["schema"]},
	}
	for _, sv := range services {
		op := map[string]any{
			"summary": "Call the " + sv.name + " service; fields stream, policy (auto|local|remote), plugin and provider route it, " +
				"as do a \"<plugin>/\" or \"<plugin>:<provider>/\" model prefix and a model group name; the unary answer carries a route object (who answered)",
			"parameters":  routeHeaders,
			"requestBody": jsonBody(sv.req),
			"responses":   ok(sv.resp, sv.name+" result"),
		}
		op["responses"].(map[string]any)["200"].(map[string]any)["headers"] = answerHeaders
		if sv.chunk != nil {
			op["responses"].(map[string]any)["200"] = map[string]any{"description": "result; with stream=true one chunk per SSE event (NDJSON with Accept: application/x-ndjson)",
				"headers": answerHeaders,
				"content": map[string]any{"application/json": map[string]any{"schema": g.ref(sv.resp)},
					"text/event-stream": map[string]any{"schema": g.ref(sv.chunk)}, "application/x-ndjson": map[string]any{"schema": g.ref(sv.chunk)}}}
		}
		paths["/v1/services/"+sv.name] = map[string]any{"post": op}
	}
	return map[string]any{
		"openapi": "3.1.0",
		"info": map[string]any{"title": "Roundhouse native API", "version": host.Version,
			"description": "Services by name, plugins, models, pulls, engines and providers. OpenAI-, Ollama- and Anthropic-compatible routes are served beside these and follow their vendors' specifications."},
		"servers":    []any{map[string]any{"url": "http://127.0.0.1:7700"}},
		"paths":      paths,
		"components": map[string]any{"schemas": g.defs},
	}
}
