package host

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/roundhouse-ai/roundhouse/host/config"
	"github.com/roundhouse-ai/roundhouse/sdk"
)

func TestRegistryHostOf(t *testing.T) {
	for model, want := range map[string]string{
		"llama3.2":                      "",
		"me/model:tag":                  "",
		"registry.example.com/me/m:1":   "registry.example.com",
		"127.0.0.1:5000/ns/model:tag":   "127.0.0.1:5000",
		"localhost/ns/m":                "localhost",
		"LOCALHOST:5000/ns/m":           "localhost:5000",
		"Reg.Example:443/a":             "reg.example:443",
		"registry.example.com":          "", // no path: a model name, not a host
		"[::1]:5000/ns/model":           "[::1]:5000",
		"host-without-dot/ns/model:tag": "",
	} {
		if got := RegistryHostOf(model); got != want {
			t.Errorf("RegistryHostOf(%q) = %q, want %q", model, got, want)
		}
	}
}

func TestNormalizeRegistryHost(t *testing.T) {
	for in, want := range map[string]string{
		"registry.example.com": "registry.example.com", "127.0.0.1:5000": "127.0.0.1:5000",
		"LocalHost:5000": "localhost:5000", "localhost": "localhost", "[::1]:5000": "[::1]:5000",
	} {
		if got, err := NormalizeRegistryHost(in); err != nil || got != want {
			t.Errorf("NormalizeRegistryHost(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "registry", "a/b", "user@reg.example", "reg.example:0", "reg.example:99999", "reg.example:x",
		"-bad.example", "reg..example", "::1", "reg.example/path", "https://reg.example", "reg_x.example"} {
		_, err := NormalizeRegistryHost(bad)
		if e := sdk.AsError(err); err == nil || e.Field != "host" || e.Code != sdk.CodeInvalidArgument {
			t.Errorf("NormalizeRegistryHost(%q): %v, want an invalid_argument naming host", bad, err)
		}
	}
}

// Credentials are saved 0600, survive a restart, go only to their own
// host, and are never printed.
func TestRegistryStore(t *testing.T) {
	cfg := &config.Config{DataDir: t.TempDir()}
	h := New(cfg, nil)
	const pw = "correct-horse-battery-staple"
	if _, err := h.PutRegistry(RegistryCredential{Host: "Reg.Example:5000", Username: "me", Password: pw}, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := h.PutRegistry(RegistryCredential{Host: "other.example", Token: "tok-0123456789abcdef"}, nil); err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(filepath.Join(cfg.DataDir, registriesFile))
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("store file: %v %v, want mode 0600", st, err)
	}
	h2 := New(cfg, nil) // a restart reads the file
	a := h2.RegistryAuthFor("reg.example:5000/ns/model:tag")
	if a == nil || a.Host != "reg.example:5000" || a.Username != "me" || a.Password != pw {
		t.Fatalf("auth for its host after a restart: %+v", a)
	}
	if strings.Contains(a.String(), pw) {
		t.Fatalf("String leaks the password: %s", a)
	}
	for _, m := range []string{"reg.example/ns/model", "reg.example:5001/ns/model", "llama3.2", "me/model", "evil.example/reg.example:5000/m"} {
		if a := h2.RegistryAuthFor(m); a != nil {
			t.Errorf("model %q got credentials of %s", m, a.Host)
		}
	}
	if a := h2.RegistryAuthFor("other.example/x"); a == nil || a.Token != "tok-0123456789abcdef" || a.Username != "" {
		t.Errorf("token-only credentials: %+v", a)
	}
	if err := h2.DeleteRegistry("reg.example:5000"); err != nil {
		t.Fatal(err)
	}
	if err := h2.DeleteRegistry("reg.example:5000"); sdk.ErrorCode(err) != sdk.CodeNotFound {
		t.Fatalf("second delete: %v, want not_found", err)
	}
	if a := New(cfg, nil).RegistryAuthFor("reg.example:5000/ns/model"); a != nil {
		t.Fatalf("deleted credentials came back after a restart: %+v", a)
	}
}

func TestPutRegistryChecksFields(t *testing.T) {
	h := New(&config.Config{DataDir: t.TempDir()}, nil)
	for _, c := range []struct {
		cred  RegistryCredential
		field string
	}{
		{RegistryCredential{Host: "reg.example", Username: "me"}, "password"},
		{RegistryCredential{Host: "reg.example", Password: "pw"}, "username"},
		{RegistryCredential{Host: "reg.example", Username: "a:b", Password: "pw"}, "username"},
		{RegistryCredential{Host: "reg.example", Username: "me", Password: "pw\n"}, "password"},
		{RegistryCredential{Host: "nohost", Username: "me", Password: "pw"}, "host"},
	} {
		_, err := h.PutRegistry(c.cred, func(sdk.RegistryAuth) error { t.Fatal("checked before the fields"); return nil })
		if e := sdk.AsError(err); err == nil || e.Field != c.field {
			t.Errorf("%+v: %v, want an error naming %s", c.cred, err, c.field)
		}
	}
	refusal := sdk.Errorf(sdk.CodeUnauthenticated, "refused")
	if _, err := h.PutRegistry(RegistryCredential{Host: "reg.example", Username: "me", Password: "pw"}, func(a sdk.RegistryAuth) error {
		if a.Host != "reg.example" || a.Password != "pw" {
			t.Errorf("checked %+v", a)
		}
		return refusal
	}); err != refusal {
		t.Fatalf("a failed check: %v, want its error", err)
	}
	if len(h.Registries()) != 0 {
		t.Fatalf("refused credentials were saved: %v", h.Registries())
	}
}
