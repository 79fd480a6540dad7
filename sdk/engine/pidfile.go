package engine

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// PIDRecord is what the pid file holds while a supervised engine runs, so
// a later plugin process can recognise an engine a crashed predecessor
// left behind (it still answers at Addr but is nobody's child).
type PIDRecord struct {
	PID int `json:"pid"`
	// StartID is the process's start time (Linux: clock ticks since boot);
	// with PID it names one incarnation, since pids are reused.
	StartID string `json:"start_id,omitempty"`
	// Image is the executable the kernel ran for it (/proc/<pid>/exe), which
	// can differ from Exe when Exe is a wrapper script.
	Image string `json:"image,omitempty"`
	// Addr is Spec.Addr: where the engine answered.
	Addr string `json:"host"`
	// Exe is Spec.Exe.
	Exe string `json:"exe"`
}

// RecordProcess describes the running process pid for a pid file: its
// start time and executable image where the platform tells them (Linux),
// so [Leftover] can later prove it is still that process. The supervisor
// records its engines itself; use this for a process started otherwise.
func RecordProcess(pid int, addr, exe string) PIDRecord {
	r := PIDRecord{PID: pid, Addr: addr, Exe: exe}
	r.StartID, _ = processStartID(pid)
	r.Image, _ = processImage(pid)
	return r
}

// WritePIDFile records r at path atomically (write and rename).
func WritePIDFile(path string, r PIDRecord) error {
	if path == "" {
		return nil
	}
	b, err := json.Marshal(r)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, b, 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// ReadPIDFile returns the record at path, if there is a valid one.
func ReadPIDFile(path string) (PIDRecord, bool) {
	var r PIDRecord
	b, err := os.ReadFile(path)
	if err != nil || json.Unmarshal(b, &r) != nil || r.PID <= 0 {
		return r, false
	}
	return r, true
}

// removePIDFile removes the record if it still names pid.
func removePIDFile(path string, pid int) {
	if r, ok := ReadPIDFile(path); ok && r.PID == pid {
		_ = os.Remove(path)
	}
}

// Leftover returns the engine a previous plugin process left running at
// addr, if the pid file names one that is still that very process: same
// pid, same start time and, where recorded, same executable image. Where
// the start time cannot be read (outside Linux) nothing is ever claimed,
// so someone else's engine is never mistaken for ours.
func Leftover(pidFile, addr string) (PIDRecord, bool) {
	r, ok := ReadPIDFile(pidFile)
	if !ok || r.Addr != addr || r.StartID == "" || !processAlive(r.PID) {
		return r, false
	}
	if id, err := processStartID(r.PID); err != nil || id != r.StartID {
		return r, false
	}
	if r.Image != "" {
		if img, err := processImage(r.PID); err != nil || img != r.Image {
			return r, false
		}
	}
	return r, true
}

// ReapLeftover stops the engine a crashed previous run of this plugin left
// behind at addr (see [Leftover]): SIGTERM to its process group, SIGKILL
// after grace, and the pid file removed. It reports whether there was one
// to stop. It waits at most grace (and never past ctx) for a clean exit.
func ReapLeftover(ctx context.Context, pidFile, addr string, grace time.Duration) (PIDRecord, bool, error) {
	r, ok := Leftover(pidFile, addr)
	if !ok {
		return r, false, nil
	}
	if err := terminateGroup(r.PID); err != nil {
		return r, false, fmt.Errorf("stop the engine a previous run left behind (pid %d): %w", r.PID, err)
	}
	t := time.NewTicker(50 * time.Millisecond)
	defer t.Stop()
	deadline := time.NewTimer(grace)
	defer deadline.Stop()
wait:
	for processAlive(r.PID) && !isZombie(r.PID) {
		select {
		case <-t.C:
		case <-deadline.C:
			break wait
		case <-ctx.Done():
			break wait
		}
	}
	err := killGroup(r.PID)
	_ = os.Remove(pidFile)
	if err != nil {
		return r, true, fmt.Errorf("kill the engine a previous run left behind (pid %d): %w", r.PID, err)
	}
	return r, true, nil
}
