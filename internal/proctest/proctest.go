// Package proctest has process helpers shared by the project's tests.
package proctest

import (
	"os"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Alive reports whether pid is a live process on Linux. A zombie (killed,
// not yet reaped by its new parent) counts as dead.
func Alive(pid int) bool {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	s := string(data)
	i := strings.LastIndexByte(s, ')')
	return i < 0 || i+2 >= len(s) || s[i+2] != 'Z'
}

// Eventually polls cond every 20ms until it holds, and fails the test
// when d passes first. For waiting on other processes, which give no
// event to wait on.
func Eventually(t testing.TB, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", d, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// ReadPID waits (up to 10s) for a file holding a process id, as test
// helper processes write them, and returns the pid.
func ReadPID(t testing.TB, path string) int {
	t.Helper()
	var pid int
	Eventually(t, 10*time.Second, path, func() bool {
		b, err := os.ReadFile(path)
		if err != nil {
			return false
		}
		pid, err = strconv.Atoi(strings.TrimSpace(string(b)))
		return err == nil && pid > 0
	})
	return pid
}
