package main

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/roundhouse-ai/roundhouse/sdk"
)

func TestMapUpstreamError(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	type want struct {
		code       sdk.Code
		retryable  bool
		retryAfter time.Duration
		field      string
	}
	cases := []struct {
		name   string
		status int
		header http.Header
		body   string
		want   want
	}{
		{"401 invalid key", 401, nil,
			`{"error":{"message":"Incorrect API key provided: sk-abc1***************wxyz.","type":"invalid_request_error","param":null,"code":"invalid_api_key"}}`,
			want{code: sdk.CodeUpstreamAuth}},
		{"403 region", 403, nil, `{"error":{"message":"Country not supported","type":"request_forbidden","code":"unsupported_country_region_territory"}}`,
			want{code: sdk.CodeUpstreamAuth}},
		{"429 rate limit with Retry-After seconds", 429, http.Header{"Retry-After": {"7"}},
			`{"error":{"message":"Rate limit reached for gpt-4o","type":"requests","param":null,"code":"rate_limit_exceeded"}}`,
			want{code: sdk.CodeUpstreamRateLimited, retryable: true, retryAfter: 7 * time.Second}},
		{"429 rate limit with Retry-After-Ms", 429, http.Header{"Retry-After-Ms": {"1500"}, "Retry-After": {"9"}},
			`{"error":{"message":"slow down","type":"requests","code":"rate_limit_exceeded"}}`,
			want{code: sdk.CodeUpstreamRateLimited, retryable: true, retryAfter: 1500 * time.Millisecond}},
		{"429 rate limit with HTTP date", 429, http.Header{"Retry-After": {now.Add(30 * time.Second).Format(http.TimeFormat)}},
			`{"error":{"message":"slow down","type":"requests","code":"rate_limit_exceeded"}}`,
			want{code: sdk.CodeUpstreamRateLimited, retryable: true, retryAfter: 30 * time.Second}},
		{"429 rate limit from x-ratelimit headers", 429,
			http.Header{"X-Ratelimit-Remaining-Requests": {"0"}, "X-Ratelimit-Reset-Requests": {"6m0s"}, "X-Ratelimit-Reset-Tokens": {"1s"}},
			`{"error":{"message":"slow down","type":"requests","code":"rate_limit_exceeded"}}`,
			want{code: sdk.CodeUpstreamRateLimited, retryable: true, retryAfter: 6 * time.Minute}},
		{"429 quota", 429, http.Header{"Retry-After": {"20"}},
			`{"error":{"message":"You exceeded your current quota","type":"insufficient_quota","param":null,"code":"insufficient_quota"}}`,
			want{code: sdk.CodeUpstreamQuota}},
		{"404 model", 404, nil,
			`{"error":{"message":"The model 'gpt-9' does not exist","type":"invalid_request_error","param":null,"code":"model_not_found"}}`,
			want{code: sdk.CodeModelNotFound}},
		{"404 ollama model", 404, nil, `{"error":{"message":"model \"tiny\" not found, try pulling it first","type":"api_error","param":null,"code":null}}`,
			want{code: sdk.CodeModelNotFound}},
		{"404 wrong path is not a model", 404, nil, `404 page not found`, want{code: sdk.CodeUpstreamError}},
		{"400 model_not_found code", 400, nil, `{"error":{"message":"invalid model ID","type":"invalid_request_error","code":"model_not_found"}}`,
			want{code: sdk.CodeModelNotFound}},
		{"context length", 400, nil,
			`{"error":{"message":"This model's maximum context length is 8192 tokens.","type":"invalid_request_error","param":"messages","code":"context_length_exceeded"}}`,
			want{code: sdk.CodeContextTooLong, field: "messages"}},
		{"context length by message only", 400, nil, `{"error":{"message":"This model's maximum context length is 4097 tokens","type":"invalid_request_error"}}`,
			want{code: sdk.CodeContextTooLong}},
		{"content filter (Azure)", 400, nil, `{"error":{"message":"The response was filtered","type":null,"param":"prompt","code":"content_filter","status":400}}`,
			want{code: sdk.CodeContentFiltered}},
		{"content policy (images)", 400, nil, `{"error":{"message":"Your request was rejected as a result of our safety system.","type":"image_generation_user_error","code":"content_policy_violation"}}`,
			want{code: sdk.CodeContentFiltered}},
		{"400 with param", 400, nil, `{"error":{"message":"Invalid 'temperature': decimal above maximum value.","type":"invalid_request_error","param":"temperature","code":"decimal_above_max_value"}}`,
			want{code: sdk.CodeInvalidArgument, field: "temperature"}},
		{"422 plain", 422, nil, `{"detail":"bad field"}`, want{code: sdk.CodeInvalidArgument}},
		{"500", 500, nil, `{"error":{"message":"The server had an error","type":"server_error","param":null,"code":null}}`,
			want{code: sdk.CodeUpstreamError, retryable: true}},
		{"503 with Retry-After", 503, http.Header{"Retry-After": {"2"}}, `<html>overloaded</html>`,
			want{code: sdk.CodeUpstreamError, retryable: true, retryAfter: 2 * time.Second}},
		{"504", 504, nil, ``, want{code: sdk.CodeUpstreamTimeout, retryable: true}},
		{"408", 408, nil, ``, want{code: sdk.CodeUpstreamTimeout, retryable: true}},
		{"numeric code", 400, nil, `{"error":{"message":"bad","code":400}}`, want{code: sdk.CodeInvalidArgument}},
		{"bare string error", 400, nil, `{"error":"something broke"}`, want{code: sdk.CodeInvalidArgument}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := mapUpstreamError("main", c.status, c.header, []byte(c.body), newScrubber(nil), now, "gpt-4o")
			got := want{code: e.Code, retryable: e.Retryable, retryAfter: e.RetryAfter, field: e.Field}
			if got != c.want {
				t.Fatalf("got %+v, want %+v (message %q)", got, c.want, e.Message)
			}
			if !strings.Contains(e.Message, `provider "main"`) {
				t.Fatalf("message does not name the provider: %q", e.Message)
			}
		})
	}
}

