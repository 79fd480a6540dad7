package main

import (
	"errors"
	"strings"
	"testing"

	"github.com/roundhouse-ai/roundhouse/sdk"
)

func TestValidateModelName(t *testing.T) {
	tests := []struct {
		name string
		ok   bool
	}{
		{"llama3.2", true},
		{"llama3.2:1b", true},
		{"llama3.2:1b-instruct-q4_K_M", true},
		{"library/llama3.2:latest", true},
		{"hf.co/bartowski/Llama-3.2-1B-Instruct-GGUF:Q4_K_M", true},
		{"127.0.0.1:5000/library/tiny:latest", true},
		{"localhost:5000/library/tiny", true},
		{"registry.example.com/ns/model", true},
		{"my_model", true},
		{"Tiny", true},

		{"", false},
		{"../etc/passwd", false},
		{"library/../../x", false},
		{"model..name", false},
		{`ns\model`, false},
		{"/abs/model", false},
		{"model/", false},
		{"a//b", false},
		{"a/b/c/d", false},
		{"model name", false},
		{"model\x00", false},
		{"model\nname", false},
		{"model\t", false},
		{":tag", false},
		{"model:", false},
		{"model:-tag", false},
		{"-model", false},
		{".hidden", false},
		{"model:tag:extra", false},
		{"host:port/ns/model", false}, // port must be numeric
		{"host:99999999/ns/model", false},
		{"mödel", false},
		{"a/" + strings.Repeat("m", 81), false},
		{strings.Repeat("x", 400), false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := validateModelName(tc.name)
			if tc.ok {
				if err != nil {
					t.Fatalf("validateModelName(%q) = %v, want ok", tc.name, err)
				}
				return
			}
			if err == nil {
				t.Fatalf("validateModelName(%q) = nil, want an error", tc.name)
			}
			e := sdk.AsError(err)
			if e.Code != sdk.CodeModelInvalidName || e.Field != "model" {
				t.Fatalf("validateModelName(%q) = code %v field %q, want model_invalid_name on field model", tc.name, e.Code, e.Field)
			}
		})
	}
}

func TestWantsLogin(t *testing.T) {
	refusal := errors.New(`ollama: realm host "" does not match original host "127.0.0.1:5000"`)
	err := wantsLogin("127.0.0.1:5000/ns/m:tag", refusal)
	if sdk.ErrorCode(err) != sdk.CodeUnauthenticated || !strings.Contains(err.Error(), "roundhouse registry login 127.0.0.1:5000") {
		t.Fatalf("anonymous refusal: %v", err)
	}
	for _, c := range []struct {
		model string
		err   error
	}{
		{"llama3.2", errors.New("unauthorized: access denied")},                         // Ollama's registry: its own sign-in
		{"registry.ollama.ai/me/m", errors.New("unauthorized: access denied")},          // same
		{"127.0.0.1:5000/ns/m", errors.New("pull model manifest: file does not exist")}, // not an auth failure
	} {
		if got := wantsLogin(c.model, c.err); got != c.err {
			t.Errorf("wantsLogin(%q, %v) = %v, want the error unchanged", c.model, c.err, got)
		}
	}
	if wantsLogin("reg.example/m", nil) != nil {
		t.Fatal("nil error became an error")
	}
}
