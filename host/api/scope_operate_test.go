package api

import (
	"net/http/httptest"
	"testing"
)

// Plugin management, reload and the effective config are admin routes.
func TestOperateRoutesAreAdmin(t *testing.T) {
	for _, c := range []struct{ method, path string }{
		{"POST", "/v1/plugins/install"}, {"POST", "/v1/plugins/echo/enable"}, {"POST", "/v1/plugins/echo/disable"},
		{"POST", "/v1/plugins/echo/restart"}, {"DELETE", "/v1/plugins/echo"},
		{"POST", "/v1/reload"}, {"GET", "/v1/config"},
	} {
		if got := routeScope(httptest.NewRequest(c.method, c.path, nil)); got != scopeAdmin {
			t.Errorf("%s %s: scope %d, want admin", c.method, c.path, got)
		}
	}
	if got := routeScope(httptest.NewRequest("GET", "/v1/inventory", nil)); got != scopeInvoke {
		t.Errorf("GET /v1/inventory: scope %d, want invoke", got)
	}
}
