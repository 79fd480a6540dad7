// Package bench holds Roundhouse's performance harness; this package itself
// has only the in-process benchmarks (router_bench_test.go: decoding a
// native chat body, the router's resolve, the whole native handler against
// a real plugin subprocess).
//
//	upstream/       a fast OpenAI-compatible upstream (no sleeps)
//	load/           the load generator: closed-loop workers, percentiles,
//	                time to first chunk, chunk loss/order checks
//	harness/        processes in their own groups, the host, RSS
//	cmd/benchall/   runs everything side by side and writes BENCHMARKS.md
//
// Run it with `make bench`.
package bench
