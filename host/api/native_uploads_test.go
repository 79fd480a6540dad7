package api_test

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/roundhouse-ai/roundhouse/client"
	"github.com/roundhouse-ai/roundhouse/host/config"
	"github.com/roundhouse-ai/roundhouse/internal/hosttest"
)

func errField(t *testing.T, body string) (field, msg string) {
	t.Helper()
	var eb client.ErrorBody
	if err := json.Unmarshal([]byte(body), &eb); err != nil {
		t.Fatalf("not a JSON error: %q", body)
	}
	return eb.Error.Field, eb.Error.Message
}

func newUpload(t *testing.T, url string, hdr ...string) client.UploadSession {
	t.Helper()
	resp, body := send(t, "POST", url+"/v1/uploads", "", hdr...)
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("POST /v1/uploads: %d %s", resp.StatusCode, body)
	}
	var s client.UploadSession
	if err := json.Unmarshal([]byte(body), &s); err != nil || s.ID == "" || s.Offset != 0 || s.ExpiresAt.IsZero() {
		t.Fatalf("session %q: %v", body, err)
	}
	if loc := resp.Header.Get("Location"); loc != "/v1/uploads/"+s.ID {
		t.Fatalf("Location %q", loc)
	}
	return s
}

// The session routes end to end on the real HTTP stack: create, append,
// offset checks, digest check, delete; bad input is a 4xx naming the
// field.
func TestUploadSessionRoutes(t *testing.T) {
	h := hosttest.Start(t, hosttest.Options{})
	s := newUpload(t, h.URL)
	u := h.URL + "/v1/uploads/" + s.ID
	if fi, err := os.Stat(filepath.Join(h.DataDir, "uploads")); err != nil || fi.Mode().Perm() != 0o700 {
		t.Fatalf("uploads dir: %v %v", fi.Mode(), err)
	}
	octet := []string{"Content-Type", "application/octet-stream"}
	for _, c := range []struct {
		name, body, field string
		hdr               []string
		status            int
	}{
		{"no Content-Type", "hello", "Content-Type", []string{"Upload-Offset", "0"}, 415},
		{"JSON Content-Type", "hello", "Content-Type", []string{"Upload-Offset", "0", "Content-Type", "application/json"}, 415},
		{"no Upload-Offset", "hello", "Upload-Offset", octet, 400},
		{"bad Upload-Offset", "hello", "Upload-Offset", append([]string{"Upload-Offset", "-3"}, octet...), 400},
	} {
		resp, body := send(t, "PATCH", u, c.body, c.hdr...)
		if f, _ := errField(t, body); resp.StatusCode != c.status || f != c.field {
			t.Errorf("%s: %d %s", c.name, resp.StatusCode, body)
		}
	}
	resp, body := send(t, "PATCH", u, "hello ", append([]string{"Upload-Offset", "0"}, octet...)...)
	if resp.StatusCode != 204 || resp.Header.Get("Upload-Offset") != "6" {
		t.Fatalf("PATCH: %d %v %s", resp.StatusCode, resp.Header, body)
	}
	// A PATCH at a stale offset: 409 naming Upload-Offset, with the offset.
	resp, body = send(t, "PATCH", u, "world", append([]string{"Upload-Offset", "0"}, octet...)...)
	if f, msg := errField(t, body); resp.StatusCode != 409 || f != "Upload-Offset" || !strings.Contains(msg, "offset 6") || resp.Header.Get("Upload-Offset") != "6" {
		t.Fatalf("stale PATCH: %d %v %s", resp.StatusCode, resp.Header, body)
	}
	resp, body = send(t, "PATCH", u, "world", append([]string{"Upload-Offset", "6"}, "Content-Type", "application/offset+octet-stream")...)
	if resp.StatusCode != 204 || resp.Header.Get("Upload-Offset") != "11" {
		t.Fatalf("PATCH (tus type): %d %s", resp.StatusCode, body)
	}
	if resp, _ := send(t, "HEAD", u, ""); resp.StatusCode != 204 || resp.Header.Get("Upload-Offset") != "11" || resp.Header.Get("Cache-Control") != "no-store" {
		t.Fatalf("HEAD: %d %v", resp.StatusCode, resp.Header)
	}
	resp, body = send(t, "GET", u, "")
	var got client.UploadSession
	if json.Unmarshal([]byte(body), &got); resp.StatusCode != 200 || got.Offset != 11 || got.ID != s.ID {
		t.Fatalf("GET: %d %s", resp.StatusCode, body)
	}

	sum := sha256.Sum256([]byte("hello world"))
	digest := "sha256:" + hex.EncodeToString(sum[:])
	for _, q := range []string{"", "?digest=", "?digest=md5:abc", "?digest=sha256:" + strings.Repeat("0", 64)} {
		resp, body := send(t, "PUT", u+q, "")
		if f, _ := errField(t, body); resp.StatusCode != 400 || f != "digest" {
			t.Errorf("PUT %q: %d %s", q, resp.StatusCode, body)
		}
	}
	if resp, _ := send(t, "HEAD", u, ""); resp.StatusCode != 204 {
		t.Fatalf("session gone after a digest mismatch: %d", resp.StatusCode)
	}
	// The digest matches; the echo plugin has no blob store, so the
	// engine's refusal is the answer and the session is kept for a retry.
	resp, body = send(t, "PUT", u+"?digest="+digest, "")
	if resp.StatusCode < 400 || resp.StatusCode == 400 && strings.Contains(body, `"digest"`) {
		t.Fatalf("PUT to a plugin without blobs: %d %s", resp.StatusCode, body)
	}
	if resp, _ := send(t, "HEAD", u, ""); resp.StatusCode != 204 {
		t.Fatalf("session gone after the engine refused: %d", resp.StatusCode)
	}

	if resp, body := send(t, "DELETE", u, ""); resp.StatusCode != 204 {
		t.Fatalf("DELETE: %d %s", resp.StatusCode, body)
	}
	for _, m := range []string{"HEAD", "GET", "DELETE"} {
		if resp, _ := send(t, m, u, ""); resp.StatusCode != 404 {
			t.Errorf("%s after DELETE: %d", m, resp.StatusCode)
		}
	}
	for _, bad := range []string{"..%2f..%2fetc", "x", strings.Repeat("A", 32)} {
		resp, body := send(t, "PATCH", h.URL+"/v1/uploads/"+bad, "x", append([]string{"Upload-Offset", "0"}, octet...)...)
		if f, _ := errField(t, body); resp.StatusCode != 404 || f != "id" {
			t.Errorf("PATCH id %q: %d %s", bad, resp.StatusCode, body)
		}
	}
	if ents, _ := os.ReadDir(filepath.Join(h.DataDir, "uploads")); len(ents) != 0 {
		t.Fatalf("files left: %v", ents)
	}
}

