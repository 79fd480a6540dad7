package bench_test

import (
	"os"
	"testing"

	"github.com/roundhouse-ai/roundhouse/internal/testplugin"
)

func TestMain(m *testing.M) {
	testplugin.MaybeServe() // this test binary doubles as the "echo" plugin
	os.Exit(m.Run())
}
