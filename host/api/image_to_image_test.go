package api_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/roundhouse-ai/roundhouse/internal/hosttest"
)

// The image-to-image routes (native JSON and OpenAI's multipart
// images/edits) are refused cross-site like every other state-changing
// route, a multipart body being what a page's form can post without a
// preflight; from a program they reach their handlers, which check the
// body and name the field at fault.
func TestImageToImageRoutes(t *testing.T) {
	h := hosttest.Start(t, hosttest.Options{})
	const form = "--b\r\nContent-Disposition: form-data; name=\"prompt\"\r\n\r\nx\r\n--b--\r\n"
	for _, c := range []struct{ path, body, ctype string }{
		{"/v1/services/image-to-image", `{"prompt":"x","image":"iVBORw0KGgo="}`, "text/plain"},
		{"/v1/images/edits", form, "multipart/form-data; boundary=b"},
	} {
		for _, hdr := range [][]string{
			{"Content-Type", c.ctype, "Origin", "http://127.0.0.1:8081", "Sec-Fetch-Site", "same-site"},
			{"Content-Type", c.ctype, "Sec-Fetch-Site", "cross-site"},
		} {
			if resp, body := send(t, "POST", h.URL+c.path, c.body, hdr...); resp.StatusCode != http.StatusForbidden {
				t.Errorf("POST %s with %v: %d %s, want 403", c.path, hdr, resp.StatusCode, body)
			}
		}
	}
	for _, c := range []struct{ path, body, ctype, field string }{
		{"/v1/services/image-to-image", `{"prompt":"make it blue"}`, "application/json", `"field":"image"`},
		{"/v1/services/image-to-image", `{"image":"iVBORw0KGgo="}`, "application/json", `"field":"prompt"`},
		{"/v1/services/image-to-image", `{"prompt":"x","image":"iVBORw0KGgo=","strength":2}`, "application/json", `"field":"strength"`},
		{"/v1/images/edits", form, "multipart/form-data; boundary=b", `"param":"image"`},
	} {
		resp, body := send(t, "POST", h.URL+c.path, c.body, "Content-Type", c.ctype)
		if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, c.field) {
			t.Errorf("POST %s %s: %d %s, want 400 naming %s", c.path, c.body, resp.StatusCode, body, c.field)
		}
	}
	// A valid request finds no plugin with the service (the echo test
	// plugin has none): the answer says so rather than 404ing the route.
	resp, body := send(t, "POST", h.URL+"/v1/services/image-to-image", `{"prompt":"x","image":"iVBORw0KGgo="}`,
		"Content-Type", "application/json")
	if resp.StatusCode == http.StatusNotFound && strings.Contains(body, "unknown service") || resp.StatusCode == 200 {
		t.Fatalf("valid request: %d %s", resp.StatusCode, body)
	}
	if resp, body := send(t, "GET", h.URL+"/v1/openapi.json", ""); !strings.Contains(body, "/v1/services/image-to-image") {
		t.Errorf("OpenAPI (%d) lacks the image-to-image service", resp.StatusCode)
	}
}
