//go:build unix && !linux

package main

import (
	"errors"
	"syscall"
)

// engineSysProcAttr: own process group (see proc_unix.go). There is no
// parent-death signal outside Linux; the SDK's parent watch ends the
// plugin, whose Shutdown stops the engine.
func engineSysProcAttr() *syscall.SysProcAttr { return &syscall.SysProcAttr{Setpgid: true} }

// processStartID is Linux-only; without it a leftover engine from a
// previous plugin process cannot be told from someone else's, so it is
// never stopped.
func processStartID(int) (string, error) {
	return "", errors.New("process identity is not available on this platform")
}
