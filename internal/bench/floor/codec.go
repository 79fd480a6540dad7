package floor

import (
	"context"
	"fmt"

	"google.golang.org/grpc"
)

// rawCodec carries a gRPC message as the raw bytes of a *[]byte: no
// protobuf, no JSON.
type rawCodec struct{}

func (rawCodec) Name() string { return "floor-raw" }

func (rawCodec) Marshal(v any) ([]byte, error) {
	p, ok := v.(*[]byte)
	if !ok {
		return nil, fmt.Errorf("floor codec: cannot marshal %T", v)
	}
	return *p, nil
}

// Unmarshal copies: gRPC reuses data's buffer once this returns.
func (rawCodec) Unmarshal(data []byte, v any) error {
	p, ok := v.(*[]byte)
	if !ok {
		return fmt.Errorf("floor codec: cannot unmarshal into %T", v)
	}
	*p = append((*p)[:0], data...)
	return nil
}

const (
	serviceName  = "roundhouse.bench.floor.Relay"
	methodCall   = "/" + serviceName + "/Call"
	methodStream = "/" + serviceName + "/Stream"
	methodLease  = "/" + serviceName + "/Lease"
)

// relay is what the plugin serves.
type relay interface {
	call(ctx context.Context, body []byte) ([]byte, error)
	stream(body []byte, send func([]byte) error, ctx context.Context) error
	lease(ctx context.Context) ([]byte, error)
}

func unaryHandler(f func(relay, context.Context, []byte) ([]byte, error)) grpc.MethodHandler {
	return func(srv any, ctx context.Context, dec func(any) error, _ grpc.UnaryServerInterceptor) (any, error) {
		var in []byte
		if err := dec(&in); err != nil {
			return nil, err
		}
		out, err := f(srv.(relay), ctx, in)
		if err != nil {
			return nil, err
		}
		return &out, nil
	}
}

var serviceDesc = grpc.ServiceDesc{
	ServiceName: serviceName,
	HandlerType: (*relay)(nil),
	Methods: []grpc.MethodDesc{
		{MethodName: "Call", Handler: unaryHandler(relay.call)},
		{MethodName: "Lease", Handler: unaryHandler(func(r relay, ctx context.Context, _ []byte) ([]byte, error) { return r.lease(ctx) })},
	},
	Streams: []grpc.StreamDesc{{
		StreamName:    "Stream",
		ServerStreams: true,
		Handler: func(srv any, ss grpc.ServerStream) error {
			var in []byte
			if err := ss.RecvMsg(&in); err != nil {
				return err
			}
			return srv.(relay).stream(in, func(b []byte) error { return ss.SendMsg(&b) }, ss.Context())
		},
	}},
}
