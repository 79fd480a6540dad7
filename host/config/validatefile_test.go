package config

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func writeConfig(t *testing.T, text string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "roundhouse.yaml")
	if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// Validate's errors name the key and its line.
func TestValidateNamesKeyAndLine(t *testing.T) {
	for _, c := range []struct {
		name, text, key string
		line            int
	}{
		{"semantic", "start: eager\nlog_level: loud\n", "log_level", 2},
		{"nested", "plugins:\n  openai:\n    providers:\n      - name: main\n        base_url: \"\"\n", "plugins.openai.providers[0].base_url", 5},
		{"unknown key", "listen: 127.0.0.1:7700\nlimits:\n  max_bodyy: 3\n", "max_bodyy", 3},
		{"wrong type", "health_failures: many\n", "", 1},
	} {
		t.Run(c.name, func(t *testing.T) {
			path := writeConfig(t, c.text)
			err := Validate(path)
			var fe *FileError
			if !errors.As(err, &fe) {
				t.Fatalf("want a *FileError, got %v", err)
			}
			if fe.Line != c.line || (c.key != "" && fe.Key != c.key) || !strings.HasPrefix(err.Error(), path+":") {
				t.Fatalf("got key %q line %d (%v), want key %q line %d", fe.Key, fe.Line, err, c.key, c.line)
			}
		})
	}
	if err := Validate(writeConfig(t, "start: lazy\n")); err != nil {
		t.Fatalf("a good file: %v", err)
	}
	if err := Validate(filepath.Join(t.TempDir(), "missing.yaml")); err == nil {
		t.Fatal("a missing file validated")
	}
}

// Masked hides every secret and leaves the snapshot alone.
func TestMasked(t *testing.T) {
	c, err := Load(writeConfig(t, `admin_token: admin-secret-123456
plugins:
  openai:
    settings: {api_key: sk-settings-123456, region: eu}
    env: {OPENAI_TOKEN: tok-env-123456, PLAIN: yes}
    providers:
      - name: main
        base_url: https://api.example/v1
        api_keys: [{value: sk-provider-123456}]
        headers: {X-Auth: hdr-secret-123456}
`))
	if err != nil {
		t.Fatal(err)
	}
	m := c.Masked()
	text := strings.Join([]string{m.AdminToken, m.Plugins["openai"].Settings["api_key"].(string), m.Plugins["openai"].Env["OPENAI_TOKEN"],
		m.Plugins["openai"].Providers[0].APIKeys[0].Value, m.Plugins["openai"].Providers[0].Headers["X-Auth"]}, " ")
	for _, s := range []string{"admin-secret", "sk-settings", "tok-env", "sk-provider", "hdr-secret"} {
		if strings.Contains(text, s) {
			t.Errorf("%s not masked: %s", s, text)
		}
	}
	if m.Plugins["openai"].Settings["region"] != "eu" || m.Plugins["openai"].Env["PLAIN"] != "yes" {
		t.Errorf("non-secrets changed: %+v", m.Plugins["openai"])
	}
	if c.AdminToken != "admin-secret-123456" || c.Plugins["openai"].Providers[0].APIKeys[0].Value != "sk-provider-123456" {
		t.Error("Masked changed the original")
	}
}
