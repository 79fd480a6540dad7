package types

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"
)

// Code is Roundhouse's error code. Families: general 0-15, plugin 1000s,
// engine 2000s, model 3000s, service 4000s. Codes travel with errors from
// plugin to host to the HTTP client, and decide the HTTP status.
type Code int

// General codes.
const (
	CodeOK                 Code = 0
	CodeUnknown            Code = 1
	CodeInvalidArgument    Code = 2
	CodeNotFound           Code = 3
	CodeAlreadyExists      Code = 4
	CodePermissionDenied   Code = 5
	CodeUnauthenticated    Code = 6
	CodeRateLimited        Code = 7
	CodeFailedPrecondition Code = 8
	CodeCanceled           Code = 9
	CodeTimeout            Code = 10
	CodeUnimplemented      Code = 11
	CodeInternal           Code = 12
	CodeUnavailable        Code = 13
	CodeQuotaExceeded      Code = 14
	// CodeBudgetExceeded: a host budget (tokens or cost per window) is
	// used up; RetryAfter says when its window resets.
	CodeBudgetExceeded Code = 15
)

// Plugin codes.
const (
	CodePluginNotFound      Code = 1000
	CodePluginStartFailed   Code = 1001
	CodePluginCrashed       Code = 1002
	CodePluginNotConfigured Code = 1003
	CodeManifestInvalid     Code = 1004
	// CodePluginUnavailable: the plugin is down or restarting right now;
	// retry after RetryAfter. (A model's plugin being away is not the
	// model being unknown.)
	CodePluginUnavailable Code = 1005
)

// Engine codes.
const (
	CodeEngineNotInstalled   Code = 2000
	CodeEngineInstallFailed  Code = 2001
	CodeEngineStartFailed    Code = 2002
	CodeEngineUnavailable    Code = 2003
	CodeEngineChecksum       Code = 2004
	CodeEngineNotManaged     Code = 2005
	CodeEngineVersionUnknown Code = 2006
)

// Model codes.
const (
	CodeModelNotFound     Code = 3000
	CodeModelPullFailed   Code = 3001
	CodeModelInvalidName  Code = 3002
	CodeModelLoadFailed   Code = 3003
	CodeContextTooLong    Code = 3004
	CodeModelUnsupported  Code = 3005
	CodeModelDeleteFailed Code = 3006
)

// Service codes.
const (
	CodeServiceNotFound     Code = 4000
	CodeServiceUnavailable  Code = 4001
	CodeUpstreamError       Code = 4002
	CodeContentFiltered     Code = 4003
	CodeUpstreamAuth        Code = 4004
	CodeNoUsableKey         Code = 4005
	CodeUpstreamRateLimited Code = 4006
	CodeUpstreamQuota       Code = 4007
	CodeUpstreamTimeout     Code = 4008
)

var codeNames = map[Code]string{
	CodeOK: "ok", CodeUnknown: "unknown", CodeInvalidArgument: "invalid_argument",
	CodeNotFound: "not_found", CodeAlreadyExists: "already_exists",
	CodePermissionDenied: "permission_denied", CodeUnauthenticated: "unauthenticated",
	CodeRateLimited: "rate_limited", CodeFailedPrecondition: "failed_precondition",
	CodeCanceled: "canceled", CodeTimeout: "timeout", CodeUnimplemented: "unimplemented",
	CodeInternal: "internal", CodeUnavailable: "unavailable", CodeQuotaExceeded: "quota_exceeded",
	CodeBudgetExceeded: "budget_exceeded",
	CodePluginNotFound: "plugin_not_found", CodePluginStartFailed: "plugin_start_failed",
	CodePluginCrashed: "plugin_crashed", CodePluginNotConfigured: "plugin_not_configured",
	CodeManifestInvalid: "manifest_invalid", CodePluginUnavailable: "plugin_unavailable",
	CodeEngineNotInstalled: "engine_not_installed", CodeEngineInstallFailed: "engine_install_failed",
	CodeEngineStartFailed: "engine_start_failed", CodeEngineUnavailable: "engine_unavailable",
	CodeEngineChecksum: "engine_checksum_mismatch", CodeEngineNotManaged: "engine_not_managed",
	CodeEngineVersionUnknown: "engine_version_unknown",
	CodeModelNotFound:        "model_not_found", CodeModelPullFailed: "model_pull_failed",
	CodeModelInvalidName: "model_invalid_name", CodeModelLoadFailed: "model_load_failed",
	CodeContextTooLong: "context_length_exceeded", CodeModelUnsupported: "model_unsupported",
	CodeModelDeleteFailed: "model_delete_failed",
	CodeServiceNotFound:   "service_not_found", CodeServiceUnavailable: "service_unavailable",
	CodeUpstreamError: "upstream_error", CodeContentFiltered: "content_filtered",
	CodeUpstreamAuth: "upstream_auth_failed", CodeNoUsableKey: "no_usable_key",
	CodeUpstreamRateLimited: "upstream_rate_limited", CodeUpstreamQuota: "upstream_quota_exceeded",
	CodeUpstreamTimeout: "upstream_timeout",
}