func TestMapUpstreamErrorScrubsKeys(t *testing.T) {
	key := "sk-proj-ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789wxyz"
	body := `{"error":{"message":"Incorrect API key provided: sk-proj-ABCD****************************wxyz. Also ` + key +
		` and Bearer ` + key + `","type":"invalid_request_error","code":"invalid_api_key"}}`
	e := mapUpstreamError("main", 401, nil, []byte(body), newScrubber([]string{key}), time.Now(), "")
	if strings.Contains(e.Message, "ABCD") || strings.Contains(e.Message, key) {
		t.Fatalf("secret leaked: %q", e.Message)
	}
	if !strings.Contains(e.Message, "sk-…wxyz") {
		t.Fatalf("want the masked key in %q", e.Message)
	}
}

func TestRetryAfterEdgeCases(t *testing.T) {
	now := time.Now()
	cases := []struct {
		h    http.Header
		want time.Duration
	}{
		{nil, 0},
		{http.Header{"Retry-After": {"0.25"}}, 250 * time.Millisecond},
		{http.Header{"Retry-After": {"-3"}}, 0},
		{http.Header{"Retry-After": {"1e100"}}, maxRetryAfter},
		{http.Header{"Retry-After": {"soon"}}, 0},
		{http.Header{"Retry-After": {now.Add(-time.Hour).UTC().Format(http.TimeFormat)}}, 0},
		{http.Header{"Retry-After-Ms": {"-1"}, "Retry-After": {"1"}}, time.Second},
		{http.Header{"Retry-After-Ms": {"NaN"}}, 0},
		{http.Header{"X-Ratelimit-Remaining-Tokens": {"0"}, "X-Ratelimit-Reset-Tokens": {"20ms"}}, 20 * time.Millisecond},
		{http.Header{"X-Ratelimit-Remaining-Tokens": {"5"}, "X-Ratelimit-Reset-Tokens": {"20ms"}}, 0},
	}
	for i, c := range cases {
		if got := retryAfter(c.h, now); got != c.want {
			t.Errorf("%d: retryAfter(%v) = %v, want %v", i, c.h, got, c.want)
		}
	}
}

