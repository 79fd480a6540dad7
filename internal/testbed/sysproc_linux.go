package testbed

import "syscall"

// sysProcAttr puts the child in its own process group and, as a second line
// of defence behind the watchdog pipe, kills it if the test process dies.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}
