package api_test

import (
	"os"
	"testing"

	"github.com/roundhouse-ai/roundhouse/internal/testplugin"
)

func TestMain(m *testing.M) {
	testplugin.MaybeServe()
	os.Exit(m.Run())
}
