//go:build unix

package proctest

import (
	"syscall"
	"testing"
)

// CheckOwnGroup checks that leader leads a process group of its own (not
// the test's) and that each of members belongs to it, as a supervised
// engine and the helpers it spawned should.
func CheckOwnGroup(t testing.TB, leader int, members ...int) {
	t.Helper()
	if g, _ := syscall.Getpgid(leader); g != leader {
		t.Errorf("engine pgid = %d, want its own pid %d", g, leader)
	}
	for _, m := range members {
		if g, _ := syscall.Getpgid(m); g != leader {
			t.Errorf("pid %d: pgid = %d, want the engine's %d", m, g, leader)
		}
	}
	if g, _ := syscall.Getpgid(0); g == leader {
		t.Error("the engine shares the test's process group")
	}
}
