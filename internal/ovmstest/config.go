package ovmstest

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// ConfigFile is OVMS's config.json: docs/parameters.md ("Model
// Configuration Options") and src/schema.cpp. Servables are listed under
// model_config_list as {"config": {"name", "base_path", ...}} (what
// `ovms --add_to_config` writes, src/config_export_module/config_export.cpp)
// and under mediapipe_config_list as {"name", "base_path"} (graphs, e.g.
// demos/continuous_batching/config.json).
type ConfigFile struct {
	ModelConfigList     []ModelConfigItem `json:"model_config_list"`
	MediapipeConfigList []MediapipeConfig `json:"mediapipe_config_list,omitempty"`
}

// ModelConfigItem wraps one model's settings, as OVMS nests them.
type ModelConfigItem struct {
	Config ModelConfig `json:"config"`
}

// ModelConfig is one entry of model_config_list.
type ModelConfig struct {
	Name         string `json:"name"`
	BasePath     string `json:"base_path"`
	TargetDevice string `json:"target_device,omitempty"`
}

// MediapipeConfig is one entry of mediapipe_config_list.
type MediapipeConfig struct {
	Name      string `json:"name"`
	BasePath  string `json:"base_path,omitempty"`
	GraphPath string `json:"graph_path,omitempty"`
}

// servable is one configured name with its resolved directory.
type servable struct {
	Name, Dir, Device string
}

// parseConfig reads config.json and resolves base paths relative to its
// directory, as OVMS does ("The path can be also relative to the
// config.json location", docs/parameters.md). A file that is not valid
// JSON or breaks the schema is refused whole: "if a new config.json is not
// compliant with JSON schema, no changes are applied" (docs/
// online_config_changes.md).
func parseConfig(path string) ([]servable, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(data, &raw); err != nil {
		return nil, fmt.Errorf("config file is not valid JSON: %v", err)
	}
	for k := range raw {
		switch k {
		case "model_config_list", "mediapipe_config_list", "custom_loader_config_list", "pipeline_config_list", "monitoring":
		default:
			return nil, fmt.Errorf("config file is not in valid configuration format: unknown key %q", k)
		}
	}
	if _, ok := raw["model_config_list"]; !ok {
		if _, ok := raw["mediapipe_config_list"]; !ok {
			return nil, fmt.Errorf("config file is not in valid configuration format: model_config_list is missing")
		}
	}
	var cf ConfigFile
	if err := json.Unmarshal(data, &cf); err != nil {
		return nil, fmt.Errorf("config file is not in valid configuration format: %v", err)
	}
	base := filepath.Dir(path)
	resolve := func(p string) string {
		if p == "" || filepath.IsAbs(p) {
			return p
		}
		return filepath.Join(base, p)
	}
	seen := map[string]bool{}
	var out []servable
	for _, m := range cf.ModelConfigList {
		if m.Config.Name == "" || m.Config.BasePath == "" {
			return nil, fmt.Errorf("config file is not in valid configuration format: a model needs name and base_path")
		}
		if seen[m.Config.Name] {
			return nil, fmt.Errorf("duplicated servable name %q", m.Config.Name)
		}
		seen[m.Config.Name] = true
		out = append(out, servable{Name: m.Config.Name, Dir: resolve(m.Config.BasePath), Device: m.Config.TargetDevice})
	}
	for _, g := range cf.MediapipeConfigList {
		if g.Name == "" {
			return nil, fmt.Errorf("config file is not in valid configuration format: a graph needs a name")
		}
		if seen[g.Name] {
			return nil, fmt.Errorf("duplicated servable name %q", g.Name)
		}
		seen[g.Name] = true
		dir := resolve(g.BasePath)
		if dir == "" {
			dir = filepath.Join(base, g.Name)
		}
		out = append(out, servable{Name: g.Name, Dir: dir})
	}
	return out, nil
}

// Graph calculators by task: the names OVMS writes into graph.pbtxt when
// it pulls a model (src/graph_export/*.cpp).
var taskCalculators = map[string]string{
	"text_generation":  "HttpLLMCalculator",
	"embeddings":       "EmbeddingsCalculatorOV",
	"rerank":           "RerankCalculatorOV",
	"image_generation": "ImageGenCalculator",
	"text2speech":      "T2sCalculator",
	"speech2text":      "S2tCalculator",
}

// graphTask reads the task from a model directory's graph.pbtxt; "" when
// the directory has none (or names no calculator this fake knows).
func graphTask(dir string) string {
	data, err := os.ReadFile(filepath.Join(dir, "graph.pbtxt"))
	if err != nil {
		return ""
	}
	for task, calc := range taskCalculators {
		if strings.Contains(string(data), `calculator: "`+calc+`"`) {
			return task
		}
	}
	return ""
}