// limits.max_blob_bytes caps the whole blob across PATCHes.
func TestUploadSessionSizeCap(t *testing.T) {
	h := hosttest.Start(t, hosttest.Options{Mutate: func(c *config.Config) { c.Limits.MaxBlobBytes = 1000 }})
	s := newUpload(t, h.URL)
	u := h.URL + "/v1/uploads/" + s.ID
	patch := func(off, n int) (*http.Response, string) {
		return send(t, "PATCH", u, strings.Repeat("x", n), "Upload-Offset", strconv.Itoa(off), "Content-Type", "application/octet-stream")
	}
	if resp, body := patch(0, 1001); resp.StatusCode != 413 {
		t.Fatalf("1001 bytes: %d %s", resp.StatusCode, body)
	}
	if resp, body := patch(0, 600); resp.StatusCode != 204 {
		t.Fatalf("600 bytes: %d %s", resp.StatusCode, body)
	}
	if resp, body := patch(600, 401); resp.StatusCode != 413 {
		t.Fatalf("600+401 bytes: %d %s", resp.StatusCode, body)
	} else if f, _ := errField(t, body); f != "body" {
		t.Fatalf("413 names %q", f)
	}
	if resp, body := patch(600, 400); resp.StatusCode != 204 || resp.Header.Get("Upload-Offset") != "1000" {
		t.Fatalf("600+400 bytes: %d %s", resp.StatusCode, body)
	}
}

