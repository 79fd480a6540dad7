package api

import (
	"context"
	"net/http"

	"github.com/roundhouse-ai/roundhouse/client"
	"github.com/roundhouse-ai/roundhouse/host"
	"github.com/roundhouse-ai/roundhouse/host/httpx"
	"github.com/roundhouse-ai/roundhouse/sdk"
	"github.com/roundhouse-ai/roundhouse/sdk/engine/regauth"
)

// registryView shows saved credentials the way the provider list shows
// keys: secrets masked, "" when not set.
func registryView(c host.RegistryCredential) client.Registry {
	mask := func(s string) string {
		if s == "" {
			return ""
		}
		return sdk.MaskKey(s)
	}
	return client.Registry{Host: c.Host, Username: c.Username, Password: mask(c.Password), Token: mask(c.Token), UpdatedAt: c.UpdatedAt}
}

func (s *Server) listRegistries(w http.ResponseWriter, _ *http.Request) {
	out := client.RegistryList{Registries: []client.Registry{}}
	for _, c := range s.h.Registries() {
		out.Registries = append(out.Registries, registryView(c))
	}
	httpx.WriteJSON(w, http.StatusOK, out)
}

func (s *Server) putRegistry(w http.ResponseWriter, r *http.Request) {
	// The path is checked first: a bad host is the first thing to fix.
	hostName, err := host.NormalizeRegistryHost(r.PathValue("host"))
	if err != nil {
		writeError(w, r, s.log, err)
		return
	}
	var b client.RegistryLogin
	if !s.decode(w, r, &b) {
		return
	}
	var check func(sdk.RegistryAuth) error
	if b.Verify {
		check = func(a sdk.RegistryAuth) error { return verifyLogin(r.Context(), a, b.Insecure) }
	}
	c, err := s.h.PutRegistry(host.RegistryCredential{Host: hostName, Username: b.Username, Password: b.Password, Token: b.Token}, check)
	if err != nil {
		writeError(w, r, s.log, err)
		return
	}
	s.log.Info("registry credentials saved", "registry", c.Host, "username", c.Username)
	httpx.WriteJSON(w, http.StatusOK, registryView(c))
}

func (s *Server) deleteRegistry(w http.ResponseWriter, r *http.Request) {
	if err := s.h.DeleteRegistry(r.PathValue("host")); err != nil {
		writeError(w, r, s.log, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// verifyLogin logs in to the registry as a pull would. A refusal is bad
// input (400 naming the secret sent); an unreachable registry is not.
func verifyLogin(ctx context.Context, a sdk.RegistryAuth, insecure bool) error {
	err := regauth.Check(ctx, regauth.CheckOptions{Host: a.Host, Auth: a, Insecure: insecure})
	if c := sdk.ErrorCode(err); c == sdk.CodeUnauthenticated || c == sdk.CodePermissionDenied {
		field := "password"
		if a.Password == "" {
			field = "token"
		}
		return &sdk.Error{Code: sdk.CodeInvalidArgument, Field: field, Err: err, Message: sdk.AsError(err).Message + " (nothing was saved)"}
	}
	return err
}
