package testbed

import (
	"context"
	"errors"
	"os"
	"testing"
)

// RequireOllamaBinary returns OllamaBinary() or skips the test (with the
// reason and how to fix it) when the binary has not been built. Set
// ROUNDHOUSE_REQUIRE_TESTBED=1 (e.g. in CI) to fail instead of skipping.
func RequireOllamaBinary(t testing.TB) string {
	t.Helper()
	bin, err := OllamaBinary()
	if err != nil {
		if errors.Is(err, ErrNoOllama) && os.Getenv("ROUNDHOUSE_REQUIRE_TESTBED") == "" {
			t.Skipf("real test bed unavailable: %v", err)
		}
		t.Fatal(err)
	}
	if _, err := RegistryBinary(); err != nil {
		if os.Getenv("ROUNDHOUSE_REQUIRE_TESTBED") == "" {
			t.Skipf("real test bed unavailable: %v", err)
		}
		t.Fatal(err)
	}
	return bin
}

// NewBed seeds the cached registry (see Seed) for a test, skipping when the
// ollama binary is missing. The registry stops when the test ends.
func NewBed(t testing.TB) *Bed {
	t.Helper()
	bin := RequireOllamaBinary(t)
	bed, err := Seed(context.Background(), SeedOptions{Bin: bin, Logf: t.Logf})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("docker-registry log tail:\n%s", bed.Registry.Logs())
		}
		bed.Close()
	})
	return bed
}

// NewOllama starts an ollama server with a fresh models directory for a
// test, skipping when the binary is missing. On failure its log tail is
// printed; the process group is killed when the test ends.
func NewOllama(t testing.TB) *Ollama {
	t.Helper()
	bin := RequireOllamaBinary(t)
	o, err := StartOllama(context.Background(), bin, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("ollama (%s) log tail:\n%s", o.Host(), o.Logs())
		}
		o.Close()
	})
	return o
}
