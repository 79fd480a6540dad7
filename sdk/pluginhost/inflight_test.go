package pluginhost

import (
	"context"
	"testing"
)

func TestInflightWait(t *testing.T) {
	f := newInflight()
	if !f.wait(context.Background()) {
		t.Fatal("no call in flight: wait must return true at once")
	}
	f.enter()
	done := f.begin() // a stream
	if f.count() != 2 {
		t.Fatalf("count %d, want 2", f.count())
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if f.wait(ctx) {
		t.Fatal("calls in flight and ctx done: wait must report false")
	}
	results := make(chan bool, 2)
	for range 2 {
		go func() { results <- f.wait(context.Background()) }()
	}
	f.exit()
	done()
	done() // counted out once
	for range 2 {
		if !<-results {
			t.Error("a waiter was not released when the last call ended")
		}
	}
	if f.count() != 0 {
		t.Fatalf("count %d, want 0", f.count())
	}
	// Busy again after going idle: a new wait waits for the new call.
	f.enter()
	ch := make(chan bool, 1)
	go func() { ch <- f.wait(context.Background()) }()
	f.exit()
	if !<-ch {
		t.Error("wait after a second busy period")
	}
	if n := testing.AllocsPerRun(100, func() { f.enter(); f.exit() }); n != 0 {
		t.Errorf("a unary call counted in and out allocates %v times", n)
	}
}
