package main

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"runtime"
	"syscall"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"

	"github.com/roundhouse-ai/roundhouse/internal/bench/upstream"
	pb "github.com/roundhouse-ai/roundhouse/internal/pluginv1"
	"github.com/roundhouse-ai/roundhouse/internal/rpc"
	"github.com/roundhouse-ai/roundhouse/sdk"
	"github.com/roundhouse-ai/roundhouse/sdk/wire/openaiwire"
)

// BenchmarkUnaryChat runs the plugin side of one non-streamed chat call,
// as benchall's OpenAI-compatible route makes it, against the bench
// upstream's fixed completion:
//
//   - direct: plugin.Chat (routing, key lease, request body, HTTP call,
//     answer decode);
//   - grpc: the same through the plugin's gRPC server as Serve builds it
//     (guard interceptor, request-id metadata, proto conversion) over a
//     unix socket, from an in-process client. The client's own cost is
//     in the figures too, the same before and after a plugin-side change.
//
// cpu-ns/op is the process's CPU time (user+system, every goroutine:
// plugin, in-process upstream and client) per call: on a shared machine
// it moves far less than ns/op, which is one call's wall time.
func BenchmarkUnaryChat(b *testing.B) {
	const key = "sk-bench-0000000000000000"
	up := httptest.NewServer(upstream.New(upstream.Options{APIKey: key}))
	b.Cleanup(up.Close)
	p := newPluginWith(&http.Client{Transport: openaiwire.NewTransport()}, time.Now)
	b.Cleanup(p.client.CloseIdleConnections)
	if err := p.Configure(context.Background(), &sdk.Config{Providers: []sdk.ProviderConfig{
		{Name: "fast", BaseURL: up.URL + "/v1", APIKeys: []sdk.APIKey{{Value: key}}},
	}}); err != nil {
		b.Fatal(err)
	}
	req := &sdk.ChatRequest{Model: upstream.Model, Messages: []sdk.Message{{Role: "user", Content: "ping"}}}
	check := func(b *testing.B, content string) {
		if content != upstream.Reply {
			b.Fatalf("answer %q, want %q", content, upstream.Reply)
		}
	}

	b.Run("direct", func(b *testing.B) {
		b.ReportAllocs()
		ctx := sdk.WithRequestID(context.Background(), "0123456789abcdef")
		defer reportCPU(b)()
		for b.Loop() {
			r, err := p.Chat(ctx, req)
			if err != nil {
				b.Fatal(err)
			}
			check(b, r.Message.Content)
		}
	})

	b.Run("grpc", func(b *testing.B) {
		sock := filepath.Join(b.TempDir(), "p.sock")
		ln, err := net.Listen("unix", sock)
		if err != nil {
			b.Fatal(err)
		}
		base, cancel := context.WithCancel(context.Background())
		defer cancel()
		opts := append([]grpc.ServerOption{grpc.ChainUnaryInterceptor(rpc.UnaryGuard(base))}, rpc.ServerOptions()...)
		s := grpc.NewServer(opts...)
		rpc.NewServer(p, sdk.Version).Register(s)
		go func() { _ = s.Serve(ln) }()
		defer s.Stop()
		conn, err := grpc.NewClient("unix://"+sock, append(rpc.DialOptions(),
			grpc.WithTransportCredentials(insecure.NewCredentials()))...)
		if err != nil {
			b.Fatal(err)
		}
		defer conn.Close()
		c := pb.NewInferenceServiceClient(conn)
		in := &pb.ChatRequest{Model: upstream.Model, Messages: []*pb.Message{{Role: "user", Content: "ping"}}}
		ctx := metadata.AppendToOutgoingContext(context.Background(), rpc.RequestIDMetadata, "0123456789abcdef")
		b.Run("c1", func(b *testing.B) {
			b.ReportAllocs()
			defer reportCPU(b)()
			for b.Loop() {
				r, err := c.Chat(ctx, in)
				if err != nil {
					b.Fatal(err)
				}
				check(b, r.GetMessage().GetContent())
			}
		})
		// c32: 32 calls in flight, as benchall's non-stream c=32.
		b.Run("c32", func(b *testing.B) {
			b.ReportAllocs()
			b.SetParallelism(max(1, 32/runtime.GOMAXPROCS(0)))
			defer reportCPU(b)()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					r, err := c.Chat(ctx, in)
					if err != nil {
						b.Error(err)
						return
					}
					if r.GetMessage().GetContent() != upstream.Reply {
						b.Errorf("answer %q", r.GetMessage().GetContent())
						return
					}
				}
			})
		})
	})
}

// reportCPU reports the process's CPU time per op when the returned
// function is called at the end of the benchmark.
func reportCPU(b *testing.B) func() {
	start := cpuTime()
	return func() { b.ReportMetric(float64(cpuTime()-start)/float64(b.N), "cpu-ns/op") }
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
