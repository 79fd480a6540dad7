package engine

import (
	"testing"
	"time"
)

// Full jitter: every wait lies in [0, cap), the caps double up to the
// maximum, and the waits are not all the same.
func TestBackOffFullJitter(t *testing.T) {
	p := RestartPolicy{InitialInterval: 100 * time.Millisecond, MaxInterval: 800 * time.Millisecond}
	caps := []time.Duration{100, 200, 400, 800, 800, 800}
	seen := map[time.Duration]bool{}
	for round := 0; round < 50; round++ {
		b := p.NewBackOff()
		for i, c := range caps {
			d := b.NextBackOff()
			if d < 0 || d >= c*time.Millisecond {
				t.Fatalf("wait %d = %v, want in [0, %v)", i, d, c*time.Millisecond)
			}
			seen[d] = true
		}
		b.Reset()
		if d := b.NextBackOff(); d >= 100*time.Millisecond {
			t.Fatalf("after Reset: %v", d)
		}
	}
	if len(seen) < 100 {
		t.Errorf("only %d distinct waits in 300: not jittered", len(seen))
	}
}

func TestRestartPolicyDefaults(t *testing.T) {
	p := RestartPolicy{}.withDefaults()
	if p.InitialInterval != 500*time.Millisecond || p.MaxInterval != 30*time.Second || p.StableRun != time.Minute || p.MaxFailures != 5 {
		t.Errorf("defaults = %+v", p)
	}
	if p := (RestartPolicy{InitialInterval: time.Minute}).withDefaults(); p.MaxInterval != time.Minute {
		t.Errorf("max below initial: %+v", p)
	}
}
