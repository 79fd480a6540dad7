package load

import (
	"context"
	"math/rand/v2"
	"testing"
	"time"
)

func ms(v ...int) []time.Duration {
	out := make([]time.Duration, len(v))
	for i, x := range v {
		out[i] = time.Duration(x) * time.Millisecond
	}
	return out
}

func TestPercentileNearestRank(t *testing.T) {
	hundred := make([]time.Duration, 100)
	for i := range hundred {
		hundred[i] = time.Duration(i+1) * time.Millisecond // 1..100 ms
	}
	tests := []struct {
		name string
		in   []time.Duration
		p    float64
		want time.Duration
	}{
		{"empty", nil, 50, 0},
		{"single p0", ms(7), 0, 7 * time.Millisecond},
		{"single p50", ms(7), 50, 7 * time.Millisecond},
		{"single p99", ms(7), 99, 7 * time.Millisecond},
		{"100 p50", hundred, 50, 50 * time.Millisecond},
		{"100 p90", hundred, 90, 90 * time.Millisecond},
		{"100 p99", hundred, 99, 99 * time.Millisecond},
		{"100 p100", hundred, 100, 100 * time.Millisecond},
		{"100 p0", hundred, 0, 1 * time.Millisecond},
		{"100 p99.5", hundred, 99.5, 100 * time.Millisecond},
		{"100 p1", hundred, 1, 1 * time.Millisecond},
		{"100 p1.5", hundred, 1.5, 2 * time.Millisecond},
		// 10 values: p50 is the 5th, p90 the 9th, p99 the 10th.
		{"10 p50", ms(1, 2, 3, 4, 5, 6, 7, 8, 9, 10), 50, 5 * time.Millisecond},
		{"10 p90", ms(1, 2, 3, 4, 5, 6, 7, 8, 9, 10), 90, 9 * time.Millisecond},
		{"10 p99", ms(1, 2, 3, 4, 5, 6, 7, 8, 9, 10), 99, 10 * time.Millisecond},
		// Even count p50 takes the lower middle (nearest rank, no interpolation).
		{"4 p50", ms(10, 20, 30, 40), 50, 20 * time.Millisecond},
		{"3 p50", ms(10, 20, 30), 50, 20 * time.Millisecond},
		{"over 100", ms(1, 2), 150, 2 * time.Millisecond},
		{"negative", ms(1, 2), -5, 1 * time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Percentile(tt.in, tt.p); got != tt.want {
				t.Errorf("Percentile(%v, %v) = %v, want %v", tt.in, tt.p, got, tt.want)
			}
		})
	}
}

// The nearest-rank definition: at least p% of values are ≤ the result,
// and fewer than p% are strictly below it.
func TestPercentileProperty(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for range 200 {
		n := 1 + r.IntN(500)
		ds := make([]time.Duration, n)
		for i := range ds {
			ds[i] = time.Duration(r.IntN(1000))
		}
		d := Summarize(ds) // sorts
		for _, p := range []float64{1, 10, 50, 90, 99, 99.9} {
			v := Percentile(ds, p)
			le, lt := 0, 0
			for _, x := range ds {
				if x <= v {
					le++
				}
				if x < v {
					lt++
				}
			}
			if float64(le) < p/100*float64(n)-1e-9 {
				t.Fatalf("n=%d p=%v: only %d values ≤ %v", n, p, le, v)
			}
			if float64(lt) >= p/100*float64(n)+1e-9 {
				t.Fatalf("n=%d p=%v: %d values < %v (not the smallest such value)", n, p, lt, v)
			}
		}
		if d.Min != ds[0] || d.Max != ds[n-1] || d.P50 > d.P90 || d.P90 > d.P99 || d.P99 > d.Max {
			t.Fatalf("inconsistent summary %+v", d)
		}
	}
}

func TestSummarize(t *testing.T) {
	d := Summarize(ms(5, 1, 4, 2, 3))
	want := Dist{N: 5, Min: 1 * time.Millisecond, Mean: 3 * time.Millisecond, P50: 3 * time.Millisecond,
		P90: 5 * time.Millisecond, P99: 5 * time.Millisecond, Max: 5 * time.Millisecond}
	if d != want {
		t.Fatalf("Summarize = %+v, want %+v", d, want)
	}
	if (Summarize(nil) != Dist{}) {
		t.Fatal("Summarize(nil) not zero")
	}
}

func TestCombine(t *testing.T) {
	a := Run(t.Context(), Config{Concurrency: 1, Duration: 50 * time.Millisecond}, func(ctx context.Context, w int) Sample {
		time.Sleep(time.Millisecond)
		return Sample{Latency: time.Millisecond, Chunks: 2, TTFC: time.Microsecond}
	})
	b := Run(t.Context(), Config{Concurrency: 1, Duration: 50 * time.Millisecond}, func(ctx context.Context, w int) Sample {
		time.Sleep(time.Millisecond)
		return Sample{Latency: 3 * time.Millisecond, Err: nil, Chunks: 2, TTFC: time.Microsecond}
	})
	c := Combine(a, b)
	if c.Requests != a.Requests+b.Requests || c.Duration != 100*time.Millisecond || c.Chunks != a.Chunks+b.Chunks {
		t.Fatalf("combine: %+v", c)
	}
	if c.Latency.Min != time.Millisecond || c.Latency.Max != 3*time.Millisecond {
		t.Fatalf("combined latency %+v", c.Latency)
	}
	if want := float64(c.Requests) / 0.1; c.RPS < want*0.999 || c.RPS > want*1.001 {
		t.Fatalf("rps %v want %v", c.RPS, want)
	}
}
