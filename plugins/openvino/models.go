package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"time"

	"github.com/roundhouse-ai/roundhouse/sdk"
)

// versionStatus is one element of OVMS's "model_version_status", in the
// answers of GET /v1/config and POST /v1/config/reload:
// {"<name>": {"model_version_status": [{"version", "state", "status":
// {"error_code", "error_message"}}]}} (docs/model_server_rest_api_tfs.md,
// "Config Reload API" and "Config Status API", in OVMS 2025.x).
type versionStatus struct {
	Version string `json:"version"`
	State   string `json:"state"`
	Status  struct {
		ErrorCode    string `json:"error_code"`
		ErrorMessage string `json:"error_message"`
	} `json:"status"`
}

type servableStatus struct {
	Versions []versionStatus `json:"model_version_status"`
}

// state is a servable's state and error, from its newest version.
func (st servableStatus) state() (string, string) {
	if len(st.Versions) == 0 {
		return "", ""
	}
	v := st.Versions[len(st.Versions)-1]
	msg := v.Status.ErrorMessage
	if v.Status.ErrorCode == "OK" {
		msg = ""
	}
	return v.State, msg
}

func (p *plugin) engineJSON(ctx context.Context, s settings, method, path string, v any) (int, error) {
	req, err := http.NewRequestWithContext(ctx, method, "http://"+s.hostPort+path, nil)
	if err != nil {
		return 0, err
	}
	resp, err := p.http.Do(req)
	if err != nil {
		return 0, sdk.Errorf(sdk.CodeEngineUnavailable, "ovms at %s does not answer %s: %v", s.hostPort, path, err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	if resp.StatusCode >= 300 {
		var e struct {
			Error string `json:"error"`
		}
		_ = json.Unmarshal(data, &e)
		return resp.StatusCode, fmt.Errorf("ovms %s %s: HTTP %d: %s", method, path, resp.StatusCode, e.Error)
	}
	if v != nil {
		if err := json.Unmarshal(data, v); err != nil {
			return resp.StatusCode, fmt.Errorf("ovms %s %s: %v", method, path, err)
		}
	}
	return resp.StatusCode, nil
}

// statuses is GET /v1/config.
func (p *plugin) statuses(ctx context.Context, s settings) (map[string]servableStatus, error) {
	out := map[string]servableStatus{}
	_, err := p.engineJSON(ctx, s, http.MethodGet, "/v1/config", &out)
	return out, err
}

// reload is POST /v1/config/reload: OVMS polls config.json on its own
// (--file_system_poll_wait_seconds), this applies the change now. 201 =
// reloaded, 200 = nothing to do; an error answer names what failed.
func (p *plugin) reload(ctx context.Context, s settings) error {
	_, err := p.engineJSON(ctx, s, http.MethodPost, "/v1/config/reload", nil)
	if err != nil {
		return sdk.WrapError(sdk.CodeModelLoadFailed, err, "ovms refused to reload %s (see its log, %s)", s.configPath, filepath.Join(s.dataDir, "ovms.log"))
	}
	return nil
}

// ready is the KServe model-ready API, GET /v2/models/{name}/ready: 200
// when the servable is AVAILABLE, 404 when it is unknown or still loading
// (src/http_server.cpp maps both to NOT_FOUND).
func (p *plugin) ready(ctx context.Context, s settings, name string) (bool, error) {
	code, err := p.engineJSON(ctx, s, http.MethodGet, "/v2/models/"+url.PathEscape(name)+"/ready", nil)
	if code == http.StatusOK {
		return true, nil
	}
	if code == http.StatusNotFound {
		return false, nil
	}
	return false, err
}

// LoadModel adds the model to config.json, has OVMS reload it and waits
// until /v2/models/{name}/ready says so, or until /v1/config reports the
// servable failed.
func (p *plugin) LoadModel(ctx context.Context, req *sdk.LoadRequest) error {
	if err := checkName(req.Model); err != nil {
		return err
	}
	s, reg, err := p.snapshot()
	if err != nil {
		return err
	}
	dir := p.modelDir(s, req.Model)
	if _, _, ok := graphInfo(dir); !ok {
		entries, _ := reg.Entries()
		if !hasEntry(entries, req.Model) {
			return sdk.Errorf(sdk.CodeModelNotFound, "model %q is not in the model repository %s: pull it first", req.Model, s.repoDir)
		}
	}
	if _, err := reg.Add(req.Model, dir); err != nil {
		return sdk.WrapError(sdk.CodeModelLoadFailed, err, "add %s to %s", req.Model, s.configPath)
	}
	if s, err = p.ensureEngine(ctx); err != nil {
		return err
	}
	if err := p.reload(ctx, s); err != nil {
		return err
	}
	return p.waitReady(ctx, s, req.Model, true)
}

// waitReady waits until OVMS serves the model (GET
// /v2/models/{name}/ready answers 200), or /v1/config reports that it
// failed, or settings.load_timeout passes. With mustExist false, a name
// OVMS does not know at all returns at once (OVMS then answers the
// request with its own "not found").
func (p *plugin) waitReady(ctx context.Context, s settings, model string, mustExist bool) error {
	ctx, cancel := context.WithTimeout(ctx, s.loadTimeout)
	defer cancel()
	for {
		ok, err := p.ready(ctx, s, model)
		if ok {
			return nil
		}
		if err == nil {
			if st, err := p.statuses(ctx, s); err == nil {
				ss, known := st[model]
				state, msg := ss.state()
				switch {
				case msg != "":
					return sdk.Errorf(sdk.CodeModelLoadFailed, "ovms could not load %s (%s): %s", model, state, msg)
				case !known && !mustExist, state == "END":
					return nil
				}
			}
		}
		select {
		case <-ctx.Done():
			return sdk.Errorf(sdk.CodeTimeout, "%s is not ready after %s (settings.load_timeout); ovms's log: %s", model, s.loadTimeout, filepath.Join(s.dataDir, "ovms.log"))
		case <-time.After(100 * time.Millisecond):
		}
	}
}

func hasEntry(entries []entry, name string) bool {
	for _, e := range entries {
		if e.Name == name {
			return true
		}
	}
	return false
}

// UnloadModel takes the model out of config.json and waits until OVMS no
// longer serves it. Unloading a model that is not loaded is not an error.
func (p *plugin) UnloadModel(ctx context.Context, model string) error {
	s, reg, err := p.snapshot()
	if err != nil {
		return err
	}
	removed, err := reg.Remove(model)
	if err != nil {
		return sdk.WrapError(sdk.CodeInternal, err, "remove %s from %s", model, s.configPath)
	}
	if !removed || !p.engineUp() {
		return nil
	}
	if err := p.reload(ctx, s); err != nil {
		return err
	}
	for {
		ok, err := p.ready(ctx, s, model)
		if !ok || err != nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// engineUp says whether an engine is in use (managed and alive, or
// attached), without starting one.
func (p *plugin) engineUp() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.attached || p.sup != nil && !p.sup.Finished()
}

// ListModels lists the model repository; models config.json names that
// live elsewhere are listed too.
func (p *plugin) ListModels(ctx context.Context) ([]sdk.Model, error) {
	s, reg, err := p.snapshot()
	if err != nil {
		return nil, err
	}
	models, err := repoModels(s.repoDir)
	if err != nil {
		return nil, sdk.WrapError(sdk.CodeInternal, err, "list %s", s.repoDir)
	}
	seen := map[string]bool{}
	for _, m := range models {
		seen[m.Name] = true
	}
	entries, _ := reg.Entries()
	for _, e := range entries {
		if !seen[e.Name] {
			m := sdk.Model{Name: e.Name, Format: "openvino"}
			if task, _, ok := graphInfo(entryDir(s, e)); ok {
				m.Services = taskServices[task]
			}
			models = append(models, m)
		}
	}
	sort.Slice(models, func(i, j int) bool { return models[i].Name < models[j].Name })
	return models, nil
}

func entryDir(s settings, e entry) string {
	if filepath.IsAbs(e.BasePath) {
		return e.BasePath
	}
	return filepath.Join(filepath.Dir(s.configPath), e.BasePath)
}

// ListRunningModels lists the servables OVMS reports AVAILABLE.
func (p *plugin) ListRunningModels(ctx context.Context) ([]sdk.Model, error) {
	s, _, err := p.snapshot()
	if err != nil {
		return nil, err
	}
	if !p.engineUp() {
		return nil, nil
	}
	st, err := p.statuses(ctx, s)
	if err != nil {
		return nil, err
	}
	var out []sdk.Model
	for name, ss := range st {
		if state, _ := ss.state(); state == "AVAILABLE" {
			m := sdk.Model{Name: name, Format: "openvino"}
			if task, _, ok := graphInfo(p.modelDir(s, name)); ok {
				m.Services = taskServices[task]
			}
			out = append(out, m)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// DeleteModel unloads the model and removes its directory.
func (p *plugin) DeleteModel(ctx context.Context, model string) error {
	if err := checkName(model); err != nil {
		return err
	}
	s, _, err := p.snapshot()
	if err != nil {
		return err
	}
	if err := p.UnloadModel(ctx, model); err != nil {
		return err
	}
	if err := removeModelDir(s.repoDir, model); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return sdk.Errorf(sdk.CodeModelNotFound, "model %q is not in the model repository %s", model, s.repoDir)
		}
		return sdk.WrapError(sdk.CodeModelDeleteFailed, err, "delete %s", model)
	}
	return nil
}

// ShowModel describes a model of the repository: its task, device and
// graph.
func (p *plugin) ShowModel(ctx context.Context, model string) (*sdk.ModelDetails, error) {
	if err := checkName(model); err != nil {
		return nil, err
	}
	s, _, err := p.snapshot()
	if err != nil {
		return nil, err
	}
	dir := p.modelDir(s, model)
	task, device, ok := graphInfo(dir)
	if !ok {
		return nil, sdk.Errorf(sdk.CodeModelNotFound, "model %q is not in the model repository %s", model, s.repoDir)
	}
	graph, _ := os.ReadFile(filepath.Join(dir, "graph.pbtxt"))
	m := sdk.Model{Name: model, Format: "openvino", Services: taskServices[task], SizeBytes: dirSize(dir)}
	return &sdk.ModelDetails{Model: m, Modelfile: string(graph),
		Details: map[string]string{"task": task, "target_device": device, "path": dir}}, nil
}

// ensureLoaded loads a model of the repository that config.json does not
// name yet, so a request to a pulled model just works, as with Ollama.
func (p *plugin) ensureLoaded(ctx context.Context, model string) (settings, error) {
	s, reg, err := p.snapshot()
	if err != nil {
		return s, err
	}
	if s, err = p.ensureEngine(ctx); err != nil {
		return s, err
	}
	if model == "" || checkName(model) != nil {
		return s, nil
	}
	entries, err := reg.Entries()
	if err != nil {
		return s, nil
	}
	if hasEntry(entries, model) {
		// Configured: after an engine (re)start it may still be loading.
		return s, p.waitReady(ctx, s, model, false)
	}
	if _, _, ok := graphInfo(p.modelDir(s, model)); !ok {
		return s, nil // OVMS answers "not found" itself
	}
	return s, p.LoadModel(ctx, &sdk.LoadRequest{Model: model})
}
