package backend

import (
	"net/http"

	"github.com/roundhouse-ai/roundhouse/sdk"
)

// Route headers let a client of a compatible surface (OpenAI, Ollama,
// Anthropic), whose dialect has no field for it, say where a request runs.
const (
	HeaderPolicy = "X-Roundhouse-Policy" // auto | local | remote
	HeaderPlugin = "X-Roundhouse-Plugin" // pin a plugin by name
	// HeaderProvider pins a provider instance of a remote plugin.
	HeaderProvider = "X-Roundhouse-Provider"
	// HeaderModel (answers only) is the model that answered.
	HeaderModel = "X-Roundhouse-Model"
	// HeaderRequestID is kept from the request or made by the host, and
	// sent back on every answer.
	HeaderRequestID = "X-Request-Id"
	// HeaderIdempotencyKey de-duplicates identical non-stream requests.
	HeaderIdempotencyKey = "Idempotency-Key"
)

// ParsePolicy validates a policy name; "" means auto. field names the
// request field or header it came from, for the error.
func ParsePolicy(s, field string) (Policy, error) {
	switch p := Policy(s); p {
	case "":
		return PolicyAuto, nil
	case PolicyAuto, PolicyLocal, PolicyRemote:
		return p, nil
	default:
		return PolicyAuto, sdk.FieldError(field, "unknown policy %q (want auto, local or remote)", s)
	}
}

// RouteFromHeaders reads the route headers of r.
func RouteFromHeaders(r *http.Request) (Route, error) {
	p, err := ParsePolicy(r.Header.Get(HeaderPolicy), HeaderPolicy)
	return Route{Policy: p, Plugin: r.Header.Get(HeaderPlugin), Provider: r.Header.Get(HeaderProvider),
		IdempotencyKey: r.Header.Get(HeaderIdempotencyKey)}, err
}
