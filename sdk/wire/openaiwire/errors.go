package openaiwire

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/roundhouse-ai/roundhouse/types"
)

// maxRetryAfter caps a Retry-After hint: a broken or hostile upstream must
// not park a key for ever.
const maxRetryAfter = 24 * time.Hour

// APIError is the error object of the OpenAI API:
//
//	{"error": {"message": "...", "type": "...", "param": "...", "code": "..."}}
//
// code and param may be null, and some compatible servers send a number as
// code or a bare string as error; ParseAPIError accepts all of these.
type APIError struct {
	Message string
	Type    string
	Param   string
	Code    string
}

// ParseAPIError reads an error body. found is false when the body is not
// a JSON error object (an HTML page, plain text); Message then holds the
// trimmed text.
func ParseAPIError(body []byte) (e APIError, found bool) {
	var env struct {
		Error   json.RawMessage `json:"error"`
		Message string          `json:"message"`
		Detail  string          `json:"detail"`
	}
	if json.Unmarshal(body, &env) == nil {
		if len(env.Error) > 0 && env.Error[0] == '{' {
			var obj struct {
				Message json.RawMessage `json:"message"`
				Type    json.RawMessage `json:"type"`
				Param   json.RawMessage `json:"param"`
				Code    json.RawMessage `json:"code"`
			}
			if json.Unmarshal(env.Error, &obj) == nil {
				return APIError{
					Message: jsonScalar(obj.Message),
					Type:    jsonScalar(obj.Type),
					Param:   jsonScalar(obj.Param),
					Code:    jsonScalar(obj.Code),
				}, true
			}
		}
		if s := jsonScalar(env.Error); s != "" {
			return APIError{Message: s}, true
		}
		if env.Message != "" {
			return APIError{Message: env.Message}, true
		}
		if env.Detail != "" {
			return APIError{Message: env.Detail}, true
		}
	}
	text := strings.TrimSpace(string(bytes.ToValidUTF8(body, []byte("?"))))
	if len(text) > 300 {
		text = text[:300] + "…"
	}
	return APIError{Message: text}, false
}

// jsonScalar renders a JSON string, number or bool as text; null, objects
// and arrays give "".
func jsonScalar(raw json.RawMessage) string {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return ""
	}
	switch raw[0] {
	case '"':
		var s string
		if json.Unmarshal(raw, &s) == nil {
			return s
		}
	case 'n', '{', '[':
		return ""
	default:
		return string(raw)
	}
	return ""
}

// modelCodes are the error codes by which an API says a model may not be
// used (OpenAI answers a project without access to a model with 403 and
// code model_not_found: "Project `proj_…` does not have access to model
// `gpt-4o`"; some gateways say unsupported_model or model_not_allowed).
var modelCodes = []string{"model_not_found", "unsupported_model", "model_not_supported", "model_not_allowed",
	"model_access_denied", "model_not_available"}

// aboutModel reports whether a 403 is about the request's model rather
// than the key: a model error code, a message that names the model, or a
// message about access to a model ("You are not allowed to sample from
// this model", "does not have access to model …").
func aboutModel(ae APIError, model string) bool {
	if slices.Contains(modelCodes, strings.ToLower(ae.Code)) {
		return true
	}
	msg := strings.ToLower(ae.Message)
	if model != "" && strings.Contains(msg, strings.ToLower(model)) {
		return true
	}
	for _, s := range []string{"access to model", "access to the model", "access to this model", "from this model",
		"this model is not", "model is not available", "not allowed to use model"} {
		if strings.Contains(msg, s) {
			return true
		}
	}
	return false
}