// Sessions need the manage scope: with API keys on, an invoke key is
// refused on every route and an admin key works.
func TestUploadSessionScope(t *testing.T) {
	sum := func(k string) string { s := sha256.Sum256([]byte(k)); return hex.EncodeToString(s[:]) }
	h := hosttest.Start(t, hosttest.Options{Mutate: func(c *config.Config) {
		c.APIKeys = []config.APIKey{{Name: "app", SHA256: sum("invoke-key")}, {Name: "ops", SHA256: sum("admin-key"), Scopes: []string{"admin"}}}
	}})
	s := newUpload(t, h.URL, "Authorization", "Bearer admin-key")
	u := h.URL + "/v1/uploads/" + s.ID
	for _, c := range []struct{ method, path string }{
		{"POST", "/v1/uploads"}, {"HEAD", u}, {"GET", u}, {"PATCH", u}, {"PUT", u + "?digest=sha256:" + strings.Repeat("0", 64)}, {"DELETE", u},
	} {
		path := c.path
		if !strings.HasPrefix(path, "http") {
			path = h.URL + path
		}
		for key, want := range map[string]int{"": 401, "invoke-key": 403} {
			hdr := []string{"Content-Type", "application/octet-stream", "Upload-Offset", "0"}
			if key != "" {
				hdr = append(hdr, "Authorization", "Bearer "+key)
			}
			if resp, body := send(t, c.method, path, "x", hdr...); resp.StatusCode != want {
				t.Errorf("%s %s with key %q: %d %s, want %d", c.method, c.path, key, resp.StatusCode, body, want)
			}
		}
	}
	resp, _ := send(t, "PATCH", u, "x", "Content-Type", "application/octet-stream", "Upload-Offset", "0", "Authorization", "Bearer admin-key")
	if resp.StatusCode != 204 {
		t.Fatalf("PATCH with the admin key: %d", resp.StatusCode)
	}
}

// A web page cannot start, feed, finish or delete an upload: a foreign
// Origin (even one allowed through "*"), or Sec-Fetch-Site alone, is
// refused before the handler, and nothing reaches the store.
func TestUploadSessionsRefusedCrossSite(t *testing.T) {
	h := hosttest.Start(t, hosttest.Options{Mutate: func(c *config.Config) { c.AllowedOrigins = []string{"*"} }})
	s := newUpload(t, h.URL)
	u := "/v1/uploads/" + s.ID
	for _, c := range []struct{ method, path, body, ctype string }{
		{"POST", "/v1/uploads", "", ""},
		{"POST", "/v1/uploads", "{}", "text/plain"},
		{"PATCH", u, "GGUF", "application/octet-stream"},
		{"PATCH", u, "GGUF", "text/plain"},
		{"PUT", u + "?digest=sha256:" + strings.Repeat("0", 64), "", ""},
		{"DELETE", u, "", ""},
		{"GET", u, "", ""},
		{"HEAD", u, "", ""},
	} {
		hdrs := [][]string{
			{"Content-Type", c.ctype, "Upload-Offset", "0", "Origin", "http://127.0.0.1:8081", "Sec-Fetch-Site", "same-site"},
			{"Content-Type", c.ctype, "Upload-Offset", "0", "Origin", "https://evil.example"},
		}
		if c.method != "GET" && c.method != "HEAD" {
			hdrs = append(hdrs, []string{"Content-Type", c.ctype, "Upload-Offset", "0", "Sec-Fetch-Site", "cross-site"})
		}
		for _, hdr := range hdrs {
			if resp, body := send(t, c.method, h.URL+c.path, c.body, hdr...); resp.StatusCode != http.StatusForbidden {
				t.Errorf("%s %s with %v: %d %s, want 403", c.method, c.path, hdr, resp.StatusCode, body)
			}
		}
	}
	resp, body := send(t, "GET", h.URL+u, "")
	var got client.UploadSession
	if json.Unmarshal([]byte(body), &got); resp.StatusCode != 200 || got.Offset != 0 {
		t.Fatalf("session after the cross-site attempts: %d %s", resp.StatusCode, body)
	}
	if ents, _ := os.ReadDir(filepath.Join(h.DataDir, "uploads")); len(ents) != 2 { // one session: .data + .json
		t.Fatalf("sessions on disk: %v", ents)
	}
}

