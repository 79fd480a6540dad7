//go:build unix && !linux

package engine

import (
	"errors"
	"syscall"
)

// sysProcAttr: own process group (see proc_unix.go). There is no
// parent-death signal outside Linux; the plugin's parent watch ends the
// plugin, whose shutdown stops the engine.
func sysProcAttr() *syscall.SysProcAttr { return &syscall.SysProcAttr{Setpgid: true} }

var errNoIdentity = errors.New("process identity is not available on this platform")

// processStartID is Linux-only; without it a leftover engine from a
// previous plugin process cannot be told from someone else's, so it is
// never stopped.
func processStartID(int) (string, error) { return "", errNoIdentity }

func processImage(int) (string, error) { return "", errNoIdentity }
