package sdktest

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/roundhouse-ai/roundhouse/internal/testplugin"
	"github.com/roundhouse-ai/roundhouse/sdk"
)

func TestRunPattern(t *testing.T) {
	if got := runPattern("TestX/sub.case"); got != `^TestX$/^sub\.case$` {
		t.Fatal(got)
	}
}

// The echo test plugin conforms.
func TestConformanceEchoPlugin(t *testing.T) {
	Run(t, testplugin.New("echo"), Options{})
}

// liar declares chat in Info but does not implement it, and answers embed
// without declaring it.
type liar struct{ sdk.UnimplementedPlugin }

func (liar) Info(context.Context) (*sdk.Info, error) {
	return &sdk.Info{Services: map[string]sdk.Capabilities{"chat": {SupportStreaming: true}}}, nil
}

func (liar) Embed(context.Context, *sdk.EmbedRequest) (*sdk.EmbedResponse, error) {
	return &sdk.EmbedResponse{}, nil
}

// The suite catches a plugin that breaks the contract.
func TestConformanceCatchesLiar(t *testing.T) {
	serveIfChild(t, liar{})
	proc := launch(t, Options{})
	failed := map[string]string{}
	for _, c := range checks(proc.Conn(), Options{Timeout: 10 * time.Second}) {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		if err := c.run(ctx); err != nil {
			failed[c.name] = err.Error()
		}
		cancel()
	}
	for _, want := range []string{"Service/chat", "Service/embed", "Stream/chat"} {
		if _, ok := failed[want]; !ok {
			t.Errorf("check %s passed for a lying plugin; failures: %v", want, failed)
		}
	}
	if !strings.Contains(failed["Service/chat"], "declared") {
		t.Errorf("chat failure does not say why: %q", failed["Service/chat"])
	}
}
