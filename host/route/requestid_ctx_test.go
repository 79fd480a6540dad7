package route

import (
	"context"
	"testing"

	"github.com/roundhouse-ai/roundhouse/host/config"
	"github.com/roundhouse-ai/roundhouse/types"
)

// The target's context carries the call's request id whichever way it
// came: from ctx, from the Call (overriding ctx's), or made up.
func TestDispatchContextCarriesRequestID(t *testing.T) {
	d := New(config.Routing{Retry: fastRetry()}, Options{Log: quiet})
	for _, tc := range []struct{ name, inCtx, inCall string }{
		{"from ctx", "rid-ctx", ""},
		{"from call", "", "rid-call"},
		{"call over ctx", "rid-ctx", "rid-call"},
		{"same in both", "rid-1", "rid-1"},
		{"made up", "", ""},
	} {
		var seen string
		c := &Call{Service: "chat", Model: "m", RequestID: tc.inCall}
		err := d.Dispatch(types.WithRequestID(context.Background(), tc.inCtx), testSource(), c,
			func(ctx context.Context, c *Call, _ Target) error {
				seen = types.RequestIDFrom(ctx)
				c.Resp = "ok"
				return nil
			})
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		want := tc.inCall
		if want == "" {
			want = tc.inCtx
		}
		if seen != c.RequestID || c.RequestID == "" || (want != "" && c.RequestID != want) {
			t.Errorf("%s: target saw %q, call has %q, want %q", tc.name, seen, c.RequestID, want)
		}
	}
}
