package e2e

import (
	"errors"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/ollama/ollama/api"

	"github.com/roundhouse-ai/roundhouse/internal/testbed"
)

// TestOllamaClientModelManagement: with Ollama's official Go client
// against the host and the real engine behind it — Copy then chat with
// the copy; CreateBlob with the tiny GGUF, Create from it with Modelfile
// fields, Show it, chat with it; Push it to a registry and pull it back
// under another name.
func TestOllamaClientModelManagement(t *testing.T) {
	h := startOllamaHost(t)
	ctx := ctxFor(t, 5*time.Minute)
	tiny := h.bed.Models["tiny"]
	u, _ := url.Parse(h.URL)
	c := api.NewClient(u, http.DefaultClient)
	chat := func(model string) {
		t.Helper()
		var text strings.Builder
		noStream := false
		err := c.Chat(ctx, &api.ChatRequest{Model: model, Stream: &noStream, Messages: []api.Message{{Role: "user", Content: "Say hello."}},
			Options: map[string]any{"num_predict": 16}}, func(r api.ChatResponse) error { text.WriteString(r.Message.Content); return nil })
		if err != nil || text.Len() == 0 {
			t.Fatalf("chat with %s: %q %v", model, text.String(), err)
		}
	}

	// Copy.
	if err := c.Pull(ctx, &api.PullRequest{Model: tiny.Ref, Insecure: true}, func(api.ProgressResponse) error { return nil }); err != nil {
		t.Fatal(err)
	}
	if err := c.Copy(ctx, &api.CopyRequest{Source: tiny.Ref, Destination: "tiny-copy"}); err != nil {
		t.Fatal(err)
	}
	chat("tiny-copy")
	var se api.StatusError
	if err := c.Copy(ctx, &api.CopyRequest{Source: "ghost-model", Destination: "x"}); !errors.As(err, &se) || se.StatusCode != 404 {
		t.Fatalf("copy of an unknown model: %#v", err)
	}

	// Blob, then Create from it.
	f, err := os.Open(tiny.GGUF)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := c.CreateBlob(ctx, tiny.Digest, f); err != nil {
		t.Fatal(err)
	}
	resp, err := http.Head(h.URL + "/api/blobs/" + tiny.Digest)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("HEAD blob: %v %v", resp, err)
	}
	var statuses []string
	err = c.Create(ctx, &api.CreateRequest{Model: "mine", Files: map[string]string{"tiny.gguf": tiny.Digest},
		Template: "User: {{ .Prompt }}\nAssistant:", System: "You are terse.", License: "MIT",
		Parameters: map[string]any{"num_thread": 1, "num_predict": 32, "stop": []string{"User:"}}},
		func(p api.ProgressResponse) error { statuses = append(statuses, p.Status); return nil })
	if err != nil || len(statuses) < 2 || statuses[len(statuses)-1] != "success" {
		t.Fatalf("create: %q %v", statuses, err)
	}
	chat("mine")

	// Show decodes with what the real Ollama fills.
	show, err := c.Show(ctx, &api.ShowRequest{Model: "mine"})
	if err != nil {
		t.Fatal(err)
	}
	if show.Template != "User: {{ .Prompt }}\nAssistant:" || !strings.Contains(show.Parameters, "num_predict") ||
		show.System != "You are terse." || show.License != "MIT" || show.Details.Format != "gguf" || show.Details.Family != "llama" ||
		show.ModelInfo["general.architecture"] != "llama" || show.ModelInfo["llama.context_length"] == nil ||
		!strings.Contains(show.Modelfile, "FROM ") || !strings.Contains(show.Modelfile, "SYSTEM") ||
		len(show.Capabilities) == 0 || string(show.Capabilities[0]) != "completion" || show.ModifiedAt.IsZero() {
		t.Fatalf("show is missing fields: %+v", show)
	}

	// Push to a throwaway registry, then pull it back under another name.
	reg, err := testbed.StartRegistry(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = reg.Close() })
	ref := reg.Ref("mine")
	if err := c.Copy(ctx, &api.CopyRequest{Source: "mine", Destination: ref}); err != nil {
		t.Fatal(err)
	}
	var pushed []api.ProgressResponse
	if err := c.Push(ctx, &api.PushRequest{Model: ref, Insecure: true}, func(p api.ProgressResponse) error { pushed = append(pushed, p); return nil }); err != nil {
		t.Fatal(err)
	}
	layer := false
	for _, p := range pushed {
		layer = layer || (strings.HasPrefix(p.Status, "pushing ") && p.Digest != "" && p.Total > 0)
	}
	if !layer || pushed[len(pushed)-1].Status != "success" {
		t.Fatalf("push progress %+v", pushed)
	}
	if err := c.Delete(ctx, &api.DeleteRequest{Model: ref}); err != nil {
		t.Fatal(err)
	}
	if err := c.Pull(ctx, &api.PullRequest{Model: ref, Insecure: true}, func(api.ProgressResponse) error { return nil }); err != nil {
		t.Fatal(err)
	}
	if err := c.Copy(ctx, &api.CopyRequest{Source: ref, Destination: "pulled-back"}); err != nil {
		t.Fatal(err)
	}
	chat("pulled-back")
}

// TestOllamaPullTracked: a pull started with /api/pull (the official
// client) is listed in GET /v1/pulls and cancelled there; the Ollama
// client's stream then ends with an error and no model is left behind.
func TestOllamaPullTracked(t *testing.T) {
	h := startOllamaHost(t)
	ctx := ctxFor(t, 3*time.Minute)
	big := h.bed.Ref("big")
	h.bed.Registry.SetRate(5 << 20) // ~10 s for the 49 MB model
	defer h.bed.Registry.SetRate(0)
	u, _ := url.Parse(h.URL)
	c := api.NewClient(u, http.DefaultClient)

	done := make(chan error, 1)
	steps := 0
	go func() {
		done <- c.Pull(ctx, &api.PullRequest{Model: big, Insecure: true}, func(api.ProgressResponse) error { steps++; return nil })
	}()
	var id string
	eventually(t, 30*time.Second, "the /api/pull listed in GET /v1/pulls", func() bool {
		ps, err := h.c.Pulls(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range ps {
			if p.Model == big && p.State == "running" && p.Completed > 0 {
				id = p.ID
			}
		}
		return id != ""
	})
	if _, err := h.c.CancelPull(ctx, id); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		if err == nil {
			t.Fatalf("a cancelled pull ended without error after %d steps", steps)
		}
	case <-ctx.Done():
		t.Fatal("the Ollama client's pull did not end after the cancel")
	}
	list, err := c.List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range list.Models {
		if m.Name == big {
			t.Fatal("a cancelled pull left the model behind")
		}
	}
}
