//go:build !linux

package main

import "syscall"

// pullSysProcAttr: only Linux has a parent-death signal; elsewhere a pull
// is stopped by Shutdown (and cancelled with its call).
func pullSysProcAttr() *syscall.SysProcAttr { return nil }
