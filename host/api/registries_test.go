package api_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/roundhouse-ai/roundhouse/host/config"
	"github.com/roundhouse-ai/roundhouse/internal/hosttest"
)

// The registry credential routes change secrets: refused cross-site like
// every other state-changing route, and nothing is saved.
func TestRegistryRoutesRefusedCrossSite(t *testing.T) {
	h := hosttest.Start(t, hosttest.Options{})
	for _, c := range []struct{ method, path, body, ctype string }{
		{"PUT", "/v1/registries/reg.example", `{"username":"me","password":"pw"}`, "text/plain"},
		{"PUT", "/v1/registries/reg.example", `{"username":"me","password":"pw"}`, "application/json"},
		{"DELETE", "/v1/registries/reg.example", "", "text/plain"},
	} {
		for _, hdr := range [][]string{
			{"Content-Type", c.ctype, "Origin", "http://127.0.0.1:8081", "Sec-Fetch-Site", "same-site"},
			{"Content-Type", c.ctype, "Sec-Fetch-Site", "cross-site"},
		} {
			if resp, body := send(t, c.method, h.URL+c.path, c.body, hdr...); resp.StatusCode != http.StatusForbidden {
				t.Errorf("%s %s with %v: %d %s, want 403", c.method, c.path, hdr, resp.StatusCode, body)
			}
		}
	}
	if _, body := send(t, "GET", h.URL+"/v1/registries", ""); !strings.Contains(body, `"registries":[]`) {
		t.Fatalf("a refused request saved credentials: %s", body)
	}
	if _, err := os.Stat(filepath.Join(h.DataDir, "registries.yaml")); !os.IsNotExist(err) {
		t.Fatalf("a refused request wrote the store: %v", err)
	}
}

// Registry credentials are admin-only when keys are on.
func TestRegistryRoutesNeedAdmin(t *testing.T) {
	h := hosttest.Start(t, hosttest.Options{Mutate: func(c *config.Config) {
		c.APIKeys = []config.APIKey{keyEntry("app", "rh-app-key"), keyEntry("ops", "rh-ops-key", "admin")}
	}})
	for _, c := range []struct {
		method, path, body, key string
		want                    int
	}{
		{"GET", "/v1/registries", "", "rh-app-key", 403},
		{"PUT", "/v1/registries/reg.example", `{"token":"tok"}`, "rh-app-key", 403},
		{"DELETE", "/v1/registries/reg.example", "", "rh-app-key", 403},
		{"PUT", "/v1/registries/reg.example", `{"token":"tok"}`, "", 401},
		{"PUT", "/v1/registries/reg.example", `{"token":"tok"}`, "rh-ops-key", 200},
		{"GET", "/v1/registries", "", "rh-ops-key", 200},
		{"DELETE", "/v1/registries/reg.example", "", "rh-ops-key", 204},
	} {
		hdr := []string{"Content-Type", "application/json"}
		if c.key != "" {
			hdr = append(hdr, "Authorization", "Bearer "+c.key)
		}
		if resp, body := send(t, c.method, h.URL+c.path, c.body, hdr...); resp.StatusCode != c.want {
			t.Errorf("%s %s with %q: %d %s, want %d", c.method, c.path, c.key, resp.StatusCode, body, c.want)
		}
	}
}

// Saved credentials are shown masked, stored 0600, and bad input names
// its field.
func TestRegistryCredentialsAPI(t *testing.T) {
	var logs bytes.Buffer
	h := hosttest.Start(t, hosttest.Options{Log: &logs})
	const pw = "s3cret-registry-password-42"
	resp, body := send(t, "PUT", h.URL+"/v1/registries/127.0.0.1:5000", `{"username":"me","password":"`+pw+`"}`, "Content-Type", "application/json")
	if resp.StatusCode != 200 {
		t.Fatalf("PUT: %d %s", resp.StatusCode, body)
	}
	var got struct {
		Host, Username, Password, Token string
		UpdatedAt                       string `json:"updated_at"`
	}
	if err := json.Unmarshal([]byte(body), &got); err != nil {
		t.Fatal(err)
	}
	if got.Host != "127.0.0.1:5000" || got.Username != "me" || got.Password != "…d-42" || got.Token != "" || got.UpdatedAt == "" {
		t.Fatalf("PUT answered %s", body)
	}
	_, list := send(t, "GET", h.URL+"/v1/registries", "")
	if !strings.Contains(list, `"host":"127.0.0.1:5000"`) || !strings.Contains(list, "…d-42") {
		t.Fatalf("GET /v1/registries: %s", list)
	}
	_, cfg := send(t, "GET", h.URL+"/v1/config", "")
	for where, s := range map[string]string{"PUT answer": body, "GET answer": list, "GET /v1/config": cfg, "logs": logs.String()} {
		if strings.Contains(s, pw) {
			t.Errorf("password in %s", where)
		}
	}
	st, err := os.Stat(filepath.Join(h.DataDir, "registries.yaml"))
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("store: %v %v, want 0600", st, err)
	}

	for _, c := range []struct{ method, path, body, field string }{
		{"PUT", "/v1/registries/nohost", `{"token":"t"}`, "host"},
		{"PUT", "/v1/registries/a%2Fb.example", `{"token":"t"}`, "host"},
		{"PUT", "/v1/registries/reg.example:99999", `{"token":"t"}`, "host"},
		{"PUT", "/v1/registries/reg.example", `{"username":"me"}`, "password"},
		{"PUT", "/v1/registries/reg.example", `{"password":"pw"}`, "username"},
		{"PUT", "/v1/registries/reg.example", `{"username":5}`, "username"},
		{"DELETE", "/v1/registries/nohost", "", "host"},
	} {
		resp, body := send(t, c.method, h.URL+c.path, c.body, "Content-Type", "application/json")
		if resp.StatusCode != 400 || !strings.Contains(body, `"field":"`+c.field+`"`) {
			t.Errorf("%s %s %s: %d %s, want 400 naming %s", c.method, c.path, c.body, resp.StatusCode, body, c.field)
		}
	}
	if resp, body := send(t, "DELETE", h.URL+"/v1/registries/127.0.0.1:5000", ""); resp.StatusCode != 204 {
		t.Fatalf("DELETE: %d %s", resp.StatusCode, body)
	}
	if resp, body := send(t, "DELETE", h.URL+"/v1/registries/127.0.0.1:5000", ""); resp.StatusCode != 404 {
		t.Fatalf("second DELETE: %d %s, want 404", resp.StatusCode, body)
	}
}
