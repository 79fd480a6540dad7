package ollama

import (
	"log/slog"
	"net/http"

	"github.com/roundhouse-ai/roundhouse/host/httpx"
	"github.com/roundhouse-ai/roundhouse/sdk"
)

// ErrorStatus is the HTTP status for err: 413 for an oversize body, the
// sdk code's status otherwise (404 unknown model, 400 bad request...).
func ErrorStatus(err error) int {
	if httpx.IsTooLarge(err) {
		return http.StatusRequestEntityTooLarge
	}
	return sdk.ErrorCode(err).HTTPStatus()
}

// ToError translates err into Ollama's {"error": "..."} and its status.
func ToError(err error) (int, ErrorResponse) {
	e := sdk.AsError(err)
	msg := e.Error()
	if msg == "" {
		msg = e.Code.String()
	}
	return ErrorStatus(err), ErrorResponse{Error: msg}
}

func writeError(w http.ResponseWriter, r *http.Request, log *slog.Logger, err error) {
	if r.Context().Err() != nil {
		return // the client went away
	}
	status, body := ToError(err)
	if status >= 500 {
		log.Warn("ollama compat: request failed", "path", r.URL.Path, "status", status, "err", err)
	}
	httpx.SetRetryAfter(w, err)
	httpx.WriteJSON(w, status, body)
}
