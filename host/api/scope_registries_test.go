package api

import (
	"net/http/httptest"
	"testing"
)

// Registry credentials are admin routes, whatever the method.
func TestRegistryRoutesAreAdmin(t *testing.T) {
	for _, c := range []struct{ method, path string }{
		{"GET", "/v1/registries"}, {"PUT", "/v1/registries/reg.example"}, {"DELETE", "/v1/registries/127.0.0.1:5000"},
	} {
		if got := routeScope(httptest.NewRequest(c.method, c.path, nil)); got != scopeAdmin {
			t.Errorf("%s %s: scope %d, want admin", c.method, c.path, got)
		}
	}
	if got := routeScope(httptest.NewRequest("GET", "/v1/registriesx", nil)); got == scopeAdmin {
		t.Errorf("GET /v1/registriesx is admin: the prefix must end at a path boundary")
	}
}
