package client

import (
	"context"
	"errors"
	"net/http"

	"github.com/roundhouse-ai/roundhouse/types"
)

// InventoryModel is one model of GET /v1/inventory: what its engine or
// provider tells about it, with the plugin that serves it and the
// plugin's type (local or remote).
type InventoryModel struct {
	types.Model
	Plugin string `json:"plugin"`
	Type   string `json:"type,omitempty"`
}

// Inventory is GET /v1/inventory.
type Inventory struct {
	Models []InventoryModel `json:"models"`
}

// Inventory lists the models of every plugin (running=true: only those
// loaded in memory), in the native shape.
func (c *Client) Inventory(ctx context.Context, running bool) ([]InventoryModel, error) {
	path := "/v1/inventory"
	if running {
		path += "?running=true"
	}
	out, err := callJSON[Inventory](ctx, c, http.MethodGet, path, nil)
	if err != nil {
		return nil, err
	}
	return out.Models, nil
}

// Models lists models across plugins; running=true lists loaded ones. It
// reads GET /v1/inventory, and the OpenAI-shaped GET /v1/models of hosts
// older than it.
func (c *Client) Models(ctx context.Context, running bool) ([]Model, error) {
	inv, err := c.Inventory(ctx, running)
	var se *StatusError
	if errors.As(err, &se) && se.StatusCode == http.StatusNotFound && se.Code() != types.CodeModelNotFound {
		return c.openAIModels(ctx, running)
	}
	if err != nil {
		return nil, err
	}
	state := ""
	if running {
		state = "running"
	}
	out := make([]Model, 0, len(inv))
	for _, m := range inv {
		out = append(out, Model{ID: m.Name, Object: "model", Created: m.ModifiedAt, OwnedBy: m.Plugin,
			Plugin: m.Plugin, Provider: m.Provider, Size: m.SizeBytes, State: state})
	}
	return out, nil
}

func (c *Client) openAIModels(ctx context.Context, running bool) ([]Model, error) {
	path := "/v1/models"
	if running {
		path += "?state=running"
	}
	out, err := callJSON[ModelList](ctx, c, http.MethodGet, path, nil)
	if err != nil {
		return nil, err
	}
	return out.Data, nil
}