// A 401 refuses the key; a 403 refuses it for every model, unless it is
// about the request's model, as OpenAI's 403 for a project without access
// to a model is.
func TestRefusalScope(t *testing.T) {
	cases := []struct {
		name, body, model string
		status            int
		want              *keyRefused
		code              sdk.Code
	}{
		{"401 invalid key", `{"error":{"message":"Incorrect API key provided: sk-abc***wxyz.","type":"invalid_request_error","param":null,"code":"invalid_api_key"}}`,
			"gpt-4o", 401, &keyRefused{state: stateUnauthorized}, sdk.CodeUpstreamAuth},
		{"401 naming the model is still the key", `{"error":{"message":"Invalid key for gpt-4o","type":"invalid_request_error","code":"invalid_api_key"}}`,
			"gpt-4o", 401, &keyRefused{state: stateUnauthorized}, sdk.CodeUpstreamAuth},
		{"403 region", `{"error":{"message":"Country, region, or territory not supported","type":"request_forbidden","param":null,"code":"unsupported_country_region_territory"}}`,
			"gpt-4o", 403, &keyRefused{state: stateForbidden}, sdk.CodeUpstreamAuth},
		{"403 project without access to the model", "{\"error\":{\"message\":\"Project `proj_JMo3Q9spNIEWhSxusokLegJY` does not have access to model `gpt-4o`\",\"type\":\"invalid_request_error\",\"param\":null,\"code\":\"model_not_found\"}}",
			"gpt-4o", 403, &keyRefused{state: stateForbidden, model: "gpt-4o"}, sdk.CodeUpstreamAuth},
		{"403 not allowed to sample", `{"error":{"message":"You are not allowed to sample from this model","type":"invalid_request_error","param":null,"code":null}}`,
			"gpt-4o", 403, &keyRefused{state: stateForbidden, model: "gpt-4o"}, sdk.CodeUpstreamAuth},
		{"403 gateway naming the model", `{"error":{"message":"User u-1 is not authorized to access GPT-4o","type":"AuthorizationError","code":"403"}}`,
			"gpt-4o", 403, &keyRefused{state: stateForbidden, model: "gpt-4o"}, sdk.CodeUpstreamAuth},
		{"403 unsupported_model code", `{"error":{"message":"not for you","type":"invalid_request_error","code":"unsupported_model"}}`,
			"o3", 403, &keyRefused{state: stateForbidden, model: "o3"}, sdk.CodeUpstreamAuth},
		{"403 without a model in the request", `{"error":{"message":"Your organization is not allowed here","type":"invalid_request_error","code":null}}`,
			"", 403, &keyRefused{state: stateForbidden}, sdk.CodeUpstreamAuth},
		{"404 model is no refusal", "{\"error\":{\"message\":\"The model `gpt-9` does not exist or you do not have access to it.\",\"type\":\"invalid_request_error\",\"code\":\"model_not_found\"}}",
			"gpt-9", 404, nil, sdk.CodeModelNotFound},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := mapUpstreamError("main", c.status, nil, []byte(c.body), newScrubber(nil), time.Now(), c.model)
			got := refusalOf(e)
			if e.Code != c.code || (got == nil) != (c.want == nil) || (got != nil && *got != *c.want) {
				t.Fatalf("code %s refusal %+v, want %s %+v (%s)", e.Code, got, c.code, c.want, e.Message)
			}
		})
	}
}
