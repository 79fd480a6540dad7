package rpc

import "google.golang.org/grpc"

// Flow-control windows of the host↔plugin connection. gRPC's defaults
// start at 64 KB and grow by bandwidth-delay estimation, which pings the
// peer as data arrives; on a private unix socket the delay is nil and the
// pings are pure overhead (a frame and a flush each way). A fixed 4 MB per
// stream and 16 MB per connection switch the estimator off and let a
// 64-stream burst of chunks flow without window updates on every few KB.
// Memory is only used by data actually in flight.
const (
	streamWindow = 4 << 20
	connWindow   = 16 << 20
)

// DialOptions are the host side's transport settings for a plugin
// connection.
func DialOptions() []grpc.DialOption {
	return []grpc.DialOption{
		grpc.WithInitialWindowSize(streamWindow),
		grpc.WithInitialConnWindowSize(connWindow),
	}
}

// ServerOptions are the plugin side's.
func ServerOptions() []grpc.ServerOption {
	return []grpc.ServerOption{
		grpc.InitialWindowSize(streamWindow),
		grpc.InitialConnWindowSize(connWindow),
	}
}
