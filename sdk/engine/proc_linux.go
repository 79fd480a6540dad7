package engine

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
)

// sysProcAttr: own process group (see proc_unix.go), and SIGTERM to the
// engine when the plugin dies, even by SIGKILL. Pdeathsig fires when the
// thread that forked the child exits, not the process (golang/go#27505),
// so the engine is started from a goroutine locked to its thread for the
// engine's whole life (see Supervisor.spawn).
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGTERM}
}

// processStartID identifies a process incarnation: its start time in clock
// ticks since boot, from /proc/<pid>/stat. A pid can be reused; pid plus
// start time cannot, which is what makes it safe to stop a leftover engine
// recorded in the pid file.
func processStartID(pid int) (string, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return "", err
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return "", fmt.Errorf("unexpected /proc/%d/stat format", pid)
	}
	fields := strings.Fields(s[i+1:])
	// fields[0] is field 3 (state); starttime is field 22.
	const startTime = 22 - 3
	if len(fields) <= startTime {
		return "", fmt.Errorf("unexpected /proc/%d/stat format", pid)
	}
	if _, err := strconv.ParseUint(fields[startTime], 10, 64); err != nil {
		return "", fmt.Errorf("unexpected /proc/%d/stat start time: %v", pid, err)
	}
	return fields[startTime], nil
}

// processImage is the executable a process runs (what the kernel exec'd,
// after any script or wrapper), from /proc/<pid>/exe.
func processImage(pid int) (string, error) {
	return os.Readlink(fmt.Sprintf("/proc/%d/exe", pid))
}
