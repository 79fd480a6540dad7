package pluginhost

import (
	"context"
	"strings"
	"sync"

	"google.golang.org/grpc"

	"github.com/roundhouse-ai/roundhouse/internal/rpc"
)

// inflight counts the calls in flight on one plugin connection, on the
// host side: the host drains them before it replaces a plugin's binary,
// so a stream already answering finishes on the old process.
type inflight struct {
	mu sync.Mutex
	n  int
	// idle is made by a wait while calls are in flight and closed when
	// the last one ends: a call made while nobody waits (nearly every
	// one) allocates nothing.
	idle chan struct{}
}

func newInflight() *inflight { return &inflight{} }

// begin counts a stream in; the function it returns counts it out, once
// however often it is called.
func (f *inflight) begin() func() {
	f.enter()
	var once sync.Once
	return func() { once.Do(f.exit) }
}

// enter and exit count a unary call in and out (no closure to allocate).
func (f *inflight) enter() {
	f.mu.Lock()
	f.n++
	f.mu.Unlock()
}

func (f *inflight) exit() {
	f.mu.Lock()
	f.n--
	if f.n == 0 && f.idle != nil {
		close(f.idle)
		f.idle = nil
	}
	f.mu.Unlock()
}

func (f *inflight) count() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.n
}

// wait returns when no call is in flight (true) or ctx ends (false).
func (f *inflight) wait(ctx context.Context) bool {
	f.mu.Lock()
	if f.n == 0 {
		f.mu.Unlock()
		return true
	}
	if f.idle == nil {
		f.idle = make(chan struct{})
	}
	idle := f.idle
	f.mu.Unlock()
	select {
	case <-idle:
		return true
	case <-ctx.Done():
		return false
	}
}

// dialOptions are the client's interceptors: the request id of each call
// as gRPC metadata (rpc.UnaryRequestID), then the in-flight count the
// host drains on. One interceptor does both: a chain of two cost gRPC an
// allocation per call.
func (f *inflight) dialOptions() []grpc.DialOption {
	return []grpc.DialOption{
		grpc.WithUnaryInterceptor(func(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
			if !counted(method) {
				return rpc.UnaryRequestID(ctx, method, req, reply, cc, invoker, opts...)
			}
			f.enter()
			defer f.exit()
			return rpc.UnaryRequestID(ctx, method, req, reply, cc, invoker, opts...)
		}),
		grpc.WithStreamInterceptor(func(ctx context.Context, desc *grpc.StreamDesc, cc *grpc.ClientConn, method string, streamer grpc.Streamer, opts ...grpc.CallOption) (grpc.ClientStream, error) {
			if !counted(method) {
				return rpc.StreamRequestID(ctx, desc, cc, method, streamer, opts...)
			}
			done := f.begin()
			cs, err := rpc.StreamRequestID(ctx, desc, cc, method, streamer, opts...)
			if err != nil {
				done()
				return nil, err
			}
			// A stream ends when a receive fails (io.EOF included) or its
			// context ends, whichever the caller reaches first.
			go func() { <-cs.Context().Done(); done() }()
			return &countedStream{ClientStream: cs, done: done}, nil
		}),
	}
}

// counted reports whether a gRPC method is one of the plugin's services:
// go-plugin's own streams (broker, stdio, controller) share the
// connection and live as long as the process.
func counted(method string) bool { return strings.HasPrefix(method, "/roundhouse.") }

type countedStream struct {
	grpc.ClientStream
	done func()
}

func (s *countedStream) RecvMsg(m any) error {
	err := s.ClientStream.RecvMsg(m)
	if err != nil { // io.EOF: the stream ended normally
		s.done()
	}
	return err
}

// InFlight is how many calls to the plugin are in flight now.
func (p *Process) InFlight() int {
	if p.calls == nil {
		return 0
	}
	return p.calls.count()
}

// Drain waits until no call to the plugin is in flight, or ctx ends; it
// reports whether the plugin went idle. New calls are not refused: the
// caller stops routing to the process first.
func (p *Process) Drain(ctx context.Context) bool {
	if p.calls == nil {
		return true
	}
	return p.calls.wait(ctx)
}
