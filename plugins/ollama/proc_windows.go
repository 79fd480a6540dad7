package main

import (
	"errors"
	"os"
	"os/exec"
	"strconv"
	"syscall"
)

// On Windows the engine gets its own process group so console signals
// meant for the host do not reach it. There are no signals to end it
// gracefully; taskkill /T ends it and the runners it started.
func engineSysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{CreationFlags: syscall.CREATE_NEW_PROCESS_GROUP}
}

func terminateTree(p *os.Process) error { return killTree(p) }

func killTree(p *os.Process) error {
	if err := exec.Command("taskkill", "/T", "/F", "/PID", strconv.Itoa(p.Pid)).Run(); err != nil {
		return p.Kill()
	}
	return nil
}

func processAlive(pid int) bool {
	p, err := os.FindProcess(pid)
	if err != nil {
		return false
	}
	_ = p.Release()
	return true
}

func processStartID(int) (string, error) {
	return "", errors.New("process identity is not available on this platform")
}
