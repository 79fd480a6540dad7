package client

import (
	"context"
	"net/http"
)

// Routes is GET /v1/routes: per service and group, the targets the host
// dispatches to, the strategy, breaker state and counts, health score,
// latency and canary weights. The answer is returned as the JSON object
// the host sends, so this client reads every field the host adds.
func (c *Client) Routes(ctx context.Context) (map[string]any, error) {
	out, err := callJSON[map[string]any](ctx, c, http.MethodGet, "/v1/routes", nil)
	if err != nil {
		return nil, err
	}
	return *out, nil
}
