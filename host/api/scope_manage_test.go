package api

import (
	"net/http/httptest"
	"testing"
)

// TestModelManagementRoutesAreManage: every route that changes local
// models, native or Ollama-compatible, needs the manage scope.
func TestModelManagementRoutesAreManage(t *testing.T) {
	for _, c := range []struct{ method, path string }{
		{"POST", "/v1/models/copy"}, {"POST", "/v1/models/create"}, {"POST", "/v1/models/push"},
		{"POST", "/v1/models/pull"}, {"DELETE", "/v1/pulls/abc"},
		{"HEAD", "/api/blobs/sha256:00"}, {"POST", "/api/blobs/sha256:00"},
		{"POST", "/api/copy"}, {"POST", "/api/create"}, {"POST", "/api/push"},
		{"POST", "/v1/uploads"}, {"HEAD", "/v1/uploads/x"}, {"GET", "/v1/uploads/x"}, {"PATCH", "/v1/uploads/x"},
		{"PUT", "/v1/uploads/x"}, {"DELETE", "/v1/uploads/x"},
	} {
		if got := routeScope(httptest.NewRequest(c.method, c.path, nil)); got != scopeManage {
			t.Errorf("%s %s: scope %d, want manage", c.method, c.path, got)
		}
	}
	for _, c := range []struct{ method, path string }{{"GET", "/v1/pulls"}, {"GET", "/v1/pulls/abc"}} {
		if got := routeScope(httptest.NewRequest(c.method, c.path, nil)); got != scopeInvoke {
			t.Errorf("%s %s: scope %d, want invoke", c.method, c.path, got)
		}
	}
}
