package config

import (
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/roundhouse-ai/roundhouse/sdk"
)

// Clone is a deep copy of c (the API merges runtime state into a copy,
// never into the snapshot in force).
func (c *Config) Clone() *Config {
	data, err := yaml.Marshal(c)
	out := &Config{}
	if err != nil || yaml.Unmarshal(data, out) != nil {
		// Every field marshals; a failure here is a programming error.
		panic("config: clone: " + errString(err))
	}
	out.Path = c.Path
	return out
}

func errString(err error) string {
	if err == nil {
		return "round trip failed"
	}
	return err.Error()
}

// secretName reports whether a settings or env key looks like it holds a
// credential.
func secretName(k string) bool {
	k = strings.ToLower(k)
	for _, s := range []string{"key", "token", "secret", "password", "passwd", "credential", "auth"} {
		if strings.Contains(k, s) {
			return true
		}
	}
	return false
}

// Masked is a copy of c with every secret masked to its last four
// characters (sdk.MaskKey): the admin token, API key hashes, provider keys
// and header values, and settings or env entries whose name says key,
// token, secret, password or auth.
func (c *Config) Masked() *Config {
	m := c.Clone()
	if m.AdminToken != "" {
		m.AdminToken = sdk.MaskKey(m.AdminToken)
	}
	for i := range m.APIKeys {
		m.APIKeys[i].SHA256 = sdk.MaskKey(m.APIKeys[i].SHA256)
	}
	for name, pc := range m.Plugins {
		for i := range pc.Providers {
			p := &pc.Providers[i]
			for j := range p.APIKeys {
				p.APIKeys[j].Value = sdk.MaskKey(p.APIKeys[j].Value)
			}
			for k, v := range p.Headers {
				p.Headers[k] = sdk.MaskKey(v)
			}
		}
		maskMap(pc.Settings)
		for k, v := range pc.Env {
			if secretName(k) {
				pc.Env[k] = sdk.MaskKey(v)
			}
		}
		m.Plugins[name] = pc
	}
	return m
}

func maskMap(m map[string]any) {
	for k, v := range m {
		switch v := v.(type) {
		case string:
			if secretName(k) {
				m[k] = sdk.MaskKey(v)
			}
		case map[string]any:
			maskMap(v)
		}
	}
}
