package load

import (
	"strings"
	"testing"
)

func TestChunkToken(t *testing.T) {
	if got := ChunkToken(42); got != "c42 " {
		t.Fatalf("ChunkToken(42) = %q", got)
	}
	if got := string(AppendChunkToken([]byte("x"), 7)); got != "xc7 " {
		t.Fatalf("AppendChunkToken = %q", got)
	}
}

func feed(parts ...string) *Checker {
	var c Checker
	for _, p := range parts {
		c.Feed(p)
	}
	return &c
}

func TestCheckerInOrder(t *testing.T) {
	var parts []string
	for i := range 100 {
		parts = append(parts, ChunkToken(i))
	}
	c := feed(parts...)
	if err := c.Finish(100); err != nil {
		t.Fatal(err)
	}
	if c.Received() != 100 || c.Problems != 0 {
		t.Fatalf("received %d problems %d", c.Received(), c.Problems)
	}
	// Any number is fine with want < 0.
	if err := feed("c0 ", "c1 ").Finish(-1); err != nil {
		t.Fatal(err)
	}
}

// A layer may merge chunks or split them anywhere, even inside a token.
func TestCheckerResplit(t *testing.T) {
	var all strings.Builder
	for i := range 50 {
		all.WriteString(ChunkToken(i))
	}
	s := all.String()
	for _, size := range []int{1, 2, 3, 7, 64, len(s)} {
		var parts []string
		for i := 0; i < len(s); i += size {
			parts = append(parts, s[i:min(i+size, len(s))])
		}
		if err := feed(parts...).Finish(50); err != nil {
			t.Fatalf("split by %d: %v", size, err)
		}
	}
	// A last token without its trailing space still counts.
	if err := feed("c0 c1 c", "2").Finish(3); err != nil {
		t.Fatal(err)
	}
}

func TestCheckerProblems(t *testing.T) {
	tests := []struct {
		name     string
		parts    []string
		want     int
		contains string
		problems int
	}{
		{"lost middle", []string{"c0 ", "c1 ", "c3 ", "c4 "}, 5, "lost chunk(s) 2..2", 1},
		{"lost several", []string{"c0 ", "c5 "}, 6, "lost chunk(s) 1..4", 1},
		{"lost first", []string{"c1 ", "c2 "}, 3, "lost chunk(s) 0..0", 1},
		{"lost tail", []string{"c0 ", "c1 "}, 3, "ended after 2 chunks, want 3", 1},
		{"reordered", []string{"c0 ", "c2 ", "c1 ", "c3 "}, 4, "lost chunk(s) 1..1", 2},
		{"repeated", []string{"c0 ", "c1 ", "c1 ", "c2 "}, 3, "chunk 1 out of order or repeated", 1},
		{"garbage", []string{"c0 ", "hello ", "c1 "}, 2, `unexpected content "hello"`, 1},
		{"extra", []string{"c0 ", "c1 ", "c2 "}, 2, "ended after 3 chunks, want 2", 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := feed(tt.parts...)
			err := c.Finish(tt.want)
			if err == nil || !strings.Contains(err.Error(), tt.contains) {
				t.Fatalf("Finish = %v, want error containing %q", err, tt.contains)
			}
			if c.Problems != tt.problems {
				t.Fatalf("problems = %d, want %d", c.Problems, tt.problems)
			}
		})
	}
}
