package types

import (
	"encoding/json"
	"fmt"
	"log/slog"
)

// RegistryAuth are the credentials for one model registry host, attached
// by the host to a pull or push whose model lives there. Username and
// Password answer a Basic challenge (or fetch a Bearer token from the
// registry's token service); Token alone is sent as the password of a
// token request (the Docker "identity token" convention). It never
// travels in HTTP bodies (json "-" on the requests that carry it), and
// String, LogValue and MarshalJSON mask the secrets.
type RegistryAuth struct {
	// Host is the registry host as written in model names
	// ("registry.example.com", "127.0.0.1:5000").
	Host     string `json:"host"`
	Username string `json:"username"`
	Password string `json:"password,omitempty"`
	Token    string `json:"token,omitempty"`
}

// maskSecret masks a secret, keeping "" empty so an absent secret does
// not look set.
func maskSecret(s string) string {
	if s == "" {
		return ""
	}
	return MaskKey(s)
}

// String masks the secrets, so printing credentials never leaks them.
func (a RegistryAuth) String() string {
	return fmt.Sprintf("{host:%s username:%s password:%s token:%s}", a.Host, a.Username, maskSecret(a.Password), maskSecret(a.Token))
}

// LogValue masks the secrets in slog output.
func (a RegistryAuth) LogValue() slog.Value {
	return slog.GroupValue(slog.String("host", a.Host), slog.String("username", a.Username),
		slog.String("password", maskSecret(a.Password)), slog.String("token", maskSecret(a.Token)))
}

// MarshalJSON masks the secrets: JSON leaves the process in logs and API
// answers. The credential store is YAML and the plugin gets the real
// values over gRPC, so neither goes through this.
func (a RegistryAuth) MarshalJSON() ([]byte, error) {
	type plain RegistryAuth
	p := plain(a)
	p.Password, p.Token = maskSecret(a.Password), maskSecret(a.Token)
	return json.Marshal(p)
}