// A session outlives its host: a second host over the same data dir (a
// restart) answers the offset the first recorded, takes the rest, and
// checks the digest of the whole, with no re-read of the staged bytes.
func TestUploadSessionSurvivesHostRestart(t *testing.T) {
	dir := t.TempDir()
	same := func(c *config.Config) { c.DataDir = dir }
	first := hosttest.Start(t, hosttest.Options{Mutate: same})
	s := newUpload(t, first.URL)
	data := strings.Repeat("0123456789abcdef", 50_000)
	resp, body := send(t, "PATCH", first.URL+"/v1/uploads/"+s.ID, data[:300_001], "Upload-Offset", "0", "Content-Type", "application/octet-stream")
	if resp.StatusCode != 204 {
		t.Fatalf("PATCH on the first host: %d %s", resp.StatusCode, body)
	}
	first.Server.Close()

	second := hosttest.Start(t, hosttest.Options{Mutate: same})
	u := second.URL + "/v1/uploads/" + s.ID
	if resp, _ := send(t, "HEAD", u, ""); resp.StatusCode != 204 || resp.Header.Get("Upload-Offset") != "300001" {
		t.Fatalf("HEAD after the restart: %d %v", resp.StatusCode, resp.Header)
	}
	resp, body = send(t, "PATCH", u, data[300_001:], "Upload-Offset", "300001", "Content-Type", "application/octet-stream")
	if resp.StatusCode != 204 || resp.Header.Get("Upload-Offset") != strconv.Itoa(len(data)) {
		t.Fatalf("PATCH after the restart: %d %s", resp.StatusCode, body)
	}
	// The digest check passes (the engine, the echo plugin without a blob
	// store, then refuses it: not a digest error).
	sum := sha256.Sum256([]byte(data))
	resp, body = send(t, "PUT", u+"?digest=sha256:"+hex.EncodeToString(sum[:]), "")
	if f, _ := errField(t, body); resp.StatusCode < 400 || f == "digest" {
		t.Fatalf("PUT after the restart: %d %s", resp.StatusCode, body)
	}
	wrong := sha256.Sum256([]byte(data[:300_001]))
	resp, body = send(t, "PUT", u+"?digest=sha256:"+hex.EncodeToString(wrong[:]), "")
	if f, _ := errField(t, body); resp.StatusCode != 400 || f != "digest" {
		t.Fatalf("PUT with the prefix's digest: %d %s", resp.StatusCode, body)
	}
}

// A host whose session store could not open (here <data_dir>/uploads is
// a file) has no resumable uploads for as long as it runs: 501, not a
// retryable 503, so a client falls back to POST /api/blobs/{digest}
// instead of retrying a host that will never have them.
func TestUploadSessionsOffAreUnimplemented(t *testing.T) {
	h := hosttest.Start(t, hosttest.Options{Mutate: func(c *config.Config) {
		if err := os.WriteFile(filepath.Join(c.DataDir, "uploads"), nil, 0o600); err != nil {
			t.Fatal(err)
		}
	}})
	resp, body := send(t, "POST", h.URL+"/v1/uploads", "")
	var eb client.ErrorBody
	if err := json.Unmarshal([]byte(body), &eb); err != nil || resp.StatusCode != http.StatusNotImplemented ||
		eb.Error.Code != "unimplemented" || !strings.Contains(eb.Error.Message, "POST /api/blobs/{digest}") {
		t.Fatalf("POST /v1/uploads with sessions off: %d %s", resp.StatusCode, body)
	}
}
