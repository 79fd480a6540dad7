package client

import (
	"context"
	"encoding/json"
	"net/http"
)

// Reload is POST /v1/reload: the host reads its config file and plugin
// roots again. A broken config or manifest leaves what runs untouched and
// comes back as an error; settings that need a restart are listed.
func (c *Client) Reload(ctx context.Context) (*ReloadResult, error) {
	resp, err := c.do(ctx, http.MethodPost, "/v1/reload", nil, "application/json")
	if err != nil {
		return nil, err
	}
	raw, err := readAll(resp)
	if err != nil {
		return nil, err
	}
	out := &ReloadResult{Raw: raw}
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, out); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// ReloadResult is what POST /v1/reload answers. Raw is the whole answer,
// for fields this client does not know yet.
type ReloadResult struct {
	Status string `json:"status,omitempty"`
	// RestartRequired names settings that changed but take effect only
	// when the host restarts (the listen address).
	RestartRequired []string        `json:"restart_required,omitempty"`
	Raw             json.RawMessage `json:"-"`
}

// Config is GET /v1/config: the effective configuration, secrets masked,
// as the host serves it (a JSON object).
func (c *Client) Config(ctx context.Context) (map[string]any, error) {
	out, err := callJSON[map[string]any](ctx, c, http.MethodGet, "/v1/config", nil)
	if err != nil {
		return nil, err
	}
	return *out, nil
}
