package main

import "syscall"

// pullSysProcAttr makes an `ovms --pull` child die with the plugin: a
// plugin SIGKILLed mid-pull must not leave a download running. SIGKILL,
// not SIGINT: OVMS resumes a killed pull as it resumes a cancelled one
// (docs/pull_hf_models.md, "Resume after process termination").
func pullSysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