// MapError turns an upstream error answer into an *types.Error. The
// message names the provider and the HTTP status and carries the
// upstream's own message, scrubbed of secrets. model is the request's
// model ("" for calls without one): it tells a 403 about the model from
// a 403 about the key.
func MapError(provider string, status int, h http.Header, body []byte, scrub func(string) string, now time.Time, model string) *types.Error {
	sc := scrubFunc(scrub)
	ae, isJSON := ParseAPIError(body)
	msg := sc(ae.Message)
	if msg == "" {
		msg = http.StatusText(status)
	}
	code := strings.ToLower(ae.Code)
	typ := strings.ToLower(ae.Type)
	lmsg := strings.ToLower(ae.Message)
	where := fmt.Sprintf("provider %q", provider)
	if status > 0 {
		where = fmt.Sprintf("provider %q (HTTP %d)", provider, status)
	}
	e := &types.Error{Message: where + ": " + msg}

	switch {
	case status == http.StatusForbidden && model != "" && aboutModel(ae, model):
		// The key is fine, this model is not for it: another key (another
		// project) may have access.
		e.Code = types.CodeUpstreamAuth
		e.Err = &KeyRefused{State: StateForbidden, Model: model}
	case code == "context_length_exceeded" || strings.Contains(lmsg, "maximum context length") ||
		strings.Contains(lmsg, "context length exceeded") || strings.Contains(lmsg, "context_length_exceeded"):
		e.Code = types.CodeContextTooLong
	case code == "content_filter" || code == "content_policy_violation" || typ == "content_filter" ||
		code == "moderation_blocked":
		e.Code = types.CodeContentFiltered
	case code == "model_not_found" || (status == http.StatusNotFound && isJSON):
		e.Code = types.CodeModelNotFound
	case status == http.StatusNotFound:
		// A 404 without an API error body is a wrong path, not a model.
		e.Code = types.CodeUpstreamError
		e.Message += " (the endpoint does not exist: check the provider's base_url, which usually ends in /v1)"
	case status == http.StatusUnauthorized:
		e.Code = types.CodeUpstreamAuth
		e.Err = &KeyRefused{State: StateUnauthorized}
	case status == http.StatusForbidden:
		e.Code = types.CodeUpstreamAuth
		e.Err = &KeyRefused{State: StateForbidden}
	case status == http.StatusTooManyRequests && (code == "insufficient_quota" || typ == "insufficient_quota"):
		e.Code = types.CodeUpstreamQuota
	case status == http.StatusTooManyRequests:
		e.Code = types.CodeUpstreamRateLimited
		e.Retryable = true
		e.RetryAfter = RetryAfter(h, now)
	case status == http.StatusRequestTimeout || status == http.StatusGatewayTimeout:
		e.Code = types.CodeUpstreamTimeout
		e.Retryable = true
	case status >= 500 || status == 0:
		e.Code = types.CodeUpstreamError
		e.Retryable = true
		e.RetryAfter = RetryAfter(h, now)
	case status >= 400:
		e.Code = types.CodeInvalidArgument
	default:
		e.Code = types.CodeUpstreamError
	}
	if e.Code == types.CodeInvalidArgument || e.Code == types.CodeContextTooLong {
		e.Field = ae.Param
	}
	return e
}

// RetryAfter reads how long the upstream asks us to wait: Retry-After-Ms
// (milliseconds), Retry-After (seconds, possibly fractional, or an HTTP
// date), or, failing those, the reset time of an exhausted OpenAI
// x-ratelimit-* budget. 0 means no hint.
func RetryAfter(h http.Header, now time.Time) time.Duration {
	if h == nil {
		return 0
	}
	if v := strings.TrimSpace(h.Get("Retry-After-Ms")); v != "" {
		if ms, err := strconv.ParseFloat(v, 64); err == nil && ms >= 0 && !math.IsInf(ms, 0) {
			return capRetry(time.Duration(ms * float64(time.Millisecond)))
		}
	}
	if v := strings.TrimSpace(h.Get("Retry-After")); v != "" {
		if s, err := strconv.ParseFloat(v, 64); err == nil {
			if s < 0 || math.IsNaN(s) {
				return 0
			}
			if s > maxRetryAfter.Seconds() {
				return maxRetryAfter
			}
			return time.Duration(s * float64(time.Second))
		}
		if t, err := http.ParseTime(v); err == nil {
			if d := t.Sub(now); d > 0 {
				return capRetry(d)
			}
			return 0
		}
	}
	for _, kind := range []string{"requests", "tokens"} {
		if strings.TrimSpace(h.Get("X-Ratelimit-Remaining-"+kind)) != "0" {
			continue
		}
		if d, err := time.ParseDuration(strings.TrimSpace(h.Get("X-Ratelimit-Reset-" + kind))); err == nil && d > 0 {
			return capRetry(d)
		}
	}
	return 0
}

func capRetry(d time.Duration) time.Duration {
	switch {
	case d < 0:
		return 0
	case d > maxRetryAfter:
		return maxRetryAfter
	}
	return d
}

// TimeoutError is what an attempt that ran past the provider's timeout
// gives.
func TimeoutError(provider string, d time.Duration) *types.Error {
	return &types.Error{Code: types.CodeUpstreamTimeout, Retryable: true,
		Message: fmt.Sprintf("provider %q did not answer within %s (raise the provider's timeout if the model is slow)", provider, d)}
}

// TransportError is a failure to talk to the provider at all.
func TransportError(provider string, err error, scrub func(string) string) *types.Error {
	return &types.Error{Code: types.CodeUpstreamError, Retryable: true, Err: err,
		Message: fmt.Sprintf("cannot reach provider %q: %s", provider, scrubFunc(scrub)(err.Error()))}
}

// StreamBroken reports a stream that failed after it started.
func StreamBroken(provider string, err error, scrub func(string) string) *types.Error {
	return &types.Error{Code: types.CodeUpstreamError, Err: err,
		Message: fmt.Sprintf("provider %q: the stream broke off: %s", provider, scrubFunc(scrub)(err.Error()))}
}

// scrubFunc is scrub, or the identity when nil.
func scrubFunc(scrub func(string) string) func(string) string {
	if scrub == nil {
		return func(s string) string { return s }
	}
	return scrub
}
