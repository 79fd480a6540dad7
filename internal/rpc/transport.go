package rpc

import (
	"runtime"

	"google.golang.org/grpc"
)

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

// streamWorkers is how many calls the plugin's gRPC server runs on
// long-lived goroutines (per CPU, at least 32 in all; calls beyond that
// get a goroutine of their own, as without workers).
//
// Why: gRPC otherwise starts a goroutine per call, whose stack starts
// small and grows (allocate and copy, runtime.newstack) as the handler
// goes down through the conversion, the plugin, its HTTP client: 9 % of
// the openai plugin's CPU per unary call (pprof, BenchmarkUnaryChatSplit).
// A worker keeps its grown stack from call to call; gRPC replaces each
// worker after 65536 calls, so one deep call does not pin a big stack for
// ever. The idle cost is a parked goroutine each. (The option is marked
// experimental in grpc-go; were it dropped, calls would only be slower.)
func streamWorkers() uint32 { return uint32(max(32, 8*runtime.GOMAXPROCS(0))) }

// ServerOptions are the plugin side's.
func ServerOptions() []grpc.ServerOption {
	return []grpc.ServerOption{
		grpc.InitialWindowSize(streamWindow),
		grpc.InitialConnWindowSize(connWindow),
		grpc.NumStreamWorkers(streamWorkers()),
	}
}
