package client

import (
	"context"
	"fmt"
	"strings"
	"testing"
)

// The registry methods send their endpoints; a login's String never
// shows its secrets.
func TestRegistryEndpoints(t *testing.T) {
	rec, c := newRecorder(t, map[string]string{
		"GET /v1/registries":                   `{"registries":[{"host":"127.0.0.1:5000","username":"me","password":"****","updated_at":"2026-11-30T05:00:00Z"}]}`,
		"PUT /v1/registries/127.0.0.1:5000":    `{"host":"127.0.0.1:5000","username":"me","password":"…cret","updated_at":"2026-11-30T05:00:00Z"}`,
		"DELETE /v1/registries/127.0.0.1:5000": ``,
	}, WithAdminToken("tok"))
	ctx := context.Background()
	rs, err := c.Registries(ctx)
	if err != nil || len(rs) != 1 || rs[0].Host != "127.0.0.1:5000" || rs[0].UpdatedAt.IsZero() || rec.last() != "GET /v1/registries" {
		t.Fatalf("Registries: %+v %v (sent %q)", rs, err, rec.last())
	}
	login := RegistryLogin{Username: "me", Password: "hunter2-very-secret"}
	r, err := c.SetRegistry(ctx, "127.0.0.1:5000", login)
	if err != nil || r.Password != "…cret" {
		t.Fatalf("SetRegistry: %+v %v", r, err)
	}
	if want := `PUT /v1/registries/127.0.0.1:5000 {"username":"me","password":"hunter2-very-secret"}`; rec.last() != want {
		t.Fatalf("sent %q, want %q", rec.last(), want)
	}
	if err := c.DeleteRegistry(ctx, "127.0.0.1:5000"); err != nil || rec.last() != "DELETE /v1/registries/127.0.0.1:5000" {
		t.Fatalf("DeleteRegistry: %v (sent %q)", err, rec.last())
	}
	for _, s := range []string{login.String(), fmt.Sprintf("%v", login), fmt.Sprintf("%+v", login)} {
		if strings.Contains(s, "hunter2") {
			t.Fatalf("RegistryLogin printed its password: %s", s)
		}
	}
}
