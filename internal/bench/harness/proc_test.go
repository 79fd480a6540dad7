package harness

import (
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestReadMemAndCPU(t *testing.T) {
	m, err := ReadMem(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	if m.RSS <= 0 || m.HWM < m.RSS || m.Anon <= 0 || m.File <= 0 {
		t.Fatalf("mem %+v", m)
	}
	c0, err := CPUTime(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	// Spin until the reading moves by 50 ms (two 10 ms ticks are its
	// resolution). On a loaded machine that takes longer than 50 ms of wall
	// time, so the wall clock only bounds a reading that never moves.
	deadline := time.Now().Add(60 * time.Second)
	c1 := c0
	for x := 0; c1 < c0+50*time.Millisecond && time.Now().Before(deadline); x++ {
		if x%100_000 == 0 {
			if c1, err = CPUTime(os.Getpid()); err != nil {
				t.Fatal(err)
			}
		}
	}
	if c1 < c0+50*time.Millisecond {
		t.Fatalf("CPU time stayed at %v → %v while this process spun for 60 s", c0, c1)
	}
}

// Stop kills the whole group, children included.
func TestStopKillsGroup(t *testing.T) {
	cmd := exec.Command("/bin/sh", "-c", "sleep 60 & echo $!; wait")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	p, err := Launch("sh", cmd)
	if err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 32)
	n, _ := out.Read(buf)
	var child int
	for _, c := range string(buf[:n]) {
		if c >= '0' && c <= '9' {
			child = child*10 + int(c-'0')
		}
	}
	if child == 0 {
		t.Fatalf("no child pid in %q", buf[:n])
	}
	p.Stop(time.Second)
	if !p.Exited() {
		t.Fatal("leader still running")
	}
	for range 100 {
		if err := syscall.Kill(child, 0); err != nil {
			return // gone
		}
		// Reparented children of a killed group may linger as zombies
		// until the init process reaps them: dead all the same.
		if b, err := os.ReadFile("/proc/" + strconv.Itoa(child) + "/stat"); err == nil {
			if s := string(b); strings.Contains(s[strings.LastIndexByte(s, ')')+1:], " Z ") {
				return
			}
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("child %d survived Stop", child)
}
