// Package load is Roundhouse's load generator: a fixed number of workers
// send requests back to back for a fixed duration after a warm-up, and the
// run reports throughput, latency percentiles and errors; for streams also
// time to first chunk, chunks per second and whether any numbered chunk
// was lost or reordered.
package load

import (
	"context"
	"slices"
	"sync"
	"time"
)

// Config is one measurement point.
type Config struct {
	// Concurrency is the number of workers, each with one request in
	// flight at a time (closed loop).
	Concurrency int
	// Warmup runs the load without recording it (connections, caches,
	// JIT-less but GC-ful Go heaps settle).
	Warmup time.Duration
	// Duration is the recorded window after the warm-up.
	Duration time.Duration
	// Drain bounds how long requests still in flight at the end may take
	// before they are cancelled (default 10 s). They are never recorded.
	Drain time.Duration
}

// Sample is the outcome of one request.
type Sample struct {
	// Latency is the whole request: until the last byte of the answer.
	Latency time.Duration
	// TTFC is the time to the first content chunk of a stream (0 for
	// unary calls).
	TTFC time.Duration
	// Chunks is the number of content chunks of a stream.
	Chunks int
	// Rate is the stream's own chunk rate after its first chunk
	// (chunks−1 over the time from first to last), 0 when undefined.
	Rate float64
	// OrderErr reports a lost, repeated or reordered numbered chunk.
	OrderErr error
	// Err is any other failure; failed samples count as errors only.
	Err error
}

// Op performs one request. worker is the worker's index (0 ≤ worker <
// Concurrency).
type Op func(ctx context.Context, worker int) Sample

// Result is a finished run.
type Result struct {
	Concurrency int
	Duration    time.Duration
	// Requests completed successfully in the recorded window.
	Requests int
	// Errors in the recorded window (OrderErrors included).
	Errors int
	// OrderErrors are streams with lost/reordered/repeated chunks.
	OrderErrors int
	// FirstError is the first error seen, for the report.
	FirstError string
	RPS        float64
	Latency    Dist
	TTFC       Dist
	// Chunks received by the successful streams; ChunksPerSec is Chunks
	// over the window.
	Chunks       int64
	ChunksPerSec float64
	// StreamRate is the median per-stream chunk rate (tokens/s of one
	// stream once it started).
	StreamRate float64

	// The raw samples, for Combine.
	latencies, ttfcs []time.Duration
	rates            []float64
}

type workerLog struct {
	lat, ttfc []time.Duration
	rates     []float64
	chunks    int64
	errs      int
	orderErrs int
	firstErr  string
}

// Run runs op under cfg until the window ends or ctx is cancelled.
// Samples count when they complete inside the window [start+Warmup,
// start+Warmup+Duration].
func Run(ctx context.Context, cfg Config, op Op) Result {
	if cfg.Concurrency < 1 {
		cfg.Concurrency = 1
	}
	if cfg.Drain <= 0 {
		cfg.Drain = 10 * time.Second
	}
	start := time.Now()
	from := start.Add(cfg.Warmup)
	until := from.Add(cfg.Duration)
	opCtx, cancel := context.WithDeadline(ctx, until.Add(cfg.Drain))
	defer cancel()

	logs := make([]workerLog, cfg.Concurrency)
	var wg sync.WaitGroup
	for w := range cfg.Concurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			l := &logs[w]
			for opCtx.Err() == nil && time.Now().Before(until) {
				s := op(opCtx, w)
				now := time.Now()
				if now.Before(from) || now.After(until) {
					continue
				}
				if s.Err == nil && s.OrderErr != nil {
					s.Err = s.OrderErr
					l.orderErrs++
				}
				if s.Err != nil {
					if ctx.Err() != nil {
						continue // the caller gave up; not the target's fault
					}
					l.errs++
					if l.firstErr == "" {
						l.firstErr = s.Err.Error()
					}
					continue
				}
				l.lat = append(l.lat, s.Latency)
				if s.TTFC > 0 || s.Chunks > 0 {
					l.ttfc = append(l.ttfc, s.TTFC)
				}
				if s.Rate > 0 {
					l.rates = append(l.rates, s.Rate)
				}
				l.chunks += int64(s.Chunks)
			}
		}()
	}
	wg.Wait()
	return merge(cfg, logs)
}

func merge(cfg Config, logs []workerLog) Result {
	r := Result{Concurrency: cfg.Concurrency, Duration: cfg.Duration}
	var lat, ttfc []time.Duration
	var rates []float64
	for _, l := range logs {
		lat = append(lat, l.lat...)
		ttfc = append(ttfc, l.ttfc...)
		rates = append(rates, l.rates...)
		r.Chunks += l.chunks
		r.Errors += l.errs
		r.OrderErrors += l.orderErrs
		if r.FirstError == "" {
			r.FirstError = l.firstErr
		}
	}
	r.latencies, r.ttfcs, r.rates = lat, ttfc, rates
	r.summarize()
	return r
}

func (r *Result) summarize() {
	r.Requests = len(r.latencies)
	r.RPS, r.ChunksPerSec = 0, 0
	if secs := r.Duration.Seconds(); secs > 0 {
		r.RPS = float64(r.Requests) / secs
		r.ChunksPerSec = float64(r.Chunks) / secs
	}
	r.Latency = Summarize(r.latencies)
	r.TTFC = Summarize(r.ttfcs)
	r.StreamRate = medianFloat(r.rates)
}

// Combine merges runs of the same point (e.g. rounds interleaved with
// other points, so that drifting background load hits every point alike)
// into one result over their total duration.
func Combine(rs ...Result) Result {
	var out Result
	for _, r := range rs {
		if out.Concurrency == 0 {
			out.Concurrency = r.Concurrency
		}
		out.Duration += r.Duration
		out.Errors += r.Errors
		out.OrderErrors += r.OrderErrors
		if out.FirstError == "" {
			out.FirstError = r.FirstError
		}
		out.Chunks += r.Chunks
		out.latencies = append(out.latencies, r.latencies...)
		out.ttfcs = append(out.ttfcs, r.ttfcs...)
		out.rates = append(out.rates, r.rates...)
	}
	out.summarize()
	return out
}

func medianFloat(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := slices.Clone(v)
	slices.Sort(s)
	return s[(len(s)-1)/2]
}
