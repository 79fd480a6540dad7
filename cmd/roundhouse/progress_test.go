package main

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/roundhouse-ai/roundhouse/client"
)

func TestProgressPlainLines(t *testing.T) {
	var out bytes.Buffer
	b := newPlainProgress(&out, "")
	now := time.Unix(0, 0)
	b.now = func() time.Time { return now }
	b.update(client.ProgressEvent{ID: "p1", Status: "started", Model: "tiny"})
	b.update(client.ProgressEvent{Status: "pulling manifest"})
	for i := int64(0); i <= 100; i += 5 {
		now = now.Add(100 * time.Millisecond)
		b.update(client.ProgressEvent{Status: "pulling sha256:abc", Total: 100_000_000, Completed: i * 1_000_000})
	}
	b.update(client.ProgressEvent{Status: "success", Message: "model was already partly present"})
	b.finish(nil)
	s := out.String()
	for _, want := range []string{"note: model was already partly present", "pulling tiny (pull id p1)", "pulling manifest", " 50%", "100%", "100.0 MB/100.0 MB", "MB/s", "ETA", "success"} {
		if !strings.Contains(s, want) {
			t.Errorf("output lacks %q:\n%s", want, s)
		}
	}
	if strings.Contains(s, "\r") {
		t.Error("carriage returns in non-terminal output")
	}
	if n := strings.Count(s, "pulling sha256"); n != 11 {
		t.Errorf("%d progress lines, want one per 10%%:\n%s", n, s)
	}
	if strings.Count(s, "success") != 1 {
		t.Errorf("success said twice:\n%s", s)
	}
}

// Layers whose events interleave (engines download them in parallel) get
// their own 10% steps: one line per layer per step, not one per event.
func TestProgressPlainInterleavedLayers(t *testing.T) {
	var out bytes.Buffer
	b := newPlainProgress(&out, "")
	for i := int64(0); i <= 100; i++ {
		b.update(client.ProgressEvent{Status: "pulling aaa", Digest: "sha256:aaa", Total: 100, Completed: i})
		b.update(client.ProgressEvent{Status: "pulling bbb", Digest: "sha256:bbb", Total: 200, Completed: 2 * i})
	}
	b.finish(nil)
	if a, bb := strings.Count(out.String(), "pulling aaa"), strings.Count(out.String(), "pulling bbb"); a != 11 || bb != 11 {
		t.Fatalf("%d and %d lines:\n%s", a, bb, out.String())
	}
}

func TestHumanBytes(t *testing.T) {
	for n, want := range map[int64]string{0: "0 B", 999: "999 B", 1000: "1.0 kB", 1_500_000: "1.5 MB", 3_000_000_000: "3.0 GB"} {
		if got := humanBytes(n); got != want {
			t.Errorf("%d: %q want %q", n, got, want)
		}
	}
}

// A resumed upload starts at the bytes the host had: the rate counts only
// what this run sent, not the head start.
func TestProgressPlainRateOfResumedUpload(t *testing.T) {
	var out bytes.Buffer
	b := newPlainProgress(&out, "")
	now := time.Unix(0, 0)
	b.now = func() time.Time { return now }
	b.update(client.ProgressEvent{Status: "uploading m.gguf", Total: 100_000_000, Completed: 90_000_000, Message: "resuming at 90000000 bytes"})
	now = now.Add(10 * time.Second)
	b.update(client.ProgressEvent{Status: "uploading m.gguf", Total: 100_000_000, Completed: 100_000_000})
	if s := out.String(); !strings.Contains(s, "100% ") || !strings.Contains(s, " 1.0 MB/s") {
		t.Fatalf("want 10 MB in 10 s (1.0 MB/s):\n%s", s)
	}
}
