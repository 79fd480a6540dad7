package api

import (
	"net/http"
	"strings"

	"github.com/roundhouse-ai/roundhouse/host/httpx"
	"github.com/roundhouse-ai/roundhouse/sdk"
)

// providerBody is POST /v1/providers: a provider instance of a remote
// plugin. APIKey is a shorthand for a single key.
type providerBody struct {
	Plugin string `json:"plugin,omitempty"`
	sdk.ProviderConfig
	APIKey string `json:"api_key,omitempty"`
}

// providerView is a provider as the API shows it: keys masked, never the
// secret; header values masked too (they may carry credentials).
type providerView struct {
	Plugin string `json:"plugin"`
	sdk.ProviderStatus
	Headers map[string]string `json:"headers,omitempty"`
	// Error says why a provider is left out of its plugin's
	// configuration (the plugin refused it); fix it with POST or DELETE.
	Error string `json:"error,omitempty"`
}

func (s *Server) listProviders(w http.ResponseWriter, r *http.Request) {
	out := providerList{Providers: []providerView{}}
	for _, p := range s.h.Plugins() {
		m := p.Manifest()
		if m == nil || p.IsLocal() {
			continue
		}
		out.Providers = append(out.Providers, s.providerViews(r, p.Name())...)
	}
	httpx.WriteJSON(w, http.StatusOK, out)
}

// providerViews asks the plugin for live key stats, falling back to the
// configuration (masked here) when the plugin cannot answer.
func (s *Server) providerViews(r *http.Request, plugin string) []providerView {
	cfg := s.h.Providers(plugin)
	headers := map[string]map[string]string{}
	for _, pc := range cfg {
		if len(pc.Headers) > 0 {
			m := map[string]string{}
			for k, v := range pc.Headers {
				m[k] = sdk.MaskKey(v)
			}
			headers[pc.Name] = m
		}
	}
	var out []providerView
	for name, why := range s.h.SkippedProviders(plugin) {
		out = append(out, providerView{Plugin: plugin, ProviderStatus: sdk.ProviderStatus{Name: name}, Error: why})
	}
	ctx, cancel := s.h.WithCallTimeout(r.Context())
	defer cancel()
	if conn, ok := s.h.Plugin(plugin).ConnIfRunning(); ok {
		if live, err := conn.ListProviders(ctx); err == nil {
			for _, ps := range live {
				for i := range ps.Keys {
					// Defence in depth: whatever the plugin sends, show at most
					// the last four characters.
					if len(ps.Keys[i].Masked) > 12 || !strings.Contains(ps.Keys[i].Masked, "…") {
						ps.Keys[i].Masked = sdk.MaskKey(ps.Keys[i].Masked)
					}
				}
				out = append(out, providerView{Plugin: plugin, ProviderStatus: ps, Headers: headers[ps.Name]})
			}
			return out
		}
	}
	for _, pc := range cfg {
		st := sdk.ProviderStatus{Name: pc.Name, BaseURL: pc.BaseURL, Models: pc.Models, KeyStrategy: pc.KeyStrategy}
		for _, k := range pc.APIKeys {
			st.Keys = append(st.Keys, sdk.KeyStatus{Masked: sdk.MaskKey(k.Value), Label: k.Label, State: "unknown"})
		}
		out = append(out, providerView{Plugin: plugin, ProviderStatus: st, Headers: headers[pc.Name]})
	}
	return out
}

func (s *Server) putProvider(w http.ResponseWriter, r *http.Request) {
	var b providerBody
	if !s.decode(w, r, &b) {
		return
	}
	p, err := s.h.RemotePlugin(b.Plugin)
	if err != nil {
		writeError(w, r, s.log, err)
		return
	}
	if b.APIKey != "" {
		b.APIKeys = append([]sdk.APIKey{{Value: b.APIKey}}, b.APIKeys...)
	}
	// Host.PutProvider checks the entry (name, base_url, key values), then
	// the plugin does.
	if err := s.h.PutProvider(r.Context(), p.Name(), b.ProviderConfig); err != nil {
		writeError(w, r, s.log, err)
		return
	}
	for _, v := range s.providerViews(r, p.Name()) {
		if v.Name == b.Name {
			httpx.WriteJSON(w, http.StatusOK, v)
			return
		}
	}
	httpx.WriteJSON(w, http.StatusOK, map[string]string{"status": "saved", "name": b.Name})
}

// providerPlugin finds the remote plugin that has the named provider.
func (s *Server) providerPlugin(w http.ResponseWriter, r *http.Request, name string) string {
	if plugin := s.h.ProviderPlugin(name, r.URL.Query().Get("plugin")); plugin != "" {
		return plugin
	}
	writeError(w, r, s.log, sdk.Errorf(sdk.CodeNotFound, "no provider named %q (GET /v1/providers lists them)", name))
	return ""
}

func (s *Server) deleteProvider(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	plugin := s.providerPlugin(w, r, name)
	if plugin == "" {
		return
	}
	err := s.h.DeleteProvider(r.Context(), plugin, name)
	s.done(w, r, err, map[string]string{"status": "deleted", "name": name})
}

func (s *Server) testProvider(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	plugin := s.providerPlugin(w, r, name)
	if plugin == "" {
		return
	}
	p := s.h.Plugin(plugin)
	if p == nil {
		writeError(w, r, s.log, sdk.Errorf(sdk.CodePluginNotFound, "plugin %s is configured but not installed", plugin))
		return
	}
	conn, err := p.Conn(r.Context())
	if err != nil {
		writeError(w, r, s.log, err)
		return
	}
	res, err := conn.TestProvider(r.Context(), name)
	s.done(w, r, err, res)
}