// String is the code's stable snake_case name, as JSON error bodies show it.
func (c Code) String() string {
	if n, ok := codeNames[c]; ok {
		return n
	}
	return fmt.Sprintf("code_%d", int(c))
}

// HTTPStatus is the HTTP status the host answers for an error of this code.
func (c Code) HTTPStatus() int {
	switch c {
	case CodeOK:
		return http.StatusOK
	case CodeInvalidArgument, CodeModelInvalidName, CodeContextTooLong:
		return http.StatusBadRequest
	case CodeNotFound, CodePluginNotFound, CodeModelNotFound, CodeServiceNotFound:
		return http.StatusNotFound
	case CodeAlreadyExists:
		return http.StatusConflict
	case CodePermissionDenied, CodeEngineNotManaged:
		return http.StatusForbidden
	case CodeUnauthenticated:
		return http.StatusUnauthorized
	case CodeRateLimited, CodeQuotaExceeded, CodeBudgetExceeded, CodeUpstreamRateLimited, CodeUpstreamQuota:
		return http.StatusTooManyRequests
	case CodeFailedPrecondition, CodeEngineNotInstalled, CodePluginNotConfigured, CodeModelUnsupported:
		return http.StatusConflict
	case CodeCanceled:
		return 499 // client closed request, as nginx says
	case CodeTimeout, CodeUpstreamTimeout:
		return http.StatusGatewayTimeout
	case CodeUnimplemented:
		return http.StatusNotImplemented
	case CodeContentFiltered:
		return http.StatusUnprocessableEntity
	case CodeUnavailable, CodeServiceUnavailable, CodeEngineUnavailable, CodePluginCrashed,
		CodePluginStartFailed, CodeEngineStartFailed, CodePluginUnavailable:
		return http.StatusServiceUnavailable
	case CodeUpstreamError, CodeUpstreamAuth, CodeNoUsableKey:
		return http.StatusBadGateway
	default:
		return http.StatusInternalServerError
	}
}

// Error is an error with a Roundhouse code. Return one from any plugin
// method and the host receives it with its code, field and retry hint
// intact; plain errors arrive as CodeUnknown (or CodeCanceled/CodeTimeout
// for context errors).
type Error struct {
	Code    Code
	Message string
	// Retryable says that the same call may succeed later.
	Retryable bool
	// RetryAfter is how long to wait before retrying, when known.
	RetryAfter time.Duration
	// Field names the request field at fault ("messages[0].role").
	Field string
	// Err is the cause, for errors.Is/As on the side that created it. It
	// does not cross the process boundary.
	Err error
	// Transport is set on the calling side when the failure came from the
	// connection, not from the plugin: a gRPC status without the
	// project's error detail (connection refused or broken, deadline).
	// It never travels on the wire; the supervisor and the dispatch chain
	// read it instead of matching error text.
	Transport bool
}

func (e *Error) Error() string {
	if e.Field != "" {
		return fmt.Sprintf("%s: %s", e.Field, e.Message)
	}
	return e.Message
}

func (e *Error) Unwrap() error { return e.Err }

// Errorf makes an *Error with a formatted message.
func Errorf(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// FieldError reports a bad request field; the host answers 400 naming it.
func FieldError(field, format string, args ...any) *Error {
	return &Error{Code: CodeInvalidArgument, Field: field, Message: fmt.Sprintf(format, args...)}
}

// WrapError gives err a code unless it already carries one.
func WrapError(code Code, err error, format string, args ...any) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	msg := fmt.Sprintf(format, args...)
	if err != nil {
		msg += ": " + err.Error()
	}
	return &Error{Code: code, Message: msg, Err: err}
}

// ErrorCode extracts the code of err: its *Error code, CodeCanceled or
// CodeTimeout for context errors, CodeUnknown otherwise, CodeOK for nil.
func ErrorCode(err error) Code {
	if err == nil {
		return CodeOK
	}
	if e, ok := err.(*Error); ok {
		return e.Code // what errors.As finds first, without its allocation
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	switch {
	case errors.Is(err, context.Canceled):
		return CodeCanceled
	case errors.Is(err, context.DeadlineExceeded):
		return CodeTimeout
	}
	return CodeUnknown
}

// AsError converts any error into an *Error, keeping one that already is.
func AsError(err error) *Error {
	if err == nil {
		return nil
	}
	if e, ok := err.(*Error); ok {
		return e // what errors.As finds first, without its allocation
	}
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return &Error{Code: ErrorCode(err), Message: err.Error(), Err: err}
}
