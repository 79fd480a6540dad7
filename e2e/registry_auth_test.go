package e2e

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/ollama/ollama/api"

	"github.com/roundhouse-ai/roundhouse/client"
	"github.com/roundhouse-ai/roundhouse/host/config"
	"github.com/roundhouse-ai/roundhouse/internal/hosttest"
	"github.com/roundhouse-ai/roundhouse/internal/testbed"
)

// TestRegistryAuthPushPull: a registry with htpasswd authentication (real
// distribution registry) behind the real host and real Ollama, driven by
// Ollama's official client. Without credentials a push fails and says to
// log in; with credentials saved through the native API the push works,
// the model pulls back and chats; wrong credentials fail with a typed
// error; the password is in no answer, no log line, and only in a 0600
// file.
func TestRegistryAuthPushPull(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end: skipped in -short mode")
	}
	if runtime.GOOS != "linux" {
		t.Skip("the real test bed runs on Linux")
	}
	const user, password = "rh-user", "registry-secret-passw0rd-e2e"
	bin := testbed.RequireOllamaBinary(t)
	bed := testbed.NewBed(t)
	_, plugins := binaries(t)
	settings, _ := ollamaSettings(t, bin)
	logs := &lockedBuffer{}
	h := hosttest.Start(t, hosttest.Options{
		NoEcho: true, Log: logs,
		ExtraRoots: []string{only(t, plugins, "ollama")},
		Mutate:     func(c *config.Config) { c.Plugins["ollama"] = config.PluginConfig{Settings: settings} },
	})
	rc, err := client.New(h.URL, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx := ctxFor(t, 5*time.Minute)
	u, _ := url.Parse(h.URL)
	c := api.NewClient(u, http.DefaultClient)
	ignore := func(api.ProgressResponse) error { return nil }

	reg, err := testbed.StartRegistryWith(ctx, testbed.RegistryOptions{Dir: t.TempDir(), Users: map[string]string{user: password}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = reg.Close() })
	// The registry really wants credentials.
	if resp, err := http.Get(reg.URL() + "/v2/"); err != nil || resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("the authenticated registry answered %v %v without credentials, want 401", resp, err)
	}

	tiny := bed.Models["tiny"]
	if err := c.Pull(ctx, &api.PullRequest{Model: tiny.Ref, Insecure: true}, ignore); err != nil {
		t.Fatal(err)
	}
	ref := reg.Ref("private-tiny")
	if err := c.Copy(ctx, &api.CopyRequest{Source: tiny.Ref, Destination: ref}); err != nil {
		t.Fatal(err)
	}

	// No credentials: the push fails, and says what to do.
	err = c.Push(ctx, &api.PushRequest{Model: ref, Insecure: true}, ignore)
	if err == nil {
		t.Fatal("push to an authenticated registry without credentials succeeded")
	}
	if !strings.Contains(err.Error(), "roundhouse registry login "+reg.Addr()) {
		t.Errorf("push without credentials: %q; want it to say `roundhouse registry login %s`", err, reg.Addr())
	}

	// A login that is checked first: refused credentials are a 400 naming
	// the password and are not saved.
	_, err = rc.SetRegistry(ctx, reg.Addr(), client.RegistryLogin{Username: user, Password: "not-the-password-123", Verify: true, Insecure: true})
	var ce *client.StatusError
	if !errors.As(err, &ce) || ce.StatusCode != http.StatusBadRequest || ce.Field != "password" {
		t.Fatalf("verified login with a wrong password: %v; want 400 naming password", err)
	}
	if regs, err := rc.Registries(ctx); err != nil || len(regs) != 0 {
		t.Fatalf("a refused login was saved: %+v %v", regs, err)
	}
	if _, err := rc.SetRegistry(ctx, reg.Addr(), client.RegistryLogin{Username: user, Password: password, Verify: true, Insecure: true}); err != nil {
		t.Fatalf("verified login with the right password: %v", err)
	}

	// Wrong credentials saved unchecked: the push fails with a typed
	// refusal naming the fix.
	if _, err := rc.SetRegistry(ctx, reg.Addr(), client.RegistryLogin{Username: user, Password: "not-the-password-123"}); err != nil {
		t.Fatal(err)
	}
	err = c.Push(ctx, &api.PushRequest{Model: ref, Insecure: true}, ignore)
	var se api.StatusError
	if err == nil || !strings.Contains(err.Error(), "refused") || !strings.Contains(err.Error(), "roundhouse registry login "+reg.Addr()) {
		t.Fatalf("push with a wrong password: %v; want the registry's refusal and the login command", err)
	}
	if errors.As(err, &se) && se.StatusCode != http.StatusUnauthorized {
		t.Errorf("push with a wrong password answered HTTP %d, want 401 (unauthenticated)", se.StatusCode)
	}

	// The right credentials, saved through the native API.
	saved, err := rc.SetRegistry(ctx, reg.Addr(), client.RegistryLogin{Username: user, Password: password})
	if err != nil {
		t.Fatal(err)
	}
	if saved.Host != reg.Addr() || saved.Username != user || saved.Password == "" || strings.Contains(saved.Password, password) {
		t.Fatalf("PUT answered %+v", saved)
	}
	var pushed []api.ProgressResponse
	if err := c.Push(ctx, &api.PushRequest{Model: ref, Insecure: true}, func(p api.ProgressResponse) error { pushed = append(pushed, p); return nil }); err != nil {
		t.Fatalf("push with credentials: %v\nregistry log:\n%s", err, reg.Logs())
	}
	layer := false
	for _, p := range pushed {
		layer = layer || (strings.HasPrefix(p.Status, "pushing ") && p.Digest != "" && p.Total > 0)
	}
	if !layer || pushed[len(pushed)-1].Status != "success" {
		t.Fatalf("push progress %+v", pushed)
	}

	// Pull it back: every name of its layers deleted first, so Ollama
	// prunes them and the bytes must come from the registry (through the
	// proxy's blob redirect), then under another name, and it chats.
	for _, name := range []string{ref, tiny.Ref} {
		if err := c.Delete(ctx, &api.DeleteRequest{Model: name}); err != nil {
			t.Fatal(err)
		}
	}
	before := reg.Stats()
	var pulled []api.ProgressResponse
	if err := c.Pull(ctx, &api.PullRequest{Model: ref, Insecure: true}, func(p api.ProgressResponse) error { pulled = append(pulled, p); return nil }); err != nil {
		t.Fatalf("pull with credentials: %v\nregistry log:\n%s", err, reg.Logs())
	}
	if len(pulled) == 0 || pulled[len(pulled)-1].Status != "success" {
		t.Fatalf("pull progress %+v", pulled)
	}
	if after := reg.Stats(); after.BlobGETs == before.BlobGETs || after.BlobBytes-before.BlobBytes < tiny.Size {
		t.Fatalf("the pull fetched %d blob bytes in %d GETs from the registry, want the model's %d",
			after.BlobBytes-before.BlobBytes, after.BlobGETs-before.BlobGETs, tiny.Size)
	}
	if err := c.Copy(ctx, &api.CopyRequest{Source: ref, Destination: "private-pulled"}); err != nil {
		t.Fatal(err)
	}
	var text strings.Builder
	noStream := false
	err = c.Chat(ctx, &api.ChatRequest{Model: "private-pulled", Stream: &noStream, Messages: []api.Message{{Role: "user", Content: "Say hello."}},
		Options: map[string]any{"num_predict": 16}}, func(r api.ChatResponse) error { text.WriteString(r.Message.Content); return nil })
	if err != nil || text.Len() == 0 {
		t.Fatalf("chat with the pulled model: %q %v", text.String(), err)
	}

	// The native routes get the credentials too: push a second tag with
	// POST /v1/models/push, drop it here, pull it with POST /v1/models/pull.
	ref2 := reg.Ref("private-tiny:v2")
	if err := c.Copy(ctx, &api.CopyRequest{Source: "private-pulled", Destination: ref2}); err != nil {
		t.Fatal(err)
	}
	if err := rc.PushModel(ctx, &client.PushRequest{Model: ref2, Insecure: true}, nil); err != nil {
		t.Fatalf("native push with credentials: %v", err)
	}
	if err := c.Delete(ctx, &api.DeleteRequest{Model: ref2}); err != nil {
		t.Fatal(err)
	}
	var last client.ProgressEvent
	if err := rc.Pull(ctx, &client.PullRequest{Model: ref2, Insecure: true}, func(ev client.ProgressEvent) error { last = ev; return nil }); err != nil || last.Status != "success" {
		t.Fatalf("native pull with credentials: %v (last event %+v)", err, last)
	}

	// The proxy's temporary names are gone.
	list, err := c.List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range list.Models {
		if strings.HasPrefix(m.Name, "127.0.0.1:") && !strings.HasPrefix(m.Name, reg.Addr()+"/") && !strings.HasPrefix(m.Name, bed.Registry.Addr()+"/") {
			t.Errorf("temporary name left behind: %s", m.Name)
		}
	}

	// The password is nowhere but the 0600 store.
	resp, err := http.Get(h.URL + "/v1/registries")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(body), reg.Addr()) || strings.Contains(string(body), password) {
		t.Fatalf("GET /v1/registries: %d %s", resp.StatusCode, body)
	}
	if regs, err := rc.Registries(ctx); err != nil || len(regs) != 1 || regs[0].Host != reg.Addr() {
		t.Fatalf("client Registries: %+v %v", regs, err)
	}
	if strings.Contains(logs.String(), password) {
		t.Error("the host's log contains the registry password")
	}
	store := filepath.Join(h.DataDir, "registries.yaml")
	st, err := os.Stat(store)
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("credential store %s: %v %v, want mode 0600", store, st, err)
	}
	if data, _ := os.ReadFile(store); !bytes.Contains(data, []byte(password)) {
		t.Fatal("the store does not hold the password it answered with")
	}

	// Logged out: back to anonymous, which the registry refuses.
	if err := rc.DeleteRegistry(ctx, reg.Addr()); err != nil {
		t.Fatal(err)
	}
	if err := c.Pull(ctx, &api.PullRequest{Model: ref, Insecure: true}, ignore); err == nil {
		// The model is local now; Ollama still asks the registry for the
		// manifest, which it may not read anonymously.
		t.Fatal("pull after logout succeeded against an authenticated registry")
	}
}
