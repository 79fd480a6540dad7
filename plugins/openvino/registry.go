package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"

	"github.com/roundhouse-ai/roundhouse/sdk"
)

// registry is OVMS's config.json, the list of servables OVMS serves
// (docs/parameters.md; the schema is src/schema.cpp). Models this plugin
// loads go under model_config_list as {"config": {"name", "base_path"}},
// as `ovms --add_to_config` writes them (src/config_export_module/
// config_export.cpp); entries under mediapipe_config_list (graphs a user
// added by hand) are read and can be removed. Keys and entries the plugin
// does not know are kept as they are: the file is the user's too.
type registry struct {
	path string
	mu   sync.Mutex
}

// entry is one servable in config.json.
type entry struct {
	Name     string
	BasePath string
	List     string // "model_config_list" or "mediapipe_config_list"
}

type configDoc struct {
	top    map[string]json.RawMessage
	models []json.RawMessage
	graphs []json.RawMessage
}

func (r *registry) read() (*configDoc, error) {
	doc := &configDoc{top: map[string]json.RawMessage{}}
	data, err := os.ReadFile(r.path)
	if errors.Is(err, fs.ErrNotExist) {
		return doc, nil
	}
	if err != nil {
		return nil, err
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return doc, nil
	}
	if err := json.Unmarshal(data, &doc.top); err != nil {
		return nil, sdk.Errorf(sdk.CodeFailedPrecondition, "%s is not valid JSON (%v): fix or remove it", r.path, err)
	}
	if raw, ok := doc.top["model_config_list"]; ok {
		if err := json.Unmarshal(raw, &doc.models); err != nil {
			return nil, sdk.Errorf(sdk.CodeFailedPrecondition, "%s: model_config_list must be a list (%v)", r.path, err)
		}
	}
	if raw, ok := doc.top["mediapipe_config_list"]; ok {
		if err := json.Unmarshal(raw, &doc.graphs); err != nil {
			return nil, sdk.Errorf(sdk.CodeFailedPrecondition, "%s: mediapipe_config_list must be a list (%v)", r.path, err)
		}
	}
	return doc, nil
}

func modelEntry(raw json.RawMessage) entry {
	var m struct {
		Config struct {
			Name     string `json:"name"`
			BasePath string `json:"base_path"`
		} `json:"config"`
	}
	_ = json.Unmarshal(raw, &m)
	return entry{Name: m.Config.Name, BasePath: m.Config.BasePath, List: "model_config_list"}
}

func graphEntry(raw json.RawMessage) entry {
	var g struct {
		Name     string `json:"name"`
		BasePath string `json:"base_path"`
	}
	_ = json.Unmarshal(raw, &g)
	return entry{Name: g.Name, BasePath: g.BasePath, List: "mediapipe_config_list"}
}

// Entries lists the servables config.json names.
func (r *registry) Entries() ([]entry, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	doc, err := r.read()
	if err != nil {
		return nil, err
	}
	var out []entry
	for _, m := range doc.models {
		out = append(out, modelEntry(m))
	}
	for _, g := range doc.graphs {
		out = append(out, graphEntry(g))
	}
	return out, nil
}

// Add puts name (served from dir) into model_config_list. It reports
// false when the name was there already.
func (r *registry) Add(name, dir string) (bool, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	doc, err := r.read()
	if err != nil {
		return false, err
	}
	for _, m := range doc.models {
		if modelEntry(m).Name == name {
			return false, nil
		}
	}
	for _, g := range doc.graphs {
		if graphEntry(g).Name == name {
			return false, nil
		}
	}
	item, _ := json.Marshal(map[string]any{"config": map[string]string{"name": name, "base_path": dir}})
	doc.models = append(doc.models, item)
	return true, r.write(doc)
}

// Remove takes name out of either list. It reports false when it was not
// there.
func (r *registry) Remove(name string) (bool, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	doc, err := r.read()
	if err != nil {
		return false, err
	}
	found := false
	keep := func(list []json.RawMessage, get func(json.RawMessage) entry) []json.RawMessage {
		out := list[:0:0]
		for _, it := range list {
			if get(it).Name == name {
				found = true
				continue
			}
			out = append(out, it)
		}
		return out
	}
	doc.models = keep(doc.models, modelEntry)
	doc.graphs = keep(doc.graphs, graphEntry)
	if !found {
		return false, nil
	}
	return true, r.write(doc)
}

// write replaces config.json atomically (a temporary file in the same
// directory, synced, renamed over it), so OVMS, which polls the file, never
// reads half of it: a torn read would be "not compliant with JSON schema"
// and OVMS would apply nothing until the next change. Not
// engine.WriteFileAtomic: config.json must stay readable (0644) by an OVMS
// running as another user or in a container, and is synced before the
// rename so a crash cannot leave an empty registry.
func (r *registry) write(doc *configDoc) error {
	if doc.models == nil {
		doc.models = []json.RawMessage{}
	}
	doc.top["model_config_list"], _ = json.Marshal(doc.models)
	if len(doc.graphs) > 0 {
		doc.top["mediapipe_config_list"], _ = json.Marshal(doc.graphs)
	} else {
		delete(doc.top, "mediapipe_config_list")
	}
	data, err := json.MarshalIndent(doc.top, "", "    ")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(r.path), 0o755); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(r.path), ".config.json.*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(append(data, '\n')); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), r.path); err != nil {
		return fmt.Errorf("replace %s: %w", r.path, err)
	}
	return nil
}

// ensure creates an empty config.json when there is none: OVMS refuses to
// start with a --config_path that does not exist.
func (r *registry) ensure() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, err := os.Stat(r.path); err == nil {
		return nil
	}
	return r.write(&configDoc{top: map[string]json.RawMessage{}})
}
