package engine

import (
	"os"
	"testing"

	"go.uber.org/goleak"
)

// TestMain doubles as the tiny engine the supervisor tests run (see
// helper_test.go), and checks that no test leaves a goroutine behind.
func TestMain(m *testing.M) {
	if os.Getenv(helperEnv) != "" {
		os.Exit(helperMain(os.Args[1:]))
	}
	goleak.VerifyTestMain(m)
}
