package client

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
)

// Models keeps the provider instance the inventory names for a remote
// plugin's model, and none for a local one.
func TestModelsCarryProvider(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/v1/inventory" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"models":[{"name":"tiny","plugin":"ollama","type":"local"},{"name":"gpt-x","plugin":"openai","type":"remote","provider":"main"}]}`)
	}))
	defer srv.Close()
	c, err := New(srv.URL, nil)
	if err != nil {
		t.Fatal(err)
	}
	ms, err := c.Models(context.Background(), false)
	if err != nil {
		t.Fatal(err)
	}
	if len(ms) != 2 || ms[0].Provider != "" || ms[1].ID != "gpt-x" || ms[1].Provider != "main" {
		t.Fatalf("models %+v", ms)
	}
}
