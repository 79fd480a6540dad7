package pluginhost

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/roundhouse-ai/roundhouse/internal/streamhint"
	"github.com/roundhouse-ai/roundhouse/sdk"
	"github.com/roundhouse-ai/roundhouse/types"
)

// burstPlugin streams n chunks as fast as it can, then fails when fail
// is set.
type burstPlugin struct {
	sdk.UnimplementedPlugin
	sdk.UnimplementedModels
	n    int
	fail bool
	// gate, when set, is waited for before the last chunk.
	gate chan struct{}
}

func (p burstPlugin) ChatStream(ctx context.Context, _ *types.ChatRequest, send func(*types.ChatChunk) error) error {
	for i := range p.n {
		if i == p.n-1 && p.gate != nil {
			select {
			case <-p.gate:
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		if err := send(&types.ChatChunk{Content: fmt.Sprint(i)}); err != nil {
			return err
		}
	}
	if p.fail {
		return types.Errorf(types.CodeUnavailable, "upstream went away")
	}
	return send(&types.ChatChunk{Done: true})
}

// With a stream hint the chunks still arrive complete and in order, and
// the hint reports queued chunks while the writer is slow.
func TestChatStreamPrefetchedKeepsOrder(t *testing.T) {
	const n = 200
	gate := make(chan struct{})
	c, stop := ServeInProcess(burstPlugin{n: n, gate: gate})
	defer stop()
	ctx, hint := streamhint.With(context.Background())
	var got []string
	sawPending := false
	err := c.ChatStream(ctx, &types.ChatRequest{Model: "m"}, func(ch *types.ChatChunk) error {
		if len(got) == 0 {
			// The plugin sends chunks 1..n-2 while this one is held, so
			// they queue and the hint must say so (waited for, not
			// timed: the deadline only bounds a broken build).
			deadline := time.Now().Add(10 * time.Second)
			for !hint.Pending() && time.Now().Before(deadline) {
				time.Sleep(time.Millisecond)
			}
			sawPending = hint.Pending()
		}
		if len(got) == n-2 {
			close(gate)
		}
		if !ch.Done {
			got = append(got, ch.Content)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != n {
		t.Fatalf("%d chunks, want %d", len(got), n)
	}
	for i, s := range got {
		if s != fmt.Sprint(i) {
			t.Fatalf("chunk %d is %q", i, s)
		}
	}
	if hint.Pending() {
		t.Error("hint still reports pending chunks after the stream ended")
	}
	if !sawPending {
		t.Error("the hint never reported the chunks queued behind a slow writer")
	}
}

// A plugin error after some chunks comes back as the plugin's error.
func TestChatStreamPrefetchedError(t *testing.T) {
	c, stop := ServeInProcess(burstPlugin{n: 5, fail: true})
	defer stop()
	ctx, _ := streamhint.With(context.Background())
	n := 0
	err := c.ChatStream(ctx, &types.ChatRequest{Model: "m"}, func(*types.ChatChunk) error { n++; return nil })
	var e *types.Error
	if !errors.As(err, &e) || e.Code != types.CodeUnavailable || n != 5 {
		t.Fatalf("err %v after %d chunks, want CodeUnavailable after 5", err, n)
	}
}

// An error from the writer ends the call with that error.
func TestChatStreamPrefetchedSendError(t *testing.T) {
	c, stop := ServeInProcess(burstPlugin{n: 100})
	defer stop()
	ctx, _ := streamhint.With(context.Background())
	boom := errors.New("client gone")
	n := 0
	err := c.ChatStream(ctx, &types.ChatRequest{Model: "m"}, func(*types.ChatChunk) error {
		n++
		if n == 3 {
			return boom
		}
		return nil
	})
	if !errors.Is(err, boom) || n != 3 {
		t.Fatalf("err %v after %d chunks", err, n)
	}
}

// Cancelling the caller's context ends a stream the plugin holds open.
func TestChatStreamPrefetchedCancel(t *testing.T) {
	gate := make(chan struct{})
	defer close(gate)
	c, stop := ServeInProcess(burstPlugin{n: 3, gate: gate})
	defer stop()
	ctx, cancel := context.WithCancel(context.Background())
	ctx, _ = streamhint.With(ctx)
	err := c.ChatStream(ctx, &types.ChatRequest{Model: "m"}, func(*types.ChatChunk) error {
		cancel()
		return nil
	})
	if err == nil {
		t.Fatal("cancelled stream ended without an error")
	}
}
