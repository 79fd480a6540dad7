package rpc

import (
	"context"
	"testing"

	"google.golang.org/grpc/metadata"

	"github.com/roundhouse-ai/roundhouse/types"
)

func TestRequestIDMetadataRoundTrip(t *testing.T) {
	out := outgoingRequestID(types.WithRequestID(context.Background(), "req-1"))
	md, _ := metadata.FromOutgoingContext(out)
	in := incomingRequestID(metadata.NewIncomingContext(context.Background(), md))
	if got := types.RequestIDFrom(in); got != "req-1" {
		t.Fatalf("request id on the plugin side = %q, want req-1", got)
	}
	if _, ok := metadata.FromOutgoingContext(outgoingRequestID(context.Background())); ok {
		t.Error("metadata added for a context without a request id")
	}
	long := metadata.Pairs(RequestIDMetadata, string(make([]byte, maxRequestID+1)))
	if got := types.RequestIDFrom(incomingRequestID(metadata.NewIncomingContext(context.Background(), long))); got != "" {
		t.Errorf("an over-long id was accepted: %d bytes", len(got))
	}
}
