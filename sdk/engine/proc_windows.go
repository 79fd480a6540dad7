package engine

import (
	"errors"
	"os"
	"os/exec"
	"strconv"
	"syscall"
)

// On Windows the engine gets its own process group so console signals
// meant for the plugin do not reach it. There is no signal to end it
// gracefully; taskkill /T ends it and the processes it started.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{CreationFlags: syscall.CREATE_NEW_PROCESS_GROUP}
}

func terminateGroup(pid int) error { return killGroup(pid) }

func killGroup(pid int) error {
	if err := exec.Command("taskkill", "/T", "/F", "/PID", strconv.Itoa(pid)).Run(); err != nil {
		p, ferr := os.FindProcess(pid)
		if ferr != nil {
			return err
		}
		return p.Kill()
	}
	return nil
}

func processAlive(pid int) bool {
	p, err := os.FindProcess(pid)
	if err != nil {
		return false
	}
	_ = p.Release()
	return true
}

var errNoIdentity = errors.New("process identity is not available on this platform")

func processStartID(int) (string, error) { return "", errNoIdentity }

func processImage(int) (string, error) { return "", errNoIdentity }
