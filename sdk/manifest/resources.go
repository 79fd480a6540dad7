package manifest

import "encoding/json"

// MarshalJSON flattens Extra next to data_dir, as in plugin.yaml.
func (r Resources) MarshalJSON() ([]byte, error) {
	flat := make(map[string]string, len(r.Extra)+1)
	for k, v := range r.Extra {
		flat[k] = v
	}
	if r.DataDir != "" {
		flat["data_dir"] = r.DataDir
	}
	return json.Marshal(flat)
}

// UnmarshalJSON reads data_dir and keeps every other key in Extra.
func (r *Resources) UnmarshalJSON(data []byte) error {
	var flat map[string]string
	if err := json.Unmarshal(data, &flat); err != nil {
		return err
	}
	r.DataDir = flat["data_dir"]
	delete(flat, "data_dir")
	if len(flat) > 0 {
		r.Extra = flat
	}
	return nil
}
