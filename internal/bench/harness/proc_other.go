//go:build !linux

package harness

import "syscall"

// setDeathSignal: no parent-death signal outside Linux; the process group
// is still killed on exit.
func setDeathSignal(*syscall.SysProcAttr) {}
