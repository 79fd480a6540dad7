package api_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/roundhouse-ai/roundhouse/client"
	"github.com/roundhouse-ai/roundhouse/internal/hosttest"
)

// Every answer says who answered, before the first byte of a stream too,
// and keeps the client's request id; the native unary answer also has a
// route object; GET /v1/routes shows the target that served.
func TestAnswersSayWhoAnswered(t *testing.T) {
	h := hosttest.Start(t, hosttest.Options{})
	check := func(name string, resp *http.Response, wantID string) {
		t.Helper()
		if got := resp.Header.Get("X-Roundhouse-Plugin"); got != "echo" {
			t.Errorf("%s: X-Roundhouse-Plugin %q, want echo", name, got)
		}
		if resp.Header.Get("X-Roundhouse-Model") == "" {
			t.Errorf("%s: no X-Roundhouse-Model", name)
		}
		if _, ok := resp.Header["X-Roundhouse-Provider"]; !ok {
			t.Errorf("%s: no X-Roundhouse-Provider header", name)
		}
		if got := resp.Header.Get("X-Request-Id"); (wantID != "" && got != wantID) || got == "" {
			t.Errorf("%s: X-Request-Id %q, want %q", name, got, wantID)
		}
	}
	body := `{"messages":[{"role":"user","content":"hi"}]}`
	resp, out := post(t, h.URL+"/v1/services/chat", body, "X-Request-Id", "my-req-1")
	check("native unary", resp, "my-req-1")
	var got struct {
		Route struct {
			Plugin    string `json:"plugin"`
			Model     string `json:"model"`
			RequestID string `json:"request_id"`
			Attempts  int    `json:"attempts"`
		} `json:"route"`
	}
	if err := json.Unmarshal([]byte(out), &got); err != nil || got.Route.Plugin != "echo" || got.Route.RequestID != "my-req-1" || got.Route.Attempts != 1 {
		t.Errorf("route object %+v in %s (%v)", got.Route, out, err)
	}
	resp, _ = post(t, h.URL+"/v1/services/chat", `{"stream":true,"messages":[{"role":"user","content":"hi"}]}`)
	check("native stream", resp, "")
	resp, _ = post(t, h.URL+"/v1/chat/completions", `{"model":"`+got.Route.Model+`","messages":[{"role":"user","content":"hi"}]}`, "X-Request-Id", "oa-1")
	check("openai", resp, "oa-1")
	resp, _ = post(t, h.URL+"/v1/chat/completions", `{"model":"`+got.Route.Model+`","stream":true,"messages":[{"role":"user","content":"hi"}]}`)
	check("openai stream", resp, "")
	resp, _ = post(t, h.URL+"/api/chat", `{"model":"`+got.Route.Model+`","messages":[{"role":"user","content":"hi"}]}`)
	check("ollama", resp, "")
	// An id that is not sensible to log is replaced.
	resp, _ = post(t, h.URL+"/v1/services/chat", body, "X-Request-Id", strings.Repeat("x", 200))
	if id := resp.Header.Get("X-Request-Id"); len(id) != 32 {
		t.Errorf("an over-long request id was kept or not replaced: %q", id)
	}

	c, err := client.New(h.URL, nil)
	if err != nil {
		t.Fatal(err)
	}
	rt, err := c.Routes(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, tv := range rt.Targets {
		if tv.Plugin == "echo" && tv.Model == got.Route.Model {
			found = tv.Breaker.State == "closed" && tv.Requests > 0 && tv.Health > 0
		}
	}
	if !found || rt.Strategy != "priority" {
		t.Errorf("GET /v1/routes = %+v, want echo/%s closed with requests, strategy priority", rt, got.Route.Model)
	}
}
