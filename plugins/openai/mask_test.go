package main

import (
	"strings"
	"testing"
	"time"

	"github.com/roundhouse-ai/roundhouse/sdk"
	"github.com/roundhouse-ai/roundhouse/sdk/wire/openaiwire"
)

func TestMaskKey(t *testing.T) {
	cases := map[string]string{
		"":                                 "****",
		"short":                            "****",
		"sk-123456789012":                  "****", // 15 chars: too short to show anything
		"sk-1234567890abcd":                "sk-…abcd",
		"sk-proj-aaaaaaaaaaaaaaaaaaaaWXYZ": "sk-…WXYZ",
		"gsk_0123456789abcdefghij":         "…ghij",
		"AIzaSyD-0123456789abcdefQRST":     "…QRST",
		"ABCD-0123456789abcdefghijk":       "…hijk", // an upper-case prefix is not a known kind prefix
		"verylongprefixwithoutdash-1234":   "…1234",
	}
	for key, want := range cases {
		got := sdk.MaskKey(key)
		if got != want {
			t.Errorf("sdk.MaskKey(%q) = %q, want %q", key, got, want)
		}
		// Never more than the last 4 characters of the secret.
		if len(key) >= 8 && strings.Contains(got, key[len(key)-8:len(key)-4]) {
			t.Errorf("sdk.MaskKey(%q) = %q reveals more than 4 characters", key, got)
		}
	}
}

func TestScrub(t *testing.T) {
	secret := "sk-live-0123456789abcdefghijKLMN"
	sc := newScrubber([]string{secret, "ab"}) // a 2-char "secret" is ignored, not replaced everywhere
	in := "failed with key " + secret + "; header Authorization: Bearer " + secret +
		"; upstream said sk-abc1**********KLMN and rk-0123456789abcdefgh about tab"
	out := sc.scrub(in)
	for _, leak := range []string{secret, "0123456789", "abc1"} {
		if strings.Contains(out, leak) {
			t.Fatalf("scrubbed text %q still contains %q", out, leak)
		}
	}
	if !strings.Contains(out, "tab") {
		t.Fatalf("short secret mangled ordinary words: %q", out)
	}
	if !strings.Contains(out, "Bearer [redacted]") {
		t.Fatalf("bearer not redacted: %q", out)
	}
	if !strings.Contains(out, "sk-…KLMN") {
		t.Fatalf("starred upstream key should become our mask: %q", out)
	}
}

func TestBaseURLSecretsAreScrubbed(t *testing.T) {
	pr, err := buildProvider("providers[0]", sdk.ProviderConfig{Name: "p",
		BaseURL: "http://user:hunter2-secret@127.0.0.1:1/v1?api-key=querysecret123"})
	if err != nil {
		t.Fatal(err)
	}
	msg := pr.scrub.scrub(`Post "http://user:hunter2-secret@127.0.0.1:1/v1?api-key=querysecret123": refused`)
	if strings.Contains(msg, "hunter2") || strings.Contains(msg, "querysecret") {
		t.Fatalf("scrubbed %q", msg)
	}
	if pr.displayURL != "http://127.0.0.1:1/v1" {
		t.Fatalf("display URL %q", pr.displayURL)
	}
}

func TestMapUpstreamErrorScrubsKeys(t *testing.T) {
	key := "sk-proj-ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789wxyz"
	body := `{"error":{"message":"Incorrect API key provided: sk-proj-ABCD****************************wxyz. Also ` + key +
		` and Bearer ` + key + `","type":"invalid_request_error","code":"invalid_api_key"}}`
	e := openaiwire.MapError("main", 401, nil, []byte(body), newScrubber([]string{key}).scrub, time.Now(), "")
	if strings.Contains(e.Message, "ABCD") || strings.Contains(e.Message, key) {
		t.Fatalf("secret leaked: %q", e.Message)
	}
	if !strings.Contains(e.Message, "sk-…wxyz") {
		t.Fatalf("want the masked key in %q", e.Message)
	}
}
