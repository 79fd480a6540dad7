package openaiwire

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"
)

// readBody reads what io.ReadAll(io.LimitReader(r, limit+1)) reads,
// whatever Content-Length said, in one buffer when it was right.
func TestReadBodyMatchesReadAll(t *testing.T) {
	const limit = 1000
	for _, n := range []int{0, 1, 511, 512, 513, 999, 1000, 1001, 5000} {
		data := []byte(strings.Repeat("abcdefghij", n/10+1)[:n])
		want, _ := io.ReadAll(io.LimitReader(bytes.NewReader(data), limit+1))
		for _, size := range []int64{-1, 0, int64(n) - 1, int64(n), int64(n) + 1, limit, limit + 1} {
			for name, r := range map[string]io.Reader{
				"plain":    bytes.NewReader(data),
				"one byte": iotest.OneByteReader(bytes.NewReader(data)),
				"data+EOF": iotest.DataErrReader(bytes.NewReader(data)),
			} {
				got, err := readBody(r, size, limit)
				if err != nil || !bytes.Equal(got, want) {
					t.Fatalf("%d bytes, size %d, %s: got %d bytes (%v), want %d", n, size, name, len(got), err, len(want))
				}
			}
		}
	}
	boom := errors.New("boom")
	if _, err := readBody(iotest.ErrReader(boom), 10, limit); !errors.Is(err, boom) {
		t.Fatalf("read error %v, want boom", err)
	}
	if _, err := readBody(io.MultiReader(strings.NewReader("abc"), iotest.ErrReader(boom)), 10, limit); !errors.Is(err, boom) {
		t.Fatalf("read error %v, want boom", err)
	}
}

func BenchmarkReadBody(b *testing.B) {
	for _, n := range []int{300, 1500, 1 << 20} {
		data := bytes.Repeat([]byte("x"), n)
		b.Run(itoa(n)+"/readall", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				_, _ = io.ReadAll(io.LimitReader(bytes.NewReader(data), MaxBody+1))
			}
		})
		b.Run(itoa(n)+"/sized", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				_, _ = readBody(bytes.NewReader(data), int64(n), MaxBody)
			}
		})
	}
}
