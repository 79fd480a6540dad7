package harness

import "syscall"

// setDeathSignal makes the kernel SIGKILL the child if this process dies.
func setDeathSignal(a *syscall.SysProcAttr) { a.Pdeathsig = syscall.SIGKILL }
