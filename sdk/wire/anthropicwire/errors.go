package anthropicwire

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/roundhouse-ai/roundhouse/sdk/wire/openaiwire"
	"github.com/roundhouse-ai/roundhouse/types"
)

// apiError is Anthropic's error body:
//
//	{"type": "error", "error": {"type": "not_found_error", "message": "..."}, "request_id": "req_..."}
type apiError struct {
	Type  string `json:"type"`
	Error struct {
		Type    string `json:"type"`
		Message string `json:"message"`
	} `json:"error"`
}

// parseError reads an error body; found is false when it is not one
// (an HTML page from a proxy), and the message is then the trimmed text.
func parseError(body []byte) (typ, msg string, found bool) {
	var e apiError
	if json.Unmarshal(body, &e) == nil && e.Error.Type != "" {
		return e.Error.Type, e.Error.Message, true
	}
	ae, _ := openaiwire.ParseAPIError(body) // an OpenAI-shaped gateway, or text
	return ae.Type, ae.Message, false
}

// MapError turns an error answer of the Messages API into a
// *types.Error, by the error's type and the HTTP status (see
// https://docs.anthropic.com/en/api/errors): authentication_error (401)
// and permission_error (403) refuse the key (a *openaiwire.KeyRefused
// cause, about the model when the message names it); not_found_error is
// an unknown model; rate_limit_error (429) rests the key for
// Retry-After or the anthropic-ratelimit-*-reset time; api_error (500)
// and overloaded_error (529) are retried; "prompt is too long" is
// context_too_long; a credit balance too low is quota. status 0 is an
// error event inside a stream.
func MapError(name string, status int, h http.Header, body []byte, scrub func(string) string, now time.Time, model string) *types.Error {
	typ, msg, isJSON := parseError(body)
	if scrub != nil {
		msg = scrub(msg)
	}
	if msg == "" {
		msg = http.StatusText(status)
	}
	where := fmt.Sprintf("provider %q", name)
	if status > 0 {
		where = fmt.Sprintf("provider %q (HTTP %d)", name, status)
	}
	e := &types.Error{Message: where + ": " + msg}
	lmsg := strings.ToLower(msg)
	switch {
	case typ == "authentication_error" || status == http.StatusUnauthorized:
		e.Code = types.CodeUpstreamAuth
		e.Err = &openaiwire.KeyRefused{State: openaiwire.StateUnauthorized}
	case typ == "permission_error" || status == http.StatusForbidden:
		e.Code = types.CodeUpstreamAuth
		r := &openaiwire.KeyRefused{State: openaiwire.StateForbidden}
		if model != "" && strings.Contains(lmsg, strings.ToLower(model)) {
			r.Model = model
		}
		e.Err = r
	case typ == "billing_error" || status == http.StatusPaymentRequired || strings.Contains(lmsg, "credit balance"):
		e.Code = types.CodeUpstreamQuota
	case typ == "not_found_error" || (status == http.StatusNotFound && isJSON):
		e.Code = types.CodeModelNotFound
	case status == http.StatusNotFound:
		e.Code = types.CodeUpstreamError
		e.Message += " (the endpoint does not exist: check the provider's base_url, which for Anthropic is https://api.anthropic.com/v1)"
	case typ == "rate_limit_error" || status == http.StatusTooManyRequests:
		e.Code = types.CodeUpstreamRateLimited
		e.Retryable = true
		e.RetryAfter = retryAfter(h, now)
	case strings.Contains(lmsg, "prompt is too long") || strings.Contains(lmsg, "context window"):
		e.Code = types.CodeContextTooLong
	case typ == "request_too_large" || status == http.StatusRequestEntityTooLarge:
		e.Code = types.CodeInvalidArgument
		e.Message += " (the Messages API takes at most 32 MB per request)"
	case typ == "overloaded_error" || status == 529:
		e.Code = types.CodeUpstreamError
		e.Retryable = true
		e.RetryAfter = retryAfter(h, now)
	case status == http.StatusRequestTimeout || status == http.StatusGatewayTimeout || typ == "timeout_error":
		e.Code = types.CodeUpstreamTimeout
		e.Retryable = true
	case typ == "api_error" || status >= 500 || status == 0:
		e.Code = types.CodeUpstreamError
		e.Retryable = true
		e.RetryAfter = retryAfter(h, now)
	case typ == "invalid_request_error" || status >= 400:
		e.Code = types.CodeInvalidArgument
	default:
		e.Code = types.CodeUpstreamError
	}
	return e
}

// retryAfter is Retry-After (as openaiwire reads it), or else the reset
// time (RFC 3339) of an exhausted anthropic-ratelimit-* budget.
func retryAfter(h http.Header, now time.Time) time.Duration {
	if d := openaiwire.RetryAfter(h, now); d > 0 || h == nil {
		return d
	}
	for _, kind := range []string{"requests", "tokens", "input-tokens", "output-tokens"} {
		if strings.TrimSpace(h.Get("Anthropic-Ratelimit-"+kind+"-Remaining")) != "0" {
			continue
		}
		if t, err := time.Parse(time.RFC3339, strings.TrimSpace(h.Get("Anthropic-Ratelimit-"+kind+"-Reset"))); err == nil && t.After(now) {
			return min(t.Sub(now), 24*time.Hour)
		}
	}
	return 0
}
