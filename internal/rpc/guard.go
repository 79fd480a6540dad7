package rpc

import (
	"context"
	"fmt"
	"log/slog"
	"runtime/debug"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/roundhouse-ai/roundhouse/types"
)

// UnaryGuard ties each call's context to the plugin's lifetime and turns a
// panic in plugin code into an Internal error instead of a crash.
func UnaryGuard(base context.Context) grpc.UnaryServerInterceptor {
	return func(ctx context.Context, req any, info *grpc.UnaryServerInfo, h grpc.UnaryHandler) (resp any, err error) {
		ctx, stop := linkContext(incomingRequestID(ctx), base)
		defer stop()
		defer logFailed(ctx, info.FullMethod, &err)
		defer recoverPanic(&err)
		return h(ctx, req)
	}
}

// StreamGuard is UnaryGuard for streaming calls.
func StreamGuard(base context.Context) grpc.StreamServerInterceptor {
	return func(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, h grpc.StreamHandler) (err error) {
		ctx, stop := linkContext(incomingRequestID(ss.Context()), base)
		defer stop()
		defer logFailed(ctx, info.FullMethod, &err)
		defer recoverPanic(&err)
		return h(srv, &ctxStream{ServerStream: ss, ctx: ctx})
	}
}

// logFailed logs a call that failed with the request id the host sent, so
// the plugin's log line can be matched with the host's.
func logFailed(ctx context.Context, method string, err *error) {
	if *err == nil {
		return
	}
	if id := types.RequestIDFrom(ctx); id != "" {
		slog.InfoContext(ctx, "call failed", "method", method, "error", (*err).Error())
	}
}

func linkContext(ctx, base context.Context) (context.Context, func()) {
	ctx, cancel := context.WithCancel(ctx)
	stop := context.AfterFunc(base, cancel)
	return ctx, func() { stop(); cancel() }
}

func recoverPanic(err *error) {
	if r := recover(); r != nil {
		slog.Error("plugin panic", "panic", fmt.Sprint(r), "stack", string(debug.Stack()))
		*err = status.Errorf(codes.Internal, "plugin panic: %v", r)
	}
}

type ctxStream struct {
	grpc.ServerStream
	ctx context.Context
}

func (s *ctxStream) Context() context.Context { return s.ctx }
