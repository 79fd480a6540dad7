package client

import (
	"context"
	"net/http"
	"time"
)

// Reload is POST /v1/reload: the host reads its config file and plugin
// roots again and applies the difference. A config that does not load is
// a *StatusError (400, field "config") and changes nothing; a plugin whose
// new manifest or executable is unusable keeps its previous version and
// is named in Report.Errors.
func (c *Client) Reload(ctx context.Context) (*ReloadResult, error) {
	return callJSON[ReloadResult](ctx, c, http.MethodPost, "/v1/reload", nil)
}

// ReloadResult is what POST /v1/reload answers.
type ReloadResult struct {
	At time.Time `json:"at"`
	// Error says why the config could not be loaded (the last good one
	// keeps serving).
	Error  string      `json:"error,omitempty"`
	Report ApplyReport `json:"report"`
}

// ApplyReport is what a reload changed.
type ApplyReport struct {
	Added        []string `json:"added"`
	Removed      []string `json:"removed"`
	Restarted    []string `json:"restarted"`
	Reconfigured []string `json:"reconfigured"`
	// Errors are plugins whose new manifest or binary is unusable, by
	// name: the previous version keeps serving.
	Errors map[string]string `json:"errors"`
	// NeedsRestart are config keys that changed but take effect only when
	// the host restarts (the listen address).
	NeedsRestart []string `json:"needs_restart"`
}

// ConfigView is GET /v1/config: the configuration in force (the file,
// the embedded default and runtime changes merged), secrets masked, with
// the config file's key names.
type ConfigView struct {
	// Path is the config file ("" = the embedded default only).
	Path   string         `json:"path"`
	Config map[string]any `json:"config"`
}

// Config is GET /v1/config.
func (c *Client) Config(ctx context.Context) (*ConfigView, error) {
	return callJSON[ConfigView](ctx, c, http.MethodGet, "/v1/config", nil)
}
