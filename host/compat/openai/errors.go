package openai

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

// ErrorType is OpenAI's error type for an HTTP status (and code).
func ErrorType(status int, code sdk.Code) string {
	switch {
	case code == sdk.CodeQuotaExceeded || code == sdk.CodeUpstreamQuota:
		return "insufficient_quota"
	case status == http.StatusUnauthorized:
		return "authentication_error"
	case status == http.StatusForbidden:
		return "permission_error"
	case status == http.StatusTooManyRequests:
		return "rate_limit_error"
	case status >= 500:
		return "server_error"
	}
	// OpenAI answers every other 4xx, 404 model_not_found included, with
	// invalid_request_error.
	return "invalid_request_error"
}

// ToError translates err into OpenAI's error body and status. The param is
// the field the sdk error names; the code is the sdk code's name
// ("model_not_found", "context_length_exceeded", "invalid_argument").
func ToError(err error) (int, ErrorResponse) {
	e := sdk.AsError(err)
	status := ErrorStatus(err)
	code := e.Code.String()
	if httpx.IsTooLarge(err) {
		code = "request_too_large"
	}
	body := ErrorBody{Message: e.Error(), Type: ErrorType(status, e.Code), Code: &code}
	if e.Field != "" {
		p := e.Field
		body.Param = &p
	}
	if e.Code == sdk.CodeModelNotFound && body.Param == nil {
		p := "model"
		body.Param = &p
	}
	return status, ErrorResponse{Error: body}
}

// writeError answers err in OpenAI's shape, unless the client is gone.
func writeError(w http.ResponseWriter, r *http.Request, log *slog.Logger, err error) {
	if clientGone(r, err) {
		return
	}
	status, body := ToError(err)
	if status >= 500 {
		log.Warn("openai compat: request failed", "path", r.URL.Path, "status", status, "err", err)
	}
	httpx.SetRetryAfter(w, err)
	httpx.WriteJSON(w, status, body)
}

// clientGone reports whether the request's client has gone (its context
// ended), in which case nobody reads an answer.
func clientGone(r *http.Request, _ error) bool {
	return r.Context().Err() != nil
}
