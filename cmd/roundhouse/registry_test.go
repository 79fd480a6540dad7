package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/roundhouse-ai/roundhouse/client"
)

const registriesBody = `{"registries":[{"host":"127.0.0.1:5000","username":"me","password":"****","updated_at":"2026-11-30T05:00:00Z"},` +
	`{"host":"registry.example.com","token":"…wxyz","updated_at":"2026-11-29T10:30:00Z"}]}`

// registry ls prints the masked entries as a table and as stable JSON.
func TestRegistryLsGolden(t *testing.T) {
	c := fakeHostWith(t, map[string]string{"GET /v1/registries": registriesBody})
	var out bytes.Buffer
	if err := (&cli{c: c, out: &out, errOut: io.Discard, in: strings.NewReader("")}).dispatch(context.Background(), []string{"registry", "ls", "--json"}); err != nil {
		t.Fatal(err)
	}
	checkGolden(t, "registry_ls.golden", out.Bytes())
	out.Reset()
	if err := (&cli{c: c, out: &out, errOut: io.Discard}).dispatch(context.Background(), []string{"registry", "ls"}); err != nil {
		t.Fatal(err)
	}
	checkGolden(t, "registry_ls.table.golden", out.Bytes())
}

// registry login reads the secret from stdin (one line), sends it, and
// never prints it; the flags are checked before anything is sent.
func TestRegistryLogin(t *testing.T) {
	const pw = "hunter2-registry-secret"
	s, url := newScripted(t, map[string]http.HandlerFunc{
		"PUT /v1/registries/127.0.0.1:5000":    answer(`{"host":"127.0.0.1:5000","username":"me","password":"…cret","updated_at":"2026-11-30T05:00:00Z"}`),
		"PUT /v1/registries/reg.example":       answer(`{"host":"reg.example","token":"…oken","updated_at":"2026-11-30T05:00:00Z"}`),
		"DELETE /v1/registries/127.0.0.1:5000": func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusNoContent) },
	})
	code, out, errOut := runCLI(pw+"\n", "--host", url, "registry", "login", "127.0.0.1:5000", "--username", "me", "--password-stdin")
	if code != 0 || !strings.Contains(out, "saved credentials for 127.0.0.1:5000 as me") || strings.Contains(out+errOut, pw) {
		t.Fatalf("login: %d %q %q", code, out, errOut)
	}
	var got client.RegistryLogin
	if err := json.Unmarshal([]byte(s.body("PUT /v1/registries/127.0.0.1:5000")), &got); err != nil || got.Username != "me" || got.Password != pw || got.Token != "" || !got.Verify || got.Insecure {
		t.Fatalf("sent %s", s.body("PUT /v1/registries/127.0.0.1:5000"))
	}
	if code, _, errOut := runCLI("a-token\r\n", "--host", url, "registry", "login", "reg.example", "--token-stdin", "--no-verify", "--insecure"); code != 0 {
		t.Fatalf("token login: %d %q", code, errOut)
	}
	got = client.RegistryLogin{}
	if err := json.Unmarshal([]byte(s.body("PUT /v1/registries/reg.example")), &got); err != nil || got.Token != "a-token" || got.Password != "" || got.Verify || !got.Insecure {
		t.Fatalf("token login sent %s", s.body("PUT /v1/registries/reg.example"))
	}
	for _, c := range []struct {
		stdin string
		args  []string
		want  string
	}{
		{pw, []string{"127.0.0.1:5000", "--password-stdin"}, "--username"},
		{pw, []string{"127.0.0.1:5000", "--username", "me"}, "--password-stdin"},
		{pw, []string{"127.0.0.1:5000", "--username", "me", "--password-stdin", "--token-stdin"}, "one of"},
		{"", []string{"127.0.0.1:5000", "--username", "me", "--password-stdin"}, "stdin"},
		{pw, []string{}, "HOST"},
	} {
		code, _, errOut := runCLI(c.stdin, append([]string{"--host", url, "registry", "login"}, c.args...)...)
		if code != 2 || !strings.Contains(errOut, c.want) {
			t.Errorf("login %v: %d %q, want a usage error naming %s", c.args, code, errOut, c.want)
		}
	}
	if code, out, errOut := runCLI("", "--host", url, "registry", "logout", "127.0.0.1:5000"); code != 0 || !strings.Contains(out, "removed credentials for 127.0.0.1:5000") {
		t.Fatalf("logout: %d %q %q", code, out, errOut)
	}
}
