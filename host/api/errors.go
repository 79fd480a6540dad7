package api

import (
	"context"
	"errors"
	"log/slog"
	"net/http"

	"github.com/roundhouse-ai/roundhouse/client"
	"github.com/roundhouse-ai/roundhouse/host/httpx"
	"github.com/roundhouse-ai/roundhouse/sdk"
)

// ErrorBody and ErrorDetail are the native error shape (see client).
type (
	ErrorBody   = client.ErrorBody
	ErrorDetail = client.ErrorDetail
)

// errorDetail converts any error into the native shape and its HTTP status.
func errorDetail(err error) (int, ErrorDetail) {
	e := sdk.AsError(err)
	if errors.Is(err, context.Canceled) && e.Code == sdk.CodeUnknown {
		e.Code = sdk.CodeCanceled
	}
	status := e.Code.HTTPStatus()
	if httpx.IsTooLarge(err) {
		status = http.StatusRequestEntityTooLarge
	}
	return status, ErrorDetail{Message: e.Message, Code: e.Code.String(), CodeNumber: int(e.Code),
		Field: e.Field, Retryable: e.Retryable, RetryAfter: e.RetryAfter.Seconds()}
}

// writeError answers err as JSON with the status its code maps to.
func writeError(w http.ResponseWriter, r *http.Request, log *slog.Logger, err error) {
	status, d := errorDetail(err)
	if status >= 500 {
		log.Warn("request failed", "method", r.Method, "path", r.URL.Path, "status", status, "error", d.Message)
	}
	httpx.SetRetryAfter(w, err)
	httpx.WriteJSON(w, status, ErrorBody{Error: d})
}
