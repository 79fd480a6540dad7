package host

import (
	"strings"
	"testing"

	"github.com/roundhouse-ai/roundhouse/sdk"
)

// A plugin's refusal is logged and shown in GET /v1/providers: a key it
// quoted must come out masked.
func TestScrubKeys(t *testing.T) {
	ps := []sdk.ProviderConfig{{Name: "p", APIKeys: []sdk.APIKey{{Value: "sk-secret-0123456789"}}, Headers: map[string]string{"X-Token": "tok-abcdef123456"}}}
	got := scrubKeys(`key "sk-secret-0123456789" refused; header tok-abcdef123456 bad`, ps)
	if strings.Contains(got, "sk-secret-0123456789") || strings.Contains(got, "tok-abcdef123456") || !strings.Contains(got, "refused") {
		t.Fatalf("scrubbed: %s", got)
	}
}
