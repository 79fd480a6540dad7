package anthropic

import (
	"log/slog"
	"net/http"

	"github.com/roundhouse-ai/roundhouse/host/httpx"
	"github.com/roundhouse-ai/roundhouse/sdk"
)

// ErrorStatus is the HTTP status for err: 413 for an oversize body, the
// sdk code's status otherwise.
func ErrorStatus(err error) int {
	if httpx.IsTooLarge(err) {
		return http.StatusRequestEntityTooLarge
	}
	return sdk.ErrorCode(err).HTTPStatus()
}

// ErrorType is Anthropic's error type for an HTTP status.
func ErrorType(status int) string {
	switch status {
	case http.StatusUnauthorized:
		return "authentication_error"
	case http.StatusForbidden:
		return "permission_error"
	case http.StatusNotFound:
		return "not_found_error"
	case http.StatusRequestEntityTooLarge:
		return "request_too_large"
	case http.StatusTooManyRequests:
		return "rate_limit_error"
	case http.StatusServiceUnavailable, 529:
		return "overloaded_error"
	case http.StatusGatewayTimeout:
		return "timeout_error"
	}
	if status >= 500 {
		return "api_error"
	}
	// Anthropic uses invalid_request_error for other 4xx statuses.
	return "invalid_request_error"
}

// ToError translates err into Anthropic's error body and status.
func ToError(err error) (int, ErrorResponse) {
	e := sdk.AsError(err)
	status := ErrorStatus(err)
	msg := e.Error()
	if msg == "" {
		msg = e.Code.String()
	}
	return status, ErrorResponse{Type: "error", Error: ErrorBody{Type: ErrorType(status), Message: msg}}
}

func writeError(w http.ResponseWriter, r *http.Request, log *slog.Logger, err error) {
	if r.Context().Err() != nil {
		return // the client went away
	}
	status, body := ToError(err)
	if status >= 500 {
		log.Warn("anthropic compat: request failed", "path", r.URL.Path, "status", status, "err", err)
	}
	httpx.SetRetryAfter(w, err)
	httpx.WriteJSON(w, status, body)
}
