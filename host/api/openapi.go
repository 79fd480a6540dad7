package api

import (
	"encoding/json"
	"maps"
	"net/http"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/roundhouse-ai/roundhouse/client"
	"github.com/roundhouse-ai/roundhouse/host"
	"github.com/roundhouse-ai/roundhouse/sdk"
)

// The OpenAPI document of the native API is generated from the route
// table the mux is built from (routes.go) and from the Go types the
// handlers decode and encode; TestEveryRouteDocumented checks that every
// table route has an operation with a summary and answer.

var (
	openapiOnce sync.Once
	openapiDoc  []byte
	openapiErr  error
)

func (s *Server) openapi(w http.ResponseWriter, r *http.Request) {
	openapiOnce.Do(func() { openapiDoc, openapiErr = json.MarshalIndent(buildOpenAPI(), "", "  ") })
	if openapiErr != nil {
		writeError(w, r, s.log, sdk.WrapError(sdk.CodeInternal, openapiErr, "render openapi.json"))
		return
	}
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

func (g *schemaGen) errResp() map[string]any {
	return map[string]any{"description": "error", "content": map[string]any{"application/json": map[string]any{"schema": g.ref(reflect.TypeFor[client.ErrorBody]())}}}
}

func (g *schemaGen) okFunc() func(reflect.Type, string) map[string]any {
	return func(t reflect.Type, desc string) map[string]any {
		return map[string]any{"200": map[string]any{"description": desc, "content": map[string]any{"application/json": map[string]any{"schema": g.ref(t)}}}, "default": g.errResp()}
	}
}

// pathParam matches a mux wildcard: {name} or {name...}.
var pathParam = regexp.MustCompile(`\{([a-z_]+)(\.\.\.)?\}`)

// openapiPath is a mux path in OpenAPI syntax.
func openapiPath(p string) string { return pathParam.ReplaceAllString(p, "{$1}") }

// operation documents one table route.
func (g *schemaGen) operation(rt nativeRoute) map[string]any {
	if rt.op != nil {
		return rt.op(g)
	}
	op := map[string]any{"summary": rt.summary}
	var params []any
	for _, m := range pathParam.FindAllStringSubmatch(rt.path, -1) {
		params = append(params, map[string]any{"name": m[1], "in": "path", "required": true, "schema": map[string]any{"type": "string"}})
	}
	for _, name := range slices.Sorted(maps.Keys(rt.query)) {
		params = append(params, map[string]any{"name": name, "in": "query", "schema": map[string]any{"type": "string"}, "description": rt.query[name]})
	}
	if len(params) > 0 {
		op["parameters"] = params
	}
	if rt.body != nil {
		op["requestBody"] = map[string]any{"required": true, "content": map[string]any{"application/json": map[string]any{"schema": g.ref(rt.body)}}}
	}
	status := rt.status
	if status == 0 {
		status = http.StatusOK
	}
	code := strconv.Itoa(status)
	switch {
	case rt.stream != nil:
		sc := g.ref(rt.stream)
		op["responses"] = map[string]any{code: map[string]any{"description": "progress events", "content": map[string]any{
			"text/event-stream": map[string]any{"schema": sc}, "application/x-ndjson": map[string]any{"schema": sc}, "application/json": map[string]any{"schema": sc}}},
			"default": g.errResp()}
	case rt.resp != nil:
		op["responses"] = map[string]any{code: map[string]any{"description": "ok", "content": map[string]any{"application/json": map[string]any{"schema": g.ref(rt.resp)}}},
			"default": g.errResp()}
	default:
		op["responses"] = map[string]any{code: map[string]any{"description": "ok"}, "default": g.errResp()}
	}
	return op
}

func buildOpenAPI() map[string]any {
	g := &schemaGen{defs: map[string]any{}}
	errResp := g.errResp()
	ok := g.okFunc()
	paths := map[string]any{}
	for _, rt := range nativeRoutes() {
		p := openapiPath(rt.path)
		item, _ := paths[p].(map[string]any)
		if item == nil {
			item = map[string]any{}
			paths[p] = item
		}
		item[strings.ToLower(rt.method)] = g.operation(rt)
	}
	// Blob uploads belong to the Ollama-compatible surface but are how
	// POST /v1/models/create gets its files, so they are documented here.
	paths["/api/blobs/{digest}"] = map[string]any{
		"head": map[string]any{"summary": "Whether the local engine has a blob (Ollama-compatible; manage scope): 200 yes, 404 no. digest is sha256:<64 hex>",
			"responses": map[string]any{"200": map[string]any{"description": "present"}, "404": map[string]any{"description": "absent"}}},
		"post": map[string]any{"summary": "Upload a blob (Ollama-compatible; manage scope): the body is the file's bytes, streamed (any Content-Type, application/octet-stream preferred; limit limits.max_blob_bytes); the host checks it against digest. Then name it in files of POST /v1/models/create",
			"requestBody": map[string]any{"required": true, "content": map[string]any{"application/octet-stream": map[string]any{"schema": map[string]any{"type": "string", "format": "binary"}}}},
			"responses":   map[string]any{"201": map[string]any{"description": "created"}, "default": errResp}}}
	jsonBody := func(t reflect.Type) map[string]any {
		return map[string]any{"required": true, "content": map[string]any{"application/json": map[string]any{"schema": g.ref(t)}}}
	}
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
		{sdk.ServiceImageToImage, reflect.TypeFor[imageToImageBody](), reflect.TypeFor[sdk.ImageToImageResponse](), nil},
		{sdk.ServiceTextToSpeech, reflect.TypeFor[textToSpeechBody](), reflect.TypeFor[sdk.TextToSpeechResponse](), nil},
		{sdk.ServiceSpeechToText, reflect.TypeFor[speechToTextBody](), reflect.TypeFor[sdk.SpeechToTextResponse](), nil},
	}
	for _, sv := range services {
		op := map[string]any{
			"summary":     "Call the " + sv.name + " service; fields stream, policy (auto|local|remote) and provider (pin a plugin) route it",
			"requestBody": jsonBody(sv.req),
			"responses":   ok(sv.resp, sv.name+" result"),
		}
		if sv.chunk != nil {
			op["responses"].(map[string]any)["200"] = map[string]any{"description": "result; with stream=true one chunk per SSE event (NDJSON with Accept: application/x-ndjson)",
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
