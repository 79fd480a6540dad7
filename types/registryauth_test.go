package types

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"testing"
)

func TestRegistryAuthMasked(t *testing.T) {
	const pw, tok = "hunter2-very-secret-password", "tok-0123456789abcdefXYZ"
	a := RegistryAuth{Host: "reg.example", Username: "me", Password: pw, Token: tok}
	var logs bytes.Buffer
	slog.New(slog.NewJSONHandler(&logs, nil)).Info("pull", "auth", a, "req", PullRequest{Model: "reg.example/m", Auth: &a})
	js, _ := json.Marshal(a)
	body, _ := json.Marshal(PushRequest{Model: "reg.example/m", Auth: &a})
	for name, out := range map[string]string{
		"String": a.String(), "Sprintf %+v": fmt.Sprintf("%+v", a), "slog": logs.String(), "json": string(js), "request json": string(body),
	} {
		if strings.Contains(out, pw) || strings.Contains(out, tok) {
			t.Errorf("%s leaks a secret: %s", name, out)
		}
	}
	if !strings.Contains(string(js), `"password":"…word"`) && !strings.Contains(string(js), "…word") {
		t.Errorf("json = %s, want the password masked to its last 4 characters", js)
	}
	if strings.Contains(string(body), "auth") || strings.Contains(string(body), "username") {
		t.Errorf("request body carries credentials: %s", body)
	}
	if got := (RegistryAuth{Host: "h", Username: "u"}).String(); strings.Contains(got, "****") {
		t.Errorf("absent secrets shown as set: %s", got)
	}
}
