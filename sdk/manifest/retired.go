package manifest

import (
	"encoding/json"
	"fmt"
	"sort"

	"gopkg.in/yaml.v3"
)

// retiredServiceKeys are service keys earlier manifests carried that
// nothing read. They are refused (not ignored) so a manifest does not
// promise what the host does not do; each says what to do instead.
var retiredServiceKeys = map[string]string{
	"task_type":       "not supported; service_name already says what the service does — remove the key",
	"protocol":        "not supported; plugins always speak gRPC to the host through sdk.Serve, and how a plugin reaches its engine or cloud is its own code's business — remove the key",
	"expose_protocol": "not supported; the host exposes every service on its own HTTP API (native and compatible surfaces) — remove the key",
	"endpoint":        "not supported; the engine or cloud address belongs in the plugin's settings or a provider's base_url in the host config — remove the key",
	"auth_type":       "not supported; credentials are per provider: set auth_type and api_keys on the provider (POST /v1/providers or plugins.<name>.providers in the host config) — remove the key",
	"auth_fields":     "not supported; credentials are per provider: set api_keys on the provider (POST /v1/providers or plugins.<name>.providers in the host config) — remove the key",
	"config_ref":      "not supported; a plugin's settings live in the host config under plugins.<name>.settings and reach it through Configure — remove the key",
	"middlewares":     "not supported; request handling (auth, limits, timeouts) is the host's and is set in the host config — remove the key",
}

// retiredProblems looks for retired keys and old-style dependency lists
// in a manifest that failed to decode, so the error says what to change
// rather than "field x not found". It returns nil when it finds none (the
// decoder's own error then stands).
func retiredProblems(data []byte, format string) []string {
	var tree any
	switch format {
	case "json":
		if json.Unmarshal(data, &tree) != nil {
			return nil
		}
	default:
		if yaml.Unmarshal(data, &tree) != nil {
			return nil
		}
	}
	root, ok := tree.(map[string]any)
	if !ok {
		return nil
	}
	var p []string
	if svcs, ok := root["services"].([]any); ok {
		for i, s := range svcs {
			svc, ok := s.(map[string]any)
			if !ok {
				continue
			}
			for key, why := range retiredServiceKeys {
				if _, used := svc[key]; used {
					p = append(p, fmt.Sprintf("services[%d].%s: %s", i, key, why))
				}
			}
		}
	}
	if plats, ok := root["platforms"].(map[string]any); ok {
		for key, v := range plats {
			pc, ok := v.(map[string]any)
			if !ok {
				continue
			}
			deps, ok := pc["dependencies"].([]any)
			if !ok {
				continue
			}
			for i, d := range deps {
				if name, ok := d.(string); ok {
					p = append(p, fmt.Sprintf("platforms.%s.dependencies[%d]: write {command: %s} (an executable on PATH) or {file: <path>}, with install: <how to get it>", key, i, name))
				}
			}
		}
	}
	sort.Strings(p)
	return p
}
