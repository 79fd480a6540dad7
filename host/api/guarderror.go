package api

import (
	"net/http"
	"strings"

	"github.com/roundhouse-ai/roundhouse/host/httpx"
	"github.com/roundhouse-ai/roundhouse/sdk"
)

// guardError answers a request refused before any handler ran (origin,
// authentication, admission, unknown route) in the error shape of the
// surface the client speaks, so the official clients show the message:
// Ollama's {"error": "..."} under /api/, Anthropic's typed error for
// /v1/messages, the native shape (which OpenAI clients also read) elsewhere.
func guardError(w http.ResponseWriter, r *http.Request, status int, code sdk.Code, field, msg string) {
	path := r.URL.Path
	switch {
	case strings.HasPrefix(path, "/api/"):
		httpx.WriteJSON(w, status, map[string]string{"error": msg})
	case path == "/v1/messages" || strings.HasPrefix(path, "/v1/messages/"):
		typ := "invalid_request_error"
		switch status {
		case http.StatusUnauthorized:
			typ = "authentication_error"
		case http.StatusForbidden:
			typ = "permission_error"
		case http.StatusNotFound:
			typ = "not_found_error"
		case http.StatusRequestEntityTooLarge:
			typ = "request_too_large"
		case http.StatusTooManyRequests:
			typ = "rate_limit_error"
		}
		httpx.WriteJSON(w, status, map[string]any{"type": "error", "error": map[string]string{"type": typ, "message": msg}})
	default:
		httpx.WriteJSON(w, status, ErrorBody{Error: ErrorDetail{Message: msg, Code: code.String(), CodeNumber: int(code), Field: field,
			Retryable: status == http.StatusTooManyRequests}})
	}
}
