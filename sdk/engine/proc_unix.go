//go:build unix

package engine

import (
	"errors"
	"syscall"
)

// The engine leads its own process group, so the helpers it spawns (model
// runners, workers) belong to it too. Signalling the group (-pid) reaches
// all of them and nothing else: other copies of the same engine on the
// machine are never touched.

func terminateGroup(pid int) error { return signalGroup(pid, syscall.SIGTERM) }

func killGroup(pid int) error { return signalGroup(pid, syscall.SIGKILL) }

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
