//go:build unix

package main

import (
	"errors"
	"os"
	"syscall"
)

// A managed engine is started as the leader of its own process group, so
// the runner processes `ollama serve` spawns for each loaded model belong
// to it too. Signalling the group (-pid) reaches all of them and nothing
// else: other ollama processes on the machine are never touched.

func terminateTree(p *os.Process) error { return signalGroup(p.Pid, syscall.SIGTERM) }

func killTree(p *os.Process) error { return signalGroup(p.Pid, syscall.SIGKILL) }

func signalGroup(pgid int, sig syscall.Signal) error {
	if pgid <= 1 {
		return errors.New("refusing to signal process group <= 1")
	}
	err := syscall.Kill(-pgid, sig)
	if errors.Is(err, syscall.ESRCH) {
		return nil
	}
	return err
}

// processAlive reports whether pid exists (signal 0 probes without
// delivering anything).
func processAlive(pid int) bool {
	if pid <= 0 {
		return false
	}
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}
