package e2e

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/roundhouse-ai/roundhouse/client"
	"github.com/roundhouse-ai/roundhouse/sdk"
)

// TestOllamaEndToEnd walks a desktop app's day through the host's native
// API with the real ollama plugin and a real Ollama: pull with live
// progress (watched by a second client), stream a chat, embed, load and
// unload, delete, cancel a throttled pull midway, and survive the engine
// being SIGKILLed.
func TestOllamaEndToEnd(t *testing.T) {
	h := startOllamaHost(t)
	ctx := ctxFor(t, 10*time.Minute)
	tiny, big := h.bed.Ref("tiny"), h.bed.Ref("big")

	t.Run("pull with progress", func(t *testing.T) {
		h.bed.Registry.SetRate(10 << 20) // 10 MB/s: the 49 MB model takes ~5 s
		defer h.bed.Registry.SetRate(0)
		var id string
		var events []client.ProgressEvent
		watched := make(chan int, 1)
		err := h.c.Pull(ctx, &client.PullRequest{Model: big, Insecure: true}, func(ev client.ProgressEvent) error {
			if ev.Status == "started" {
				id = ev.ID
				go func() { // a second client follows the same pull
					n := 0
					_ = h.c.WatchPull(ctx, id, func(client.ProgressEvent) error { n++; return nil })
					watched <- n
				}()
			}
			events = append(events, ev)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if id == "" || events[0].Status != "started" {
			t.Fatalf("first event does not carry the pull id: %+v", events[0])
		}
		if last := events[len(events)-1]; last.Status != "success" {
			t.Fatalf("last event = %+v, want success", last)
		}
		// The largest layer's progress must rise monotonically in ≥3 steps.
		byDigest := map[string][]int64{}
		for _, ev := range events {
			if ev.Digest != "" && ev.Total > 0 {
				byDigest[ev.Digest] = append(byDigest[ev.Digest], ev.Completed)
			}
		}
		best := 0
		for d, cs := range byDigest {
			rising := 1
			for i := 1; i < len(cs); i++ {
				if cs[i] < cs[i-1] {
					t.Errorf("digest %s progress went backwards: %v", d, cs)
				}
				if cs[i] > cs[i-1] {
					rising++
				}
			}
			best = max(best, rising)
		}
		if best < 3 {
			t.Fatalf("no layer showed ≥3 increasing progress events: %v", byDigest)
		}
		if n := <-watched; n < 2 {
			t.Errorf("the watching client saw %d events", n)
		}
		t.Logf("pull: %d events, best layer %d increasing steps", len(events), best)
		if err := h.c.Pull(ctx, &client.PullRequest{Model: tiny, Insecure: true}, func(client.ProgressEvent) error { return nil }); err != nil {
			t.Fatal(err)
		}
	})

	t.Run("models listed with plugin and size", func(t *testing.T) {
		ms, err := h.c.Models(ctx, false)
		if err != nil {
			t.Fatal(err)
		}
		found := 0
		for _, m := range ms {
			if (m.ID == tiny || m.ID == big) && m.Plugin == "ollama" && m.Size > 0 {
				found++
			}
		}
		if found != 2 {
			t.Fatalf("GET /v1/models = %+v", ms)
		}
		svcs, err := h.c.Services(ctx)
		if err != nil {
			t.Fatal(err)
		}
		listed := false
		for _, s := range svcs {
			for _, p := range s.Plugins {
				if s.Name == "chat" && p.Plugin == "ollama" && slices.Contains(p.Models, tiny) {
					listed = true
				}
			}
		}
		if !listed {
			t.Fatalf("GET /v1/services does not show %s behind chat: %+v", tiny, svcs)
		}
	})

	t.Run("chat streams token by token", func(t *testing.T) {
		var chunks []*sdk.ChatChunk
		start := time.Now()
		var first time.Duration
		err := h.c.ChatStream(ctx, &sdk.ChatRequest{Model: tiny, Messages: []sdk.Message{{Role: "user", Content: "Say hello."}}},
			client.Options{}, func(c *sdk.ChatChunk) error {
				if first == 0 {
					first = time.Since(start)
				}
				chunks = append(chunks, c)
				return nil
			})
		if err != nil {
			t.Fatal(err)
		}
		if len(chunks) < 3 || !chunks[len(chunks)-1].Done {
			t.Fatalf("%d chunks, last %+v", len(chunks), chunks[len(chunks)-1])
		}
		var text strings.Builder
		for _, c := range chunks {
			text.WriteString(c.Content)
		}
		if text.Len() == 0 {
			t.Fatal("empty answer")
		}
		t.Logf("chat: %d chunks, first after %s: %q", len(chunks), first, text.String())
	})

	t.Run("embed", func(t *testing.T) {
		e, err := h.c.Embed(ctx, &sdk.EmbedRequest{Model: tiny, Input: []string{"one", "two"}}, client.Options{})
		if err != nil {
			t.Fatal(err)
		}
		if len(e.Embeddings) != 2 || len(e.Embeddings[0]) == 0 {
			t.Fatalf("embeddings: %d", len(e.Embeddings))
		}
	})

	t.Run("load and unload show in the running list", func(t *testing.T) {
		forever := -1.0
		if err := h.c.LoadModel(ctx, &client.ModelRequest{Model: tiny, KeepAlive: &forever}); err != nil {
			t.Fatal(err)
		}
		if !running(t, h, tiny) {
			t.Fatal("loaded model not in GET /v1/models?state=running")
		}
		if err := h.c.UnloadModel(ctx, &client.ModelRequest{Model: tiny}); err != nil {
			t.Fatal(err)
		}
		eventually(t, 10*time.Second, "model unloaded", func() bool { return !running(t, h, tiny) })
	})

	t.Run("delete", func(t *testing.T) {
		if err := h.c.DeleteModel(ctx, big); err != nil {
			t.Fatal(err)
		}
		if has(t, h, big) {
			t.Fatal("deleted model still listed")
		}
		var se *client.StatusError
		if err := h.c.DeleteModel(ctx, big); !errors.As(err, &se) || se.StatusCode != 404 {
			t.Fatalf("deleting it again: %v", err)
		}
	})

	t.Run("cancel a throttled pull midway", func(t *testing.T) {
		h.bed.Registry.SetRate(5 << 20)
		defer h.bed.Registry.SetRate(0)
		var id string
		progressed := 0
		err := h.c.Pull(ctx, &client.PullRequest{Model: big, Insecure: true}, func(ev client.ProgressEvent) error {
			if ev.ID != "" && id == "" {
				id = ev.ID
			}
			if ev.Total > 0 && ev.Completed > 0 {
				progressed++
				if progressed == 3 {
					if _, err := h.c.CancelPull(ctx, id); err != nil {
						t.Errorf("cancel: %v", err)
					}
				}
			}
			return nil
		})
		var se *client.StatusError
		if !errors.As(err, &se) || se.ErrorDetail.Code != "canceled" {
			t.Fatalf("cancelled pull ended with %v", err)
		}
		if has(t, h, big) {
			t.Fatal("a cancelled pull left the model behind")
		}
	})

	t.Run("engine SIGKILL is restarted", func(t *testing.T) {
		es, err := h.c.Engines(ctx)
		if err != nil || len(es) != 1 || es[0].Engine == nil || es[0].Engine.PID == 0 {
			t.Fatalf("engines: %+v %v", es, err)
		}
		pid := es[0].Engine.PID
		killPID(t, pid)
		eventually(t, 60*time.Second, "engine restarted with a new pid", func() bool {
			es, err := h.c.Engines(ctx)
			return err == nil && es[0].Engine != nil && es[0].Engine.Running && es[0].Engine.PID != pid && es[0].Engine.PID != 0
		})
		r, err := h.c.Chat(ctx, &sdk.ChatRequest{Model: tiny, Messages: []sdk.Message{{Role: "user", Content: "Again."}}}, client.Options{})
		if err != nil || r.Message.Content == "" {
			t.Fatalf("chat after engine restart: %+v %v", r, err)
		}
	})
}

func running(t *testing.T, h *ollamaHost, model string) bool {
	ms, err := h.c.Models(context.Background(), true)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range ms {
		if m.ID == model && m.State == "running" {
			return true
		}
	}
	return false
}

func has(t *testing.T, h *ollamaHost, model string) bool {
	ms, err := h.c.Models(context.Background(), false)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range ms {
		if m.ID == model {
			return true
		}
	}
	return false
}
