package pluginhost

import "syscall"

// childSysProcAttr makes the kernel send SIGTERM to the plugin when the
// host dies, even by SIGKILL; Serve then shuts the plugin down. The
// plugin's own parent-pid watch covers the rare case where the thread that
// forked it exits first (golang/go#27505).
func childSysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGTERM}
}
