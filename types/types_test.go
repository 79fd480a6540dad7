package types

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
)

func TestCodesMapToHTTP(t *testing.T) {
	tests := map[Code]int{
		CodeInvalidArgument: 400, CodeModelNotFound: 404, CodeRateLimited: 429, CodeUpstreamRateLimited: 429,
		CodeUnimplemented: 501, CodePluginCrashed: 503, CodeUpstreamError: 502, CodeTimeout: 504,
		CodeUnauthenticated: 401, CodeEngineNotManaged: 403, CodeCanceled: 499, CodeInternal: 500,
	}
	for code, want := range tests {
		if got := code.HTTPStatus(); got != want {
			t.Errorf("%v -> %d, want %d", code, got, want)
		}
	}
	if CodeModelNotFound.String() != "model_not_found" || Code(9999).String() != "code_9999" {
		t.Error("code names")
	}
}

func TestMaskKey(t *testing.T) {
	for in, want := range map[string]string{
		"sk-proj-abcdefghijklmnop1234": "sk-…1234",
		"short-key":                    "****",
		"ABCDEFGHIJKLMNOPQRST":         "…QRST",
		"":                             "****",
	} {
		if got := MaskKey(in); got != want {
			t.Errorf("MaskKey(%q) = %q, want %q", in, got, want)
		}
	}
	k := APIKey{Value: "sk-secret-value-0123456789", Label: "main"}
	b, _ := json.Marshal(ProviderConfig{Name: "p", APIKeys: []APIKey{k}})
	if strings.Contains(string(b), "0123456789") || !strings.Contains(string(b), "sk-…6789") {
		t.Errorf("JSON leaks or loses the mask: %s", b)
	}
	if s := fmt.Sprint(k); strings.Contains(s, "secret") {
		t.Errorf("String leaks: %s", s)
	}
}
