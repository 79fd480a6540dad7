package ollama

import (
	"crypto/sha256"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/roundhouse-ai/roundhouse/host/compat/compattest"
	"github.com/roundhouse-ai/roundhouse/sdk"
)

func TestHandlerBlobsCreatePush(t *testing.T) {
	fb := compattest.New()
	w := compattest.Wire(fb) // through a real plugin boundary
	defer w.Close()
	mux := http.NewServeMux()
	Register(mux, w, Options{})
	srv := newTestServer(t, mux)

	body := strings.Repeat("gguf bytes ", 300000) // > 3 MiB: several chunks
	d := fmt.Sprintf("sha256:%x", sha256.Sum256([]byte(body)))
	if resp, _ := do(t, http.MethodHead, srv+"/api/blobs/"+d, ""); resp.StatusCode != 404 {
		t.Fatalf("head before upload %d", resp.StatusCode)
	}
	if resp, b := do(t, http.MethodPost, srv+"/api/blobs/"+d, body); resp.StatusCode != 201 || len(b) != 0 {
		t.Fatalf("upload %d %s", resp.StatusCode, b)
	}
	if resp, _ := do(t, http.MethodHead, srv+"/api/blobs/"+d, ""); resp.StatusCode != 200 {
		t.Fatalf("head after upload %d", resp.StatusCode)
	}
	if resp, _ := do(t, http.MethodPost, srv+"/api/blobs/"+d, body); resp.StatusCode != 200 {
		t.Fatalf("second upload %d", resp.StatusCode)
	}
	other := fmt.Sprintf("sha256:%x", sha256.Sum256([]byte("other")))
	if resp, b := do(t, http.MethodPost, srv+"/api/blobs/"+other, "not it"); resp.StatusCode != 400 || !strings.Contains(errorOf(t, b), "digest") {
		t.Fatalf("mismatch %d %s", resp.StatusCode, b)
	}
	for _, bad := range []string{"sha256:abc", "md5:" + strings.Repeat("0", 64), "sha256:" + strings.Repeat("g", 64)} {
		if resp, b := do(t, http.MethodPost, srv+"/api/blobs/"+bad, "x"); resp.StatusCode != 400 || errorOf(t, b) != "invalid digest format" {
			t.Fatalf("%s: %d %s", bad, resp.StatusCode, b)
		}
	}

	// Create from the blob: Ollama's NDJSON progress, success last.
	resp, b := do(t, http.MethodPost, srv+"/api/create", `{"model":"mine","files":{"m.gguf":"`+d+`"},"template":"{{ .Prompt }}",
		"system":"hi","parameters":{"temperature":0.5,"stop":["x"]},"license":["MIT","Apache"]}`)
	ls := lines(b)
	if resp.StatusCode != 200 || ls[0] != `{"status":"parsing GGUF"}` || ls[len(ls)-1] != `{"status":"success"}` {
		t.Fatalf("create %d %q", resp.StatusCode, ls)
	}
	cr := fb.Last("CreateModel").Req.(*sdk.CreateRequest)
	if cr.Model != "mine" || cr.Files["m.gguf"] != d || cr.System != "hi" || cr.Parameters["temperature"] != 0.5 ||
		len(cr.License) != 2 || cr.Template != "{{ .Prompt }}" {
		t.Fatalf("create reached the backend as %+v", cr)
	}
	if resp, b := do(t, http.MethodPost, srv+"/api/create", `{"model":"mine","license":"MIT","from":"llama3.2","stream":false}`); resp.StatusCode != 200 || string(b) != "{\"status\":\"success\"}\n" {
		t.Fatalf("create unary %d %q", resp.StatusCode, b)
	}
	if resp, b := do(t, http.MethodPost, srv+"/api/create", `{"model":"mine","files":{"m.gguf":"`+other+`"}}`); resp.StatusCode != 400 || !strings.Contains(errorOf(t, b), "not found") {
		t.Fatalf("create from a missing blob %d %s", resp.StatusCode, b)
	}
	for _, bad := range []string{`{"files":{"m.gguf":"` + d + `"}}`, `{"model":"m"}`, `{"model":"../x","from":"a"}`, `{"model":"m","from":"a","license":3}`} {
		if resp, b := do(t, http.MethodPost, srv+"/api/create", bad); resp.StatusCode != 400 {
			t.Fatalf("%s: %d %s", bad, resp.StatusCode, b)
		}
	}

	// Push: "uploading" becomes Ollama's "pushing <12 hex>".
	resp, b = do(t, http.MethodPost, srv+"/api/push", `{"model":"llama3.2","insecure":true}`)
	ls = lines(b)
	if resp.StatusCode != 200 || len(ls) != 4 || !strings.HasPrefix(ls[1], `{"status":"pushing aaaa","digest":"sha256:aaaa"`) || ls[3] != `{"status":"success"}` {
		t.Fatalf("push %d %q", resp.StatusCode, ls)
	}
	if !fb.Last("PushModel").Req.(*sdk.PushRequest).Insecure {
		t.Fatal("insecure lost")
	}
}

func newTestServer(t *testing.T, h http.Handler) string {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv.URL
}
