package api

import (
	"net/http"

	"github.com/roundhouse-ai/roundhouse/client"
	"github.com/roundhouse-ai/roundhouse/host"
	"github.com/roundhouse-ai/roundhouse/host/httpx"
	"github.com/roundhouse-ai/roundhouse/sdk"
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
	c, err := s.h.PutRegistry(host.RegistryCredential{Host: hostName, Username: b.Username, Password: b.Password, Token: b.Token})
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
