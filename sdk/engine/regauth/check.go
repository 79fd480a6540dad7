package regauth

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/roundhouse-ai/roundhouse/types"
)

// CheckOptions says which registry to check credentials against.
type CheckOptions struct {
	// Host is the registry host ("registry.example.com", "127.0.0.1:5000").
	Host string
	Auth types.RegistryAuth
	// Insecure reaches the registry over plain HTTP.
	Insecure bool
	// Transport reaches the registry (tests; nil: http.DefaultTransport).
	Transport http.RoundTripper
}

// Check logs in to the registry the way a pull would, without pulling:
// GET /v2/, answering its challenge (Basic, or a token from its token
// service). nil means the registry accepted the credentials. Refused
// ones are the typed unauthenticated error; an unreachable registry is
// unavailable, with what to do.
func Check(ctx context.Context, o CheckOptions) error {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	scheme := "https"
	if o.Insecure {
		scheme = "http"
	}
	tr := o.Transport
	if tr == nil {
		tr = http.DefaultTransport
	}
	client := &http.Client{Transport: tr, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	a := newAuthorizer(o.Auth, o.Host, o.Insecure, client)
	u := (&url.URL{Scheme: scheme, Host: o.Host, Path: "/v2/"}).String()
	authz := ""
	for attempt := 0; attempt < 3; attempt++ {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
		if err != nil {
			return err
		}
		if authz != "" {
			req.Header.Set("Authorization", authz)
		}
		resp, err := client.Do(req)
		if err != nil {
			hint := ""
			if !o.Insecure && strings.Contains(err.Error(), "server gave HTTP response to HTTPS client") {
				hint = "; it speaks plain HTTP: log in with --insecure"
			}
			return &types.Error{Code: types.CodeUnavailable, Retryable: true, Err: err,
				Message: fmt.Sprintf("registry %s cannot be reached to check the credentials (%v)%s; save them without the check with --no-verify", o.Host, err, hint)}
		}
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
		resp.Body.Close()
		switch {
		case resp.StatusCode == http.StatusUnauthorized:
			next, err := a.answer(ctx, "pull", authz, parseChallenge(resp.Header.Get("WWW-Authenticate")))
			if err != nil {
				return err
			}
			authz = next
			continue
		case resp.StatusCode == http.StatusForbidden:
			return denied(o.Host, o.Auth.Username, "the registry", "any")
		case resp.StatusCode >= 300:
			return &types.Error{Code: types.CodeUnavailable,
				Message: fmt.Sprintf("registry %s answered %s to GET /v2/: is it an OCI registry? save the credentials without the check with --no-verify", o.Host, resp.Status)}
		}
		return nil
	}
	return refused(o.Host, o.Auth.Username, "still refused after answering its challenge")
}
