package rpc

import (
	"context"
	"unicode/utf8"

	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"

	"github.com/roundhouse-ai/roundhouse/types"
)

// RequestIDMetadata is the gRPC metadata key that carries the host's
// request id to the plugin.
const RequestIDMetadata = "x-request-id"

// maxRequestID bounds an id taken from metadata: it is logged.
const maxRequestID = 128

// UnaryRequestID (client side) sends the context's request id as metadata.
func UnaryRequestID(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
	return invoker(outgoingRequestID(ctx), method, req, reply, cc, opts...)
}

// StreamRequestID is UnaryRequestID for streaming calls.
func StreamRequestID(ctx context.Context, desc *grpc.StreamDesc, cc *grpc.ClientConn, method string, streamer grpc.Streamer, opts ...grpc.CallOption) (grpc.ClientStream, error) {
	return streamer(outgoingRequestID(ctx), desc, cc, method, opts...)
}

func outgoingRequestID(ctx context.Context) context.Context {
	if id := types.RequestIDFrom(ctx); id != "" {
		return metadata.AppendToOutgoingContext(ctx, RequestIDMetadata, id)
	}
	return ctx
}

// incomingRequestID (server side) puts the request id the host sent into
// the call's context, where types.RequestIDFrom (sdk.RequestID) and the
// plugin's logger find it.
//
// ValueFromIncomingContext copies only this key's values, where
// FromIncomingContext would copy every key of the call's metadata.
func incomingRequestID(ctx context.Context) context.Context {
	v := metadata.ValueFromIncomingContext(ctx, RequestIDMetadata)
	if len(v) == 0 || v[0] == "" || len(v[0]) > maxRequestID || !utf8.ValidString(v[0]) {
		return ctx
	}
	return types.WithRequestID(ctx, v[0])
}
