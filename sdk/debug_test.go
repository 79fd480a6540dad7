package sdk_test

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/roundhouse-ai/roundhouse/sdk"
	"github.com/roundhouse-ai/roundhouse/sdk/pluginhost"
)

// TestDebugReattach runs a plugin in debug mode, takes the reattach config
// it prints, and has the host side attach to it through
// ROUNDHOUSE_PLUGIN_REATTACH and call it.
func TestDebugReattach(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	pr, pw := io.Pipe()
	served := make(chan error, 1)
	go func() { served <- sdk.Serve(shout{}, sdk.WithDebug(), sdk.WithDebugContext(ctx, pw)) }()

	lines := bufio.NewScanner(pr)
	var env string
	for env == "" && lines.Scan() {
		if v, ok := strings.CutPrefix(strings.TrimSpace(lines.Text()), pluginhost.ReattachEnv+"="); ok {
			env = strings.Trim(v, "'")
		}
	}
	go func() { _, _ = io.Copy(io.Discard, pr) }()
	var all map[string]json.RawMessage
	if err := json.Unmarshal([]byte(env), &all); err != nil || len(all) != 1 {
		t.Fatalf("reattach line %q: %v", env, err)
	}
	var name string
	for name = range all {
	}
	t.Setenv(pluginhost.ReattachEnv, env)
	re, err := pluginhost.ReattachFromEnv(name)
	if err != nil || re == nil {
		t.Fatalf("ReattachFromEnv(%q) = %v, %v", name, re, err)
	}
	if other, _ := pluginhost.ReattachFromEnv("not-" + name); other != nil {
		t.Fatal("a plugin the variable does not name is attached to")
	}

	proc, err := pluginhost.Launch(ctx, pluginhost.LaunchConfig{Name: name, Reattach: re})
	if err != nil {
		t.Fatal(err)
	}
	resp, err := proc.Conn().Chat(ctx, &sdk.ChatRequest{Messages: []sdk.Message{{Role: "user", Content: "hi"}}})
	if err != nil || resp.Message.Content != "HI" {
		t.Fatalf("Chat = %+v, %v", resp, err)
	}
	proc.Kill() // releases the connection; the debug plugin keeps running
	cancel()
	select {
	case err := <-served:
		if err != nil {
			t.Fatalf("Serve returned %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Serve did not return after its context ended")
	}
}
