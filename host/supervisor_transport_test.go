package host

import (
	"context"
	"testing"

	"github.com/roundhouse-ai/roundhouse/sdk"
)

// The supervisor classifies failures by the SDK's Transport mark, never by
// error text: an "unavailable" the plugin answered on purpose stays what it
// is, and only a transport failure may be a crash.
func TestCrashClassificationUsesTransportField(t *testing.T) {
	p := &Plugin{name: "x"} // no process: waitDead reports it gone
	own := &sdk.Error{Code: sdk.CodeUnavailable, Message: "connection error: engine down"}
	if notDelivered(own) {
		t.Error("a plugin's own unavailable (even with 'connection error' in its text) was taken as not delivered")
	}
	if got := p.crashedDuring(context.Background(), own); got != own {
		t.Errorf("a plugin's own unavailable was rewritten: %v", got)
	}
	tr := &sdk.Error{Code: sdk.CodeUnavailable, Message: "anything", Transport: true}
	if !notDelivered(tr) {
		t.Error("a transport unavailable must count as possibly not delivered")
	}
	if got := p.crashedDuring(context.Background(), tr); sdk.ErrorCode(got) != sdk.CodePluginCrashed {
		t.Errorf("transport failure with the process gone = %v, want plugin_crashed", got)
	}
	if got := p.crashedDuring(context.Background(), nil); got != nil {
		t.Errorf("nil error became %v", got)
	}
}
