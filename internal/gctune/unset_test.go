package gctune

import (
	"os"
	"testing"
)

// unset removes key from the environment for the test (t.Setenv first, so
// that the test framework restores the old value).
func unset(t *testing.T, key string) {
	t.Setenv(key, "")
	if err := os.Unsetenv(key); err != nil {
		t.Fatal(err)
	}
}
