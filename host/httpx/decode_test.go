package httpx

import (
	"errors"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/roundhouse-ai/roundhouse/sdk"
)

// TestDecodeJSONWhitespace: only JSON's whitespace may pad a body. "{}\f"
// was accepted as {} because bytes.TrimSpace strips \f (found by FuzzEmbed
// of the Ollama surface: a non-JSON body answered 200).
func TestDecodeJSONWhitespace(t *testing.T) {
	for _, body := range []string{"{}\f", "\v{}", "{}\u0085", "\u00a0{}", "\f"} {
		var v map[string]any
		err := DecodeJSON(httptest.NewRecorder(), httptest.NewRequest("POST", "/", strings.NewReader(body)), 0, &v)
		var e *sdk.Error
		if !errors.As(err, &e) || e.Code != sdk.CodeInvalidArgument || e.Field != "body" {
			t.Errorf("%q: error %v, want invalid_argument on body", body, err)
		}
	}
	for _, body := range []string{" {}\n", "\t\r\n{} ", "{}"} {
		var v map[string]any
		if err := DecodeJSON(httptest.NewRecorder(), httptest.NewRequest("POST", "/", strings.NewReader(body)), 0, &v); err != nil {
			t.Errorf("%q: %v", body, err)
		}
	}
	var v map[string]any
	if err := DecodeJSON(httptest.NewRecorder(), httptest.NewRequest("POST", "/", strings.NewReader(" \r\n\t")), 0, &v); err == nil ||
		!strings.Contains(err.Error(), "empty") {
		t.Errorf("blank body: %v, want the empty-body error", err)
	}
}

// TestDecodeJSONHugeNumber: a number JSON can write but float64 cannot
// hold (1e400) is a 400 naming the field, not a 500.
func TestDecodeJSONHugeNumber(t *testing.T) {
	var v struct {
		Options struct {
			Temperature *float64 `json:"temperature"`
		} `json:"options"`
	}
	err := DecodeJSON(httptest.NewRecorder(), httptest.NewRequest("POST", "/", strings.NewReader(`{"options":{"temperature":1e400}}`)), 0, &v)
	var e *sdk.Error
	if !errors.As(err, &e) || e.Code != sdk.CodeInvalidArgument || e.Field != "options.temperature" {
		t.Fatalf("error %#v, want invalid_argument on options.temperature", err)
	}
}
