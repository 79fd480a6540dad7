package host

import (
	"os"
	"testing"

	"github.com/roundhouse-ai/roundhouse/internal/testplugin"
)

func TestMain(m *testing.M) {
	testplugin.MaybeServe() // this binary doubles as the test plugin
	os.Exit(m.Run())
}
