package main

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"syscall"

	"github.com/ollama/ollama/api"

	"github.com/roundhouse-ai/roundhouse/sdk"
)

// op says what a call was doing, so an error Ollama reports without a
// status (a mid-stream {"error": ...}) still gets a meaningful code.
type op struct {
	what     string   // "chat", "pull", ...
	model    string   // the model involved, if any
	fallback sdk.Code // code for errors nothing more specific matches
}

// mapError turns an error from Ollama's client into an *sdk.Error whose
// code says what happened and whose message says what to do about it.
// Once ctx is done its error is returned instead: the SDK maps it to
// canceled or timeout.
func (p *plugin) mapError(ctx context.Context, err error, o op) error {
	if err == nil {
		return nil
	}
	if ctxErr := ctx.Err(); ctxErr != nil {
		return ctxErr // whatever broke, it broke because the caller left or ran out of time
	}
	var se *sdk.Error
	if errors.As(err, &se) {
		return se
	}
	var status api.StatusError
	if errors.As(err, &status) {
		return classify(status.StatusCode, status.ErrorMessage, o)
	}
	var auth api.AuthorizationError
	if errors.As(err, &auth) {
		return &sdk.Error{Code: sdk.CodeUpstreamAuth, Err: err,
			Message: "Ollama asks for authorization (" + auth.Error() + "); models that need a sign-in do not work through Roundhouse"}
	}
	if unreachable(err) {
		return p.unavailable(err)
	}
	// Mid-stream errors arrive as plain errors with Ollama's message.
	return classify(0, err.Error(), o)
}

// unreachable reports errors that mean the engine did not answer at all,
// or went away in the middle of an answer.
func unreachable(err error) bool {
	var ne net.Error
	var oe *net.OpError
	return errors.As(err, &oe) || errors.As(err, &ne) ||
		errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) ||
		errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF)
}

// unavailable is the retryable error for an engine that does not answer.
func (p *plugin) unavailable(err error) *sdk.Error {
	st := p.snapshot()
	msg := "Ollama at " + st.set.hostPort + " is not reachable"
	if err != nil {
		msg += " (" + err.Error() + ")"
	}
	switch st.mode {
	case modeAttached:
		msg += "; Roundhouse uses an Ollama it did not start there: start it again (ollama serve), or call StartEngine to let Roundhouse run its own"
	default:
		msg += "; the managed engine is restarting or stopped: retry shortly, or check EngineStatus for its last error"
	}
	return &sdk.Error{Code: sdk.CodeEngineUnavailable, Message: msg, Retryable: true, Err: err}
}

// classify maps an Ollama error message (and HTTP status when known).
func classify(status int, msg string, o op) *sdk.Error {
	lower := strings.ToLower(msg)
	e := &sdk.Error{Code: o.fallback, Message: "ollama: " + msg}
	if e.Code == 0 {
		e.Code = sdk.CodeUpstreamError
	}
	switch {
	case strings.Contains(lower, "invalid model name"):
		e.Code, e.Field = sdk.CodeModelInvalidName, "model"
	case strings.Contains(lower, "file does not exist") && o.what == "pull":
		// What Ollama says when the registry has no such manifest.
		e.Code = sdk.CodeModelNotFound
		e.Message = "model " + quote(o.model) + " was not found in its registry (" + msg + "); check the name and tag"
	case status == http.StatusNotFound || strings.Contains(lower, "not found"):
		if o.model != "" {
			e.Code = sdk.CodeModelNotFound
			e.Message = "model " + quote(o.model) + " is not installed in Ollama; pull it first (PullModel) or pick one from ListModels"
		} else {
			e.Code = sdk.CodeNotFound
		}
	case strings.Contains(lower, "does not support"):
		e.Code = sdk.CodeModelUnsupported
		e.Message = "ollama: " + msg + "; use a model that has this capability (ShowModel lists them)"
	case strings.Contains(lower, "context length") || strings.Contains(lower, "context window"):
		e.Code = sdk.CodeContextTooLong
	case strings.Contains(lower, "requires more system memory") || strings.Contains(lower, "unable to load") ||
		strings.Contains(lower, "runner process has terminated") || strings.Contains(lower, "error loading model"):
		e.Code = sdk.CodeModelLoadFailed
		e.Message = "ollama could not load " + quote(o.model) + ": " + msg + "; free memory (UnloadModel) or use a smaller model or num_ctx"
	case status == http.StatusTooManyRequests:
		e.Code, e.Retryable = sdk.CodeRateLimited, true
	case status == http.StatusServiceUnavailable || strings.Contains(lower, "server busy"):
		e.Code, e.Retryable = sdk.CodeEngineUnavailable, true
		e.Message = "ollama is busy (" + msg + "); retry shortly or raise OLLAMA_MAX_QUEUE in settings.engine_env"
	case status == http.StatusBadRequest:
		e.Code = sdk.CodeInvalidArgument
	}
	return e
}

func quote(s string) string { return "\"" + s + "\"" }
