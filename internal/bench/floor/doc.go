// Package floor is the benchmarks' reference path: the smallest program
// with the same process hops as a call through Roundhouse and no logic —
// an HTTP server (the "front", in the host's place) that forwards the raw
// request body as one gRPC message over a unix socket to a separate
// process (the "plugin") that POSTs it to the upstream and returns the raw
// answer; a stream is relayed message by message (one SSE event per gRPC
// message, flushed to the client as it arrives). Optionally the gRPC leg
// uses mutual TLS with throw-away certificates, as go-plugin's AutoMTLS
// does.
//
// What the host costs on top of this floor is what Roundhouse itself
// costs: its targets in BENCHMARKS.md are stated against it.
//
// The package also holds a prototype below the floor, the "lease" mode:
// the plugin only hands the front a short-lived route to the upstream
// (URL and credential) over gRPC, and the front calls the upstream itself,
// so a pass-through call crosses one process boundary fewer.
package floor
