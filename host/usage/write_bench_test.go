package usage

import (
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"testing"
	"time"
)

// BenchmarkStoreWrite is the writer goroutine's cost per record (ns/op is
// per record), for batches of the default size (64) and a larger one
// (512). A CPU profile shows where a record's cost goes: SQLite's VDBE and
// b-tree insert, and the WAL pwrites of each commit (about a third).
func BenchmarkStoreWrite(b *testing.B) {
	for _, n := range []int{64, 512} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			s, err := Open(filepath.Join(b.TempDir(), "usage.db"), Options{Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			cost := 0.0001
			batch := make([]Record, n)
			for i := range batch {
				batch[i] = Record{Time: time.Now(), RequestID: "req-0123456789abcdef", App: "bench", Service: "chat", Model: "gpt-x",
					Requested: "gpt-x", Plugin: "openai", Provider: "fast", InputTokens: 12, OutputTokens: 34, Cost: &cost,
					LatencyMS: 1.5, Status: 200}
			}
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i += len(batch) {
				s.write(batch)
			}
		})
	}
}
