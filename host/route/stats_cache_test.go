package route

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/roundhouse-ai/roundhouse/host/config"
)

// The stats Decide attaches to candidates are what Lookup returns at that
// moment: a target that gets stats after its list was kept is seen, and a
// changed list is not served the stats of the old one.
func TestAttachedStatsFollowTheStatsMap(t *testing.T) {
	clk := newFakeClock()
	d := New(config.Routing{Strategy: StrategyLeastLatency}, Options{Log: quiet, Now: clk.Now})
	src := &fakeSource{plugins: map[string]bool{"openai": true}, models: map[string][]Target{
		"m": {{Plugin: "openai", Provider: "a", Model: "m"}, {Plugin: "openai", Provider: "b", Model: "m"}, {Plugin: "openai", Provider: "c", Model: "m"}},
	}}
	order := func() []string {
		t.Helper()
		c := Call{Service: "chat", Model: "m"}
		cands, err := d.Decide(context.Background(), src, &c, nil)
		if err != nil {
			t.Fatal(err)
		}
		for i := range cands {
			if want := d.Stats().Lookup(cands[i].Target); !cands[i].hasStats || cands[i].stats != want {
				t.Errorf("%s: attached stats %p, Lookup gives %p", cands[i].Target, cands[i].stats, want)
			}
		}
		return names(cands)
	}
	observe := func(provider string, lat time.Duration) {
		d.Stats().Get(Target{Plugin: "openai", Provider: provider, Model: "m"}).Observe(clk.Now(), true, lat)
	}
	// b and c measured; a never: a first (to be measured), then b, c.
	observe("b", 100*time.Millisecond)
	observe("c", 200*time.Millisecond)
	if got := order(); !slices.Equal(got, []string{"openai:a/m", "openai:b/m", "openai:c/m"}) {
		t.Fatalf("order %v", got)
	}
	// a gets its stats after the list was kept: it is seen.
	observe("a", 300*time.Millisecond)
	if got := order(); !slices.Equal(got, []string{"openai:b/m", "openai:c/m", "openai:a/m"}) {
		t.Errorf("after a was measured: order %v", got)
	}
	// Stats change without a new target (same generation): read live.
	for range 20 {
		observe("b", time.Second)
	}
	if got := order(); !slices.Equal(got, []string{"openai:c/m", "openai:a/m", "openai:b/m"}) {
		t.Errorf("after b slowed down: order %v", got)
	}
	// The list changes (d replaces b; same length, same first target):
	// d was never measured and goes first.
	src.models["m"][1].Provider = "d"
	if got := order(); !slices.Equal(got, []string{"openai:d/m", "openai:c/m", "openai:a/m"}) {
		t.Errorf("after the list changed: order %v", got)
	}
}

// A list kept for one Stats generation is matched on the targets (not
// Local) and refused for another generation or other targets.
func TestStatsListMatches(t *testing.T) {
	s := NewStats(nil, BreakerSettings{}, nil)
	c := cands("ollama/m", "openai:a/m")
	s.attach(c)
	gen := len(*s.by.Load())
	l := s.lists[listSlot(c)].Load()
	if !l.matches(gen, c) {
		t.Fatal("the kept list does not match its own candidates")
	}
	if c[0].stats != nil || c[1].stats != nil || !c[0].hasStats {
		t.Errorf("never-seen targets got stats: %+v", c)
	}
	local := cands("ollama/m", "openai:a/m")
	local[0].Local = false
	if !l.matches(gen, local) {
		t.Error("Local must not matter (the stats map ignores it)")
	}
	if l.matches(gen, cands("ollama/m", "openai:b/m")) || l.matches(gen, cands("ollama/m")) {
		t.Error("another list matched")
	}
	s.Get(Target{Plugin: "openai", Provider: "a", Model: "m"})
	if l.matches(len(*s.by.Load()), c) {
		t.Error("a list of an older generation matched")
	}
	s.attach(c)
	if c[1].stats == nil || c[1].stats != s.Lookup(c[1].Target) {
		t.Error("stats created after the list was kept are not attached")
	}
}
