package api_test

import (
	"strings"
	"testing"

	"github.com/roundhouse-ai/roundhouse/host/config"
	"github.com/roundhouse-ai/roundhouse/internal/hosttest"
)

// Blob uploads are a third class: any content type, no JSON limit, one
// chunk against the in-flight bytes, capped by limits.max_blob_bytes.
func TestAdmissionBlobs(t *testing.T) {
	h := hosttest.Start(t, hosttest.Options{Mutate: func(c *config.Config) {
		c.Limits.MaxJSONBodyBytes = 1 << 10
		c.Limits.MaxBodyBytes = 4 << 10
		c.Limits.MaxInflightBodyBytes = 6 << 10
		c.Limits.MaxBlobBytes = 64 << 10
	}})
	d := "sha256:" + strings.Repeat("ab", 32)
	for _, ct := range []string{"application/octet-stream", ""} {
		resp, body := send(t, "POST", h.URL+"/api/blobs/"+d, strings.Repeat("x", 32<<10), "Content-Type", ct)
		if resp.StatusCode == 413 || resp.StatusCode == 415 || resp.StatusCode == 429 {
			t.Errorf("32 KiB blob (%q) refused by admission: %d %s", ct, resp.StatusCode, body)
		}
	}
	if resp, body := send(t, "POST", h.URL+"/api/blobs/"+d, strings.Repeat("x", 65<<10), "Content-Type", "application/octet-stream"); resp.StatusCode != 413 {
		t.Errorf("65 KiB blob over limits.max_blob_bytes: %d %s", resp.StatusCode, body)
	}
	// Other routes still want JSON.
	if resp, body := send(t, "POST", h.URL+"/api/create", `{"model":"x","from":"y"}`, "Content-Type", "application/octet-stream"); resp.StatusCode != 415 {
		t.Errorf("octet-stream to /api/create: %d %s", resp.StatusCode, body)
	}
}
