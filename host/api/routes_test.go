package api

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// Every route of the native table is registered on the mux and
// documented in openapi.json with a summary and an answer; GET
// /v1/providers is documented with its real shape ({providers: [...]}).
func TestEveryRouteDocumented(t *testing.T) {
	doc := buildOpenAPI()
	paths := doc["paths"].(map[string]any)
	s := &Server{mux: http.NewServeMux()}
	for _, rt := range nativeRoutes() {
		s.mux.HandleFunc(rt.method+" "+rt.path, func(http.ResponseWriter, *http.Request) {})
	}
	seen := map[string]bool{}
	for _, rt := range nativeRoutes() {
		key := rt.method + " " + rt.path
		if seen[key] {
			t.Errorf("route %s listed twice", key)
		}
		seen[key] = true
		item, _ := paths[openapiPath(rt.path)].(map[string]any)
		op, _ := item[strings.ToLower(rt.method)].(map[string]any)
		if op == nil {
			t.Errorf("%s is served but not in openapi.json", key)
			continue
		}
		if sum, _ := op["summary"].(string); sum == "" {
			t.Errorf("%s: no summary", key)
		}
		if _, ok := op["responses"].(map[string]any); !ok {
			t.Errorf("%s: no responses", key)
		}
		// The mux routes a request of this shape to this very pattern.
		url := strings.NewReplacer("{name...}", "a/b", "{name}", "x", "{plugin}", "x", "{id}", "x", "{service}", "chat").Replace(rt.path)
		if _, pattern := s.mux.Handler(httptest.NewRequest(rt.method, url, nil)); pattern != key {
			t.Errorf("%s %s reaches %q, want %q", rt.method, url, pattern, key)
		}
	}
	if len(seen) < 40 {
		t.Fatalf("only %d routes in the table", len(seen))
	}
	schemas := doc["components"].(map[string]any)["schemas"].(map[string]any)
	get := paths["/v1/providers"].(map[string]any)["get"].(map[string]any)
	ref := get["responses"].(map[string]any)["200"].(map[string]any)["content"].(map[string]any)["application/json"].(map[string]any)["schema"].(map[string]any)["$ref"].(string)
	list := schemas[strings.TrimPrefix(ref, "#/components/schemas/")].(map[string]any)
	if items, ok := list["properties"].(map[string]any)["providers"].(map[string]any); !ok || items["type"] != "array" {
		t.Fatalf("GET /v1/providers documented as %v", list)
	}
}
