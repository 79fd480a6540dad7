//go:build !linux

package sdk

import "syscall"

// childSysProcAttr: no parent-death signal outside Linux; the plugin's
// parent-pid watch in Serve covers it.
func childSysProcAttr() *syscall.SysProcAttr { return nil }
