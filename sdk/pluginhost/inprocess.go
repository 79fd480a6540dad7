package pluginhost

import (
	"context"
	"net"

	"github.com/roundhouse-ai/roundhouse/internal/rpc"
	"github.com/roundhouse-ai/roundhouse/sdk"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/test/bufconn"
)

// ServeInProcess serves impl over an in-memory gRPC connection and returns
// the host-side Conn to it, and a func that closes both ends. Every call
// takes the path a plugin subprocess's calls take — conversion to proto,
// marshalling, the server's panic guard, errors as gRPC statuses — without
// a process, a socket or TLS. It is for tests and fuzzing of code that sits
// in front of plugins: the host's HTTP surfaces use it to prove that what
// they accept can actually be sent to a plugin.
func ServeInProcess(impl sdk.Plugin) (*Conn, func()) {
	lis := bufconn.Listen(1 << 20)
	base, stop := context.WithCancel(context.Background())
	srv := grpc.NewServer(
		grpc.MaxRecvMsgSize(rpc.DefaultMaxMessageSize),
		grpc.MaxSendMsgSize(rpc.DefaultMaxMessageSize),
		grpc.ChainUnaryInterceptor(rpc.UnaryGuard(base)),
		grpc.ChainStreamInterceptor(rpc.StreamGuard(base)),
	)
	rpc.NewServer(impl, sdk.Version).Register(srv)
	go func() { _ = srv.Serve(lis) }()
	cc, err := grpc.NewClient("passthrough:///in-process",
		grpc.WithContextDialer(func(ctx context.Context, _ string) (net.Conn, error) { return lis.DialContext(ctx) }),
		grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithChainUnaryInterceptor(rpc.UnaryRequestID),
		grpc.WithChainStreamInterceptor(rpc.StreamRequestID),
		grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(rpc.DefaultMaxMessageSize), grpc.MaxCallSendMsgSize(rpc.DefaultMaxMessageSize)))
	if err != nil { // only for malformed options, which these are not
		panic("sdk: in-process gRPC client: " + err.Error())
	}
	return newConn(cc), func() {
		_ = cc.Close()
		stop()
		srv.Stop()
	}
}
