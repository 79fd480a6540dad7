package openaiwire

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/roundhouse-ai/roundhouse/types"
)

func TestMapUpstreamError(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	type want struct {
		code       types.Code
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
			want{code: types.CodeUpstreamAuth}},
		{"403 region", 403, nil, `{"error":{"message":"Country not supported","type":"request_forbidden","code":"unsupported_country_region_territory"}}`,
			want{code: types.CodeUpstreamAuth}},
		{"429 rate limit with Retry-After seconds", 429, http.Header{"Retry-After": {"7"}},
			`{"error":{"message":"Rate limit reached for gpt-4o","type":"requests","param":null,"code":"rate_limit_exceeded"}}`,
			want{code: types.CodeUpstreamRateLimited, retryable: true, retryAfter: 7 * time.Second}},
		{"429 rate limit with Retry-After-Ms", 429, http.Header{"Retry-After-Ms": {"1500"}, "Retry-After": {"9"}},
			`{"error":{"message":"slow down","type":"requests","code":"rate_limit_exceeded"}}`,
			want{code: types.CodeUpstreamRateLimited, retryable: true, retryAfter: 1500 * time.Millisecond}},
		{"429 rate limit with HTTP date", 429, http.Header{"Retry-After": {now.Add(30 * time.Second).Format(http.TimeFormat)}},
			`{"error":{"message":"slow down","type":"requests","code":"rate_limit_exceeded"}}`,
			want{code: types.CodeUpstreamRateLimited, retryable: true, retryAfter: 30 * time.Second}},
		{"429 rate limit from x-ratelimit headers", 429,
			http.Header{"X-Ratelimit-Remaining-Requests": {"0"}, "X-Ratelimit-Reset-Requests": {"6m0s"}, "X-Ratelimit-Reset-Tokens": {"1s"}},
			`{"error":{"message":"slow down","type":"requests","code":"rate_limit_exceeded"}}`,
			want{code: types.CodeUpstreamRateLimited, retryable: true, retryAfter: 6 * time.Minute}},
		{"429 quota", 429, http.Header{"Retry-After": {"20"}},
			`{"error":{"message":"You exceeded your current quota","type":"insufficient_quota","param":null,"code":"insufficient_quota"}}`,
			want{code: types.CodeUpstreamQuota}},
		{"404 model", 404, nil,
			`{"error":{"message":"The model 'gpt-9' does not exist","type":"invalid_request_error","param":null,"code":"model_not_found"}}`,
			want{code: types.CodeModelNotFound}},
		{"404 ollama model", 404, nil, `{"error":{"message":"model \"tiny\" not found, try pulling it first","type":"api_error","param":null,"code":null}}`,
			want{code: types.CodeModelNotFound}},
		{"404 wrong path is not a model", 404, nil, `404 page not found`, want{code: types.CodeUpstreamError}},
		{"400 model_not_found code", 400, nil, `{"error":{"message":"invalid model ID","type":"invalid_request_error","code":"model_not_found"}}`,
			want{code: types.CodeModelNotFound}},
		{"context length", 400, nil,
			`{"error":{"message":"This model's maximum context length is 8192 tokens.","type":"invalid_request_error","param":"messages","code":"context_length_exceeded"}}`,
			want{code: types.CodeContextTooLong, field: "messages"}},
		{"context length by message only", 400, nil, `{"error":{"message":"This model's maximum context length is 4097 tokens","type":"invalid_request_error"}}`,
			want{code: types.CodeContextTooLong}},
		{"content filter (Azure)", 400, nil, `{"error":{"message":"The response was filtered","type":null,"param":"prompt","code":"content_filter","status":400}}`,
			want{code: types.CodeContentFiltered}},
		{"content policy (images)", 400, nil, `{"error":{"message":"Your request was rejected as a result of our safety system.","type":"image_generation_user_error","code":"content_policy_violation"}}`,
			want{code: types.CodeContentFiltered}},
		{"400 with param", 400, nil, `{"error":{"message":"Invalid 'temperature': decimal above maximum value.","type":"invalid_request_error","param":"temperature","code":"decimal_above_max_value"}}`,
			want{code: types.CodeInvalidArgument, field: "temperature"}},
		{"422 plain", 422, nil, `{"detail":"bad field"}`, want{code: types.CodeInvalidArgument}},
		{"500", 500, nil, `{"error":{"message":"The server had an error","type":"server_error","param":null,"code":null}}`,
			want{code: types.CodeUpstreamError, retryable: true}},
		{"503 with Retry-After", 503, http.Header{"Retry-After": {"2"}}, `<html>overloaded</html>`,
			want{code: types.CodeUpstreamError, retryable: true, retryAfter: 2 * time.Second}},
		{"504", 504, nil, ``, want{code: types.CodeUpstreamTimeout, retryable: true}},
		{"408", 408, nil, ``, want{code: types.CodeUpstreamTimeout, retryable: true}},
		{"numeric code", 400, nil, `{"error":{"message":"bad","code":400}}`, want{code: types.CodeInvalidArgument}},
		{"bare string error", 400, nil, `{"error":"something broke"}`, want{code: types.CodeInvalidArgument}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := MapError("main", c.status, c.header, []byte(c.body), nil, now, "gpt-4o")
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
		if got := RetryAfter(c.h, now); got != c.want {
			t.Errorf("%d: RetryAfter(%v) = %v, want %v", i, c.h, got, c.want)
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
		want              *KeyRefused
		code              types.Code
	}{
		{"401 invalid key", `{"error":{"message":"Incorrect API key provided: sk-abc***wxyz.","type":"invalid_request_error","param":null,"code":"invalid_api_key"}}`,
			"gpt-4o", 401, &KeyRefused{State: StateUnauthorized}, types.CodeUpstreamAuth},
		{"401 naming the model is still the key", `{"error":{"message":"Invalid key for gpt-4o","type":"invalid_request_error","code":"invalid_api_key"}}`,
			"gpt-4o", 401, &KeyRefused{State: StateUnauthorized}, types.CodeUpstreamAuth},
		{"403 region", `{"error":{"message":"Country, region, or territory not supported","type":"request_forbidden","param":null,"code":"unsupported_country_region_territory"}}`,
			"gpt-4o", 403, &KeyRefused{State: StateForbidden}, types.CodeUpstreamAuth},
		{"403 project without access to the model", "{\"error\":{\"message\":\"Project `proj_JMo3Q9spNIEWhSxusokLegJY` does not have access to model `gpt-4o`\",\"type\":\"invalid_request_error\",\"param\":null,\"code\":\"model_not_found\"}}",
			"gpt-4o", 403, &KeyRefused{State: StateForbidden, Model: "gpt-4o"}, types.CodeUpstreamAuth},
		{"403 not allowed to sample", `{"error":{"message":"You are not allowed to sample from this model","type":"invalid_request_error","param":null,"code":null}}`,
			"gpt-4o", 403, &KeyRefused{State: StateForbidden, Model: "gpt-4o"}, types.CodeUpstreamAuth},
		{"403 gateway naming the model", `{"error":{"message":"User u-1 is not authorized to access GPT-4o","type":"AuthorizationError","code":"403"}}`,
			"gpt-4o", 403, &KeyRefused{State: StateForbidden, Model: "gpt-4o"}, types.CodeUpstreamAuth},
		{"403 unsupported_model code", `{"error":{"message":"not for you","type":"invalid_request_error","code":"unsupported_model"}}`,
			"o3", 403, &KeyRefused{State: StateForbidden, Model: "o3"}, types.CodeUpstreamAuth},
		{"403 without a model in the request", `{"error":{"message":"Your organization is not allowed here","type":"invalid_request_error","code":null}}`,
			"", 403, &KeyRefused{State: StateForbidden}, types.CodeUpstreamAuth},
		{"404 model is no refusal", "{\"error\":{\"message\":\"The model `gpt-9` does not exist or you do not have access to it.\",\"type\":\"invalid_request_error\",\"code\":\"model_not_found\"}}",
			"gpt-9", 404, nil, types.CodeModelNotFound},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := MapError("main", c.status, nil, []byte(c.body), nil, time.Now(), c.model)
			got := RefusalOf(e)
			if e.Code != c.code || (got == nil) != (c.want == nil) || (got != nil && *got != *c.want) {
				t.Fatalf("code %s refusal %+v, want %s %+v (%s)", e.Code, got, c.code, c.want, e.Message)
			}
		})
	}
}
