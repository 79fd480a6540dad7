package api

import (
	"encoding/json"
	"mime"
	"net/http"

	"gopkg.in/yaml.v3"

	"github.com/roundhouse-ai/roundhouse/client"
	"github.com/roundhouse-ai/roundhouse/host"
	"github.com/roundhouse-ai/roundhouse/host/httpx"
	"github.com/roundhouse-ai/roundhouse/sdk"
)

// pluginView is a plugin as the API shows it: its status plus what the
// last reload said about its files.
type pluginView struct {
	client.PluginStatus
	// ReloadError says why the last reload kept this version: the new
	// manifest or executable is unusable; fix it and reload.
	ReloadError string `json:"reload_error,omitempty"`
	// InFlight is how many calls the plugin is answering now.
	InFlight int `json:"in_flight"`
}

func viewPlugin(p *host.Plugin) pluginView {
	return pluginView{PluginStatus: wirePluginStatus(p.Status()), ReloadError: p.ReloadError(), InFlight: p.InFlight()}
}

// installBody is POST /v1/plugins/install with a JSON body.
type installBody struct {
	// Path is a plugin directory or a .tar.gz on the host's machine.
	Path string `json:"path"`
	// SHA256 is the archive's (or, for a directory, the executable's) hex
	// sha256, checked when set.
	SHA256 string `json:"sha256,omitempty"`
}

func (s *Server) installPlugin(w http.ResponseWriter, r *http.Request) {
	var src host.InstallSource
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt == "application/gzip" {
		src = host.InstallSource{Archive: r.Body, SHA256: r.URL.Query().Get("sha256")}
	} else {
		var b installBody
		if !s.decode(w, r, &b) {
			return
		}
		src = host.InstallSource{Path: b.Path, SHA256: b.SHA256}
	}
	p, err := s.h.InstallPlugin(r.Context(), src)
	if err != nil {
		writeError(w, r, s.log, err)
		return
	}
	httpx.WriteJSON(w, http.StatusCreated, viewPlugin(p))
}

func (s *Server) removePlugin(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	err := s.h.RemovePlugin(r.Context(), name)
	s.done(w, r, err, map[string]string{"status": "removed", "name": name})
}

func (s *Server) enablePlugin(w http.ResponseWriter, r *http.Request)  { s.setEnabled(w, r, true) }
func (s *Server) disablePlugin(w http.ResponseWriter, r *http.Request) { s.setEnabled(w, r, false) }

func (s *Server) setEnabled(w http.ResponseWriter, r *http.Request, on bool) {
	name := r.PathValue("name")
	if err := s.h.SetPluginEnabled(r.Context(), name, on); err != nil {
		writeError(w, r, s.log, err)
		return
	}
	httpx.WriteJSON(w, http.StatusOK, viewPlugin(s.h.Plugin(name)))
}

// reload re-reads the config file and the plugin roots (like SIGHUP). A
// config that does not load is answered 400 naming it, and changes
// nothing.
func (s *Server) reload(w http.ResponseWriter, r *http.Request) {
	res := s.h.Reload(r.Context())
	if res.Error != "" {
		writeError(w, r, s.log, &sdk.Error{Code: sdk.CodeInvalidArgument, Field: "config", Message: res.Error})
		return
	}
	httpx.WriteJSON(w, http.StatusOK, res)
}

// effectiveConfig answers the configuration in force, runtime state
// merged, secrets masked, with the config file's key names.
func (s *Server) effectiveConfig(w http.ResponseWriter, r *http.Request) {
	cfg := s.h.EffectiveConfig().Masked()
	data, err := yaml.Marshal(cfg)
	var doc map[string]any
	if err == nil {
		err = yaml.Unmarshal(data, &doc)
	}
	if err != nil {
		writeError(w, r, s.log, sdk.WrapError(sdk.CodeInternal, err, "render the config"))
		return
	}
	out := configAnswer{Path: cfg.Path, Config: jsonable(doc).(map[string]any)}
	httpx.WriteJSON(w, http.StatusOK, out)
}

// jsonable turns YAML's map[any]any (nested settings) into JSON maps.
func jsonable(v any) any {
	switch v := v.(type) {
	case map[string]any:
		for k, x := range v {
			v[k] = jsonable(x)
		}
		return v
	case map[any]any:
		m := map[string]any{}
		for k, x := range v {
			b, _ := json.Marshal(k)
			ks := string(b)
			if s, ok := k.(string); ok {
				ks = s
			}
			m[ks] = jsonable(x)
		}
		return m
	case []any:
		for i, x := range v {
			v[i] = jsonable(x)
		}
		return v
	}
	return v
}

// inventoryList is GET /v1/inventory: the native model list.
type inventoryList struct {
	Models []inventoryModel `json:"models"`
}

type inventoryModel struct {
	sdk.Model
	// Plugin serves the model; Type is its kind, local or remote.
	Plugin string `json:"plugin"`
	Type   string `json:"type"`
}

// inventory lists models across plugins (running=true: loaded ones only).
func (s *Server) inventory(w http.ResponseWriter, r *http.Request) {
	var running bool
	switch v := r.URL.Query().Get("running"); v {
	case "", "false":
	case "true":
		running = true
	default:
		writeError(w, r, s.log, sdk.FieldError("running", "%q must be true or false", v))
		return
	}
	ms, err := s.b.ListModels(r.Context(), running)
	if err != nil {
		writeError(w, r, s.log, err)
		return
	}
	out := inventoryList{Models: []inventoryModel{}}
	for _, m := range ms {
		out.Models = append(out.Models, inventoryModel{Model: m.Model, Plugin: m.Plugin, Type: m.Type})
	}
	httpx.WriteJSON(w, http.StatusOK, out)
}
