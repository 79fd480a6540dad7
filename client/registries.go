package client

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"time"

	"github.com/roundhouse-ai/roundhouse/types"
)

// RegistryLogin is the body of PUT /v1/registries/{host}: a username and
// password (Basic, or exchanged for a Bearer token by the registry's token
// service), or a token (sent as the password of a token request), or
// both. It carries secrets to the host, so it is marshalled as is; String
// and LogValue mask them.
type RegistryLogin struct {
	Username string `json:"username,omitempty"`
	Password string `json:"password,omitempty"`
	Token    string `json:"token,omitempty"`
	// Verify has the host log in to the registry first (GET /v2/ with
	// the credentials, as a pull would): refused credentials answer 400
	// naming password (or token) and are not saved.
	Verify bool `json:"verify,omitempty"`
	// Insecure checks over plain HTTP (a registry without TLS).
	Insecure bool `json:"insecure,omitempty"`
}

// String masks the secrets.
func (l RegistryLogin) String() string {
	return fmt.Sprintf("{username:%s password:%s token:%s}", l.Username, maskSet(l.Password), maskSet(l.Token))
}

// LogValue masks the secrets in slog output.
func (l RegistryLogin) LogValue() slog.Value {
	return slog.GroupValue(slog.String("username", l.Username), slog.String("password", maskSet(l.Password)), slog.String("token", maskSet(l.Token)))
}

func maskSet(s string) string {
	if s == "" {
		return ""
	}
	return types.MaskKey(s)
}

// Registry is one registry host's saved credentials as the API shows
// them: secrets masked ("****", or "…" and the last 4 characters of a
// long one), "" when not set.
type Registry struct {
	Host      string    `json:"host"`
	Username  string    `json:"username,omitempty"`
	Password  string    `json:"password,omitempty"`
	Token     string    `json:"token,omitempty"`
	UpdatedAt time.Time `json:"updated_at"`
}

// RegistryList is GET /v1/registries.
type RegistryList struct {
	Registries []Registry `json:"registries"`
}

// Registries lists the registry hosts that have saved credentials
// (admin), secrets masked.
func (c *Client) Registries(ctx context.Context) ([]Registry, error) {
	l, err := callJSON[RegistryList](ctx, c, http.MethodGet, "/v1/registries", nil)
	if err != nil {
		return nil, err
	}
	return l.Registries, nil
}

// SetRegistry saves the credentials of a registry host (admin): pulls and
// pushes of models named host/... use them from then on.
func (c *Client) SetRegistry(ctx context.Context, host string, login RegistryLogin) (*Registry, error) {
	return callJSON[Registry](ctx, c, http.MethodPut, "/v1/registries/"+url.PathEscape(host), login)
}

// DeleteRegistry forgets the credentials of a registry host (admin).
func (c *Client) DeleteRegistry(ctx context.Context, host string) error {
	return c.call(ctx, http.MethodDelete, "/v1/registries/"+url.PathEscape(host), nil, nil)
}
