package main

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/roundhouse-ai/roundhouse/client"
)

func TestProgressBarPlainLines(t *testing.T) {
	var out bytes.Buffer
	b := newProgressBar(&out, false)
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
	if n := strings.Count(s, "pulling sha256"); n < 10 || n > 12 {
		t.Errorf("%d progress lines, want one per 10%%", n)
	}
}

func TestProgressBarTerminalRedraws(t *testing.T) {
	var out bytes.Buffer
	b := newProgressBar(&out, true)
	now := time.Unix(0, 0)
	b.now = func() time.Time { return now }
	for i := int64(1); i <= 10; i++ {
		now = now.Add(200 * time.Millisecond)
		b.update(client.ProgressEvent{Status: "pulling x", Total: 10, Completed: i})
	}
	b.finish(nil)
	if n := strings.Count(out.String(), "\r"); n != 10 {
		t.Errorf("%d redraws, want 10:\n%q", n, out.String())
	}
}

func TestHumanBytes(t *testing.T) {
	for n, want := range map[int64]string{0: "0 B", 999: "999 B", 1000: "1.0 kB", 1_500_000: "1.5 MB", 3_000_000_000: "3.0 GB"} {
		if got := humanBytes(n); got != want {
			t.Errorf("%d: %q want %q", n, got, want)
		}
	}
}
