package host

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"github.com/roundhouse-ai/roundhouse/host/backend"
	"sort"
	"sync"
	"time"

	"github.com/roundhouse-ai/roundhouse/sdk"
)

// PullTracker keeps the model operations in flight (pulls, and the pushes
// and creates that report progress the same way), so other clients can
// list them, watch one, or cancel it.
type PullTracker struct {
	mu    sync.Mutex
	pulls map[string]*Pull
}

// NewPullTracker makes an empty tracker.
func NewPullTracker() *PullTracker { return &PullTracker{pulls: map[string]*Pull{}} }

// Operation kinds a tracker holds.
const (
	KindPull   = "pull"
	KindPush   = "push"
	KindCreate = "create"
)

// Pull is one tracked model operation: a pull, push or create (Kind).
type Pull struct {
	ID      string    `json:"id"`
	Kind    string    `json:"kind"`
	Model   string    `json:"model"`
	Plugin  string    `json:"plugin,omitempty"`
	Started time.Time `json:"started_at"`

	mu     sync.Mutex
	last   sdk.Progress
	state  string // running, success, error, canceled
	err    error
	subs   map[chan sdk.Progress]struct{}
	cancel context.CancelFunc
	done   chan struct{}
}

func newID() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// Start runs pull in the background under a context derived from ctx (so
// the initiating client's disconnect cancels it) and returns at once, with
// a subscription that sees every event from the first.
func (t *PullTracker) Start(ctx context.Context, model, plugin string,
	pull func(ctx context.Context, progress func(*sdk.Progress) error) error) (*Pull, <-chan sdk.Progress, func()) {
	return t.StartKind(ctx, KindPull, model, plugin, pull)
}

// StartKind is Start for an operation of another kind (KindPush,
// KindCreate): listed, watchable and cancellable like a pull.
func (t *PullTracker) StartKind(ctx context.Context, kind, model, plugin string,
	pull func(ctx context.Context, progress func(*sdk.Progress) error) error) (*Pull, <-chan sdk.Progress, func()) {
	if kind == "" {
		kind = KindPull
	}
	// The operation runs in its own goroutine beside the handler that
	// started it: it must not set that answer's headers (the "who
	// answered" hook), which the handler writes concurrently.
	ctx, cancel := context.WithCancel(backend.WithServedHook(ctx, nil))
	p := &Pull{ID: newID(), Kind: kind, Model: model, Plugin: plugin, Started: time.Now(), state: "running",
		subs: map[chan sdk.Progress]struct{}{}, cancel: cancel, done: make(chan struct{})}
	t.mu.Lock()
	t.pulls[p.ID] = p
	t.mu.Unlock()
	events, unsubscribe := p.Subscribe()
	go func() {
		err := pull(ctx, p.publish)
		p.finish(err, ctx.Err() != nil)
		cancel()
		// Keep a finished pull visible briefly so a watcher sees its end.
		time.AfterFunc(time.Minute, func() {
			t.mu.Lock()
			delete(t.pulls, p.ID)
			t.mu.Unlock()
		})
	}()
	return p, events, unsubscribe
}

// Get returns the pull with id, or nil.
func (t *PullTracker) Get(id string) *Pull {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.pulls[id]
}

// List snapshots every pull, oldest first.
func (t *PullTracker) List() []PullSnapshot {
	t.mu.Lock()
	ps := make([]*Pull, 0, len(t.pulls))
	for _, p := range t.pulls {
		ps = append(ps, p)
	}
	t.mu.Unlock()
	sort.Slice(ps, func(i, j int) bool { return ps[i].Started.Before(ps[j].Started) })
	out := make([]PullSnapshot, 0, len(ps))
	for _, p := range ps {
		out = append(out, p.Snapshot())
	}
	return out
}

// Snapshot is the pull's state now.
func (p *Pull) Snapshot() PullSnapshot {
	p.mu.Lock()
	defer p.mu.Unlock()
	s := PullSnapshot{ID: p.ID, Kind: p.Kind, Model: p.Model, Plugin: p.Plugin, State: p.state, StartedAt: p.Started,
		Status: p.last.Status, Digest: p.last.Digest, Total: p.last.Total, Completed: p.last.Completed}
	if p.err != nil {
		s.Error = p.err.Error()
	}
	return s
}

// Cancel stops the pull; the engine drops the partial download.
func (p *Pull) Cancel() { p.cancel() }

// Done is closed when the pull ends.
func (p *Pull) Done() <-chan struct{} { return p.done }

// Err is the pull's error once Done (nil on success).
func (p *Pull) Err() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.err
}

// Subscribe returns a channel of progress events (a slow reader misses
// intermediate ones, never the end: the channel closes when the pull ends)
// and a function to stop watching.
func (p *Pull) Subscribe() (<-chan sdk.Progress, func()) {
	ch := make(chan sdk.Progress, 64)
	p.mu.Lock()
	if p.state != "running" {
		p.mu.Unlock()
		close(ch)
		return ch, func() {}
	}
	p.subs[ch] = struct{}{}
	p.mu.Unlock()
	return ch, func() {
		p.mu.Lock()
		if _, ok := p.subs[ch]; ok {
			delete(p.subs, ch)
			close(ch)
		}
		p.mu.Unlock()
	}
}

func (p *Pull) publish(pr *sdk.Progress) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.last = *pr
	for ch := range p.subs {
		select {
		case ch <- *pr:
		default: // slow watcher: skip this step, it gets the next
		}
	}
	return nil
}

func (p *Pull) finish(err error, canceled bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	switch {
	case err == nil:
		p.state = "success"
		p.last = sdk.Progress{Status: "success"}
	case canceled:
		p.state = "canceled"
		p.err = sdk.Errorf(sdk.CodeCanceled, "%s of %s was cancelled", p.Kind, p.Model)
	default:
		p.state = "error"
		p.err = err
	}
	for ch := range p.subs {
		close(ch)
	}
	p.subs = map[chan sdk.Progress]struct{}{}
	close(p.done)
}
