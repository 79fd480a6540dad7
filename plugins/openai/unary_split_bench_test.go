package main

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
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

// envDriver makes TestUnaryDriver the other process of
// BenchmarkUnaryChatSplit: it holds the bench upstream and the gRPC
// client, so that the benchmark's own process is the plugin alone.
const envDriver = "ROUNDHOUSE_BENCH_UNARY_DRIVER"

// BenchmarkUnaryChatSplit is BenchmarkUnaryChat/grpc with the upstream
// and the calling client in another process (this test binary again, as
// TestUnaryDriver): plugin-cpu-ns/op is then the CPU time of the plugin
// side alone per call (gRPC server, guard, conversion, openaiwire, HTTP
// client), the figure benchall's per-process table reports for the
// plugin, without the host or the upstream in it.
func BenchmarkUnaryChatSplit(b *testing.B) {
	for _, conc := range []int{1, 32} {
		b.Run("c"+strconv.Itoa(conc), func(b *testing.B) { benchSplit(b, conc) })
	}
}

func benchSplit(b *testing.B, conc int) {
	sock := filepath.Join(b.TempDir(), "p.sock")
	drv := exec.Command(os.Args[0], "-test.run", "^TestUnaryDriver$")
	drv.Env = append(os.Environ(), envDriver+"="+sock)
	drv.Stderr = os.Stderr
	in, err := drv.StdinPipe()
	if err != nil {
		b.Fatal(err)
	}
	outPipe, err := drv.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	if err := drv.Start(); err != nil {
		b.Fatal(err)
	}
	defer func() { in.Close(); _ = drv.Wait() }()
	out := bufio.NewScanner(outPipe)
	next := func() string {
		for out.Scan() {
			if l := out.Text(); strings.HasPrefix(l, "driver: ") {
				return strings.TrimPrefix(l, "driver: ")
			}
		}
		b.Fatalf("driver ended: %v", out.Err())
		return ""
	}
	upURL := next()

	p := newPluginWith(&http.Client{Transport: openaiwire.NewTransport()}, time.Now)
	defer p.client.CloseIdleConnections()
	if err := p.Configure(context.Background(), &sdk.Config{Providers: []sdk.ProviderConfig{
		{Name: "fast", BaseURL: upURL + "/v1", APIKeys: []sdk.APIKey{{Value: driverKey}}},
	}}); err != nil {
		b.Fatal(err)
	}
	ln, err := net.Listen("unix", sock)
	if err != nil {
		b.Fatal(err)
	}
	base, cancel := context.WithCancel(context.Background())
	defer cancel()
	s := grpc.NewServer(append([]grpc.ServerOption{grpc.ChainUnaryInterceptor(rpc.UnaryGuard(base))}, rpc.ServerOptions()...)...)
	rpc.NewServer(p, sdk.Version).Register(s)
	go func() { _ = s.Serve(ln) }()
	defer s.Stop()

	run := func(n int) {
		if _, err := fmt.Fprintf(in, "%d %d\n", n, conc); err != nil {
			b.Fatal(err)
		}
		if r := next(); r != "done" {
			b.Fatal(r)
		}
	}
	run(200) // warm: connections, pools
	b.ReportAllocs()
	b.ResetTimer()
	start := cpuTime()
	run(b.N)
	b.ReportMetric(float64(cpuTime()-start)/float64(b.N), "plugin-cpu-ns/op")
}

const driverKey = "sk-bench-0000000000000000"

// TestUnaryDriver is BenchmarkUnaryChatSplit's other process; it does
// nothing in a normal test run.
func TestUnaryDriver(t *testing.T) {
	sock := os.Getenv(envDriver)
	if sock == "" {
		t.Skip("the other process of BenchmarkUnaryChatSplit")
	}
	up := httptest.NewServer(upstream.New(upstream.Options{APIKey: driverKey}))
	defer up.Close()
	fmt.Println("driver: " + up.URL)
	conn, err := grpc.NewClient("unix://"+sock, append(rpc.DialOptions(),
		grpc.WithTransportCredentials(insecure.NewCredentials()))...)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	c := pb.NewInferenceServiceClient(conn)
	req := &pb.ChatRequest{Model: upstream.Model, Messages: []*pb.Message{{Role: "user", Content: "ping"}}}
	ctx := metadata.AppendToOutgoingContext(context.Background(), rpc.RequestIDMetadata, "0123456789abcdef")
	cmds := bufio.NewScanner(os.Stdin)
	for cmds.Scan() {
		var n, conc int
		if _, err := fmt.Sscan(cmds.Text(), &n, &conc); err != nil {
			t.Fatal(err)
		}
		var (
			wg   sync.WaitGroup
			mu   sync.Mutex
			next int
			fail error
		)
		for range conc {
			wg.Go(func() {
				for {
					mu.Lock()
					if next >= n || fail != nil {
						mu.Unlock()
						return
					}
					next++
					mu.Unlock()
					r, err := c.Chat(ctx, req, grpc.WaitForReady(true))
					if err == nil && r.GetMessage().GetContent() != upstream.Reply {
						err = fmt.Errorf("answer %q", r.GetMessage().GetContent())
					}
					if err != nil {
						mu.Lock()
						fail = err
						mu.Unlock()
						return
					}
				}
			})
		}
		wg.Wait()
		if fail != nil {
			fmt.Println("driver: " + fail.Error())
			continue
		}
		fmt.Println("driver: done")
	}
}
