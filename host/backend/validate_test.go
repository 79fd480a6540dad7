package backend

import (
	"errors"
	"math"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/roundhouse-ai/roundhouse/sdk"
)

func ptr[T any](v T) *T { return &v }

func wantField(t *testing.T, err error, field string) {
	t.Helper()
	var e *sdk.Error
	if !errors.As(err, &e) {
		t.Fatalf("error %v, want *sdk.Error naming %q", err, field)
	}
	if e.Code != sdk.CodeInvalidArgument && e.Code != sdk.CodeModelInvalidName {
		t.Errorf("code %v, want a 400 code", e.Code)
	}
	if e.Code.HTTPStatus() != 400 {
		t.Errorf("HTTP %d, want 400", e.Code.HTTPStatus())
	}
	if e.Field != field {
		t.Errorf("field %q, want %q (%v)", e.Field, field, e)
	}
}

func TestValidateOptions(t *testing.T) {
	bad := []struct {
		field string
		o     sdk.Options
	}{
		{"options.temperature", sdk.Options{Temperature: ptr(1e308)}},
		{"options.temperature", sdk.Options{Temperature: ptr(-0.1)}},
		{"options.temperature", sdk.Options{Temperature: ptr(math.NaN())}},
		{"options.temperature", sdk.Options{Temperature: ptr(math.Inf(1))}},
		{"options.top_p", sdk.Options{TopP: ptr(1.01)}},
		{"options.top_p", sdk.Options{TopP: ptr(-1.0)}},
		{"options.top_p", sdk.Options{TopP: ptr(math.NaN())}},
		{"options.top_k", sdk.Options{TopK: ptr(-1)}},
		{"options.max_tokens", sdk.Options{MaxTokens: ptr(-1)}},
		{"options.max_tokens", sdk.Options{MaxTokens: ptr(0)}},
		{"options.num_ctx", sdk.Options{NumCtx: ptr(-4096)}},
		{"options.presence_penalty", sdk.Options{PresencePenalty: ptr(2.5)}},
		{"options.frequency_penalty", sdk.Options{FrequencyPenalty: ptr(-3.0)}},
		{"options.frequency_penalty", sdk.Options{FrequencyPenalty: ptr(math.NaN())}},
	}
	for _, tc := range bad {
		wantField(t, ValidateOptions(&tc.o), tc.field)
	}
	good := []sdk.Options{
		{},
		{Temperature: ptr(0.0), TopP: ptr(1.0), TopK: ptr(0), MaxTokens: ptr(1), NumCtx: ptr(0)},
		{Temperature: ptr(2.0), TopP: ptr(0.0), PresencePenalty: ptr(-2.0), FrequencyPenalty: ptr(2.0)},
		{Seed: ptr(int64(-1))}, // any seed is fine
	}
	for _, o := range good {
		if err := ValidateOptions(&o); err != nil {
			t.Errorf("ValidateOptions(%+v) = %v, want nil", o, err)
		}
	}
	if err := ValidateOptions(nil); err != nil {
		t.Errorf("nil options: %v", err)
	}
}

func TestValidateRequests(t *testing.T) {
	user := []sdk.Message{{Role: "user", Content: "hi"}}
	wantField(t, ValidateChat(&sdk.ChatRequest{}), "messages")
	wantField(t, ValidateChat(&sdk.ChatRequest{Messages: []sdk.Message{{Role: "user"}, {Role: "wizard"}}}), "messages[1].role")
	wantField(t, ValidateChat(&sdk.ChatRequest{Messages: user, Options: &sdk.Options{TopK: ptr(-1)}}), "options.top_k")
	if err := ValidateChat(&sdk.ChatRequest{Messages: user}); err != nil {
		t.Errorf("valid chat: %v", err)
	}

	wantField(t, ValidateGenerate(&sdk.GenerateRequest{}), "prompt")
	wantField(t, ValidateGenerate(&sdk.GenerateRequest{Prompt: "x", Options: &sdk.Options{MaxTokens: ptr(-1)}}), "options.max_tokens")
	if err := ValidateGenerate(&sdk.GenerateRequest{Images: [][]byte{{1}}}); err != nil {
		t.Errorf("images without prompt: %v", err)
	}

	wantField(t, ValidateEmbed(&sdk.EmbedRequest{}), "input")
	wantField(t, ValidateEmbed(&sdk.EmbedRequest{Input: []string{}}), "input")
	wantField(t, ValidateEmbed(&sdk.EmbedRequest{Input: []string{"a", ""}}), "input[1]")
	wantField(t, ValidateEmbed(&sdk.EmbedRequest{Input: []string{"a"}, Dimensions: -1}), "dimensions")
	if err := ValidateEmbed(&sdk.EmbedRequest{Input: []string{"a"}}); err != nil {
		t.Errorf("valid embed: %v", err)
	}
}

func TestInDialect(t *testing.T) {
	names := map[string]string{"options.max_tokens": "options.num_predict", "input": "prompt", "options.temperature": "temperature"}
	wantField(t, InDialect(sdk.FieldError("options.max_tokens", "x"), names), "options.num_predict")
	wantField(t, InDialect(sdk.FieldError("input[3]", "x"), names), "prompt[3]")
	wantField(t, InDialect(sdk.FieldError("options.temperature", "x"), names), "temperature")
	// Only whole path elements match: "inputs" is not "input".
	wantField(t, InDialect(sdk.FieldError("inputs", "x"), names), "inputs")
	wantField(t, InDialect(sdk.FieldError("options.top_p", "x"), names), "options.top_p")
	wild := map[string]string{"messages[*].tool_calls[*].arguments": "messages[*].tool_calls[*].function.arguments", "tools[*]": "tools[*].function"}
	wantField(t, InDialect(sdk.FieldError("messages[12].tool_calls[0].arguments", "x"), wild), "messages[12].tool_calls[0].function.arguments")
	wantField(t, InDialect(sdk.FieldError("tools[3].parameters.a", "x"), wild), "tools[3].function.parameters.a")
	wantField(t, InDialect(sdk.FieldError("messages[1].tool_calls[x].arguments", "x"), wild), "messages[1].tool_calls[x].arguments")
	wantField(t, InDialect(sdk.FieldError("messages[1].tool_calls[2].argumentsx", "x"), wild), "messages[1].tool_calls[2].argumentsx")
	plain := errors.New("plain")
	if InDialect(plain, names) != plain || InDialect(nil, names) != nil {
		t.Error("errors without a field must pass through unchanged")
	}
}

func TestValidateModelName(t *testing.T) {
	for _, name := range []string{"\xff\xfe", "llama\xc0", "../x", "/etc", "a b", "a\x01", strings.Repeat("a", 513)} {
		wantField(t, ValidateModelName(name), "model")
		// The error travels as JSON and over gRPC: it must be UTF-8 itself.
		if err := ValidateModelName(name); !utf8.ValidString(err.Error()) {
			t.Errorf("error for %q is not valid UTF-8: %q", name, err)
		}
	}
	var e *sdk.Error
	if errors.As(ValidateModelName("\xff\xfe"), &e) && !strings.Contains(e.Message, "UTF-8") {
		t.Errorf("message %q should say the name is not UTF-8", e.Message)
	}
	for _, name := range []string{"llama3.2", "llama3.2:latest", "hf.co/org/model:Q4_K_M", "ollama/llama3.2", "模型"} {
		if err := ValidateModelName(name); err != nil {
			t.Errorf("ValidateModelName(%q) = %v", name, err)
		}
	}
}
