package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
)

// pidRecord is written while a managed engine runs, so a later plugin
// process can recognise an engine a crashed predecessor left behind (it
// then answers at engine_host but is nobody's child).
type pidRecord struct {
	PID     int    `json:"pid"`
	StartID string `json:"start_id,omitempty"`
	Host    string `json:"host"`
	Exe     string `json:"exe"`
}

func writePidFile(path string, r pidRecord) {
	if path == "" {
		return
	}
	b, _ := json.Marshal(r)
	_ = os.MkdirAll(filepath.Dir(path), 0o755)
	tmp := path + ".tmp"
	if os.WriteFile(tmp, b, 0o644) == nil {
		_ = os.Rename(tmp, path)
	}
}

func readPidFile(path string) (pidRecord, bool) {
	var r pidRecord
	b, err := os.ReadFile(path)
	if err != nil || json.Unmarshal(b, &r) != nil || r.PID <= 0 {
		return r, false
	}
	return r, true
}

// removePidFile removes the record if it still names pid.
func removePidFile(path string, pid int) {
	if r, ok := readPidFile(path); ok && r.PID == pid {
		_ = os.Remove(path)
	}
}

// leftoverEngine returns the engine a previous plugin process left running
// at host, if the pid file names one that is still that very process: same
// pid and same start time. Where the start time cannot be read (outside
// Linux) nothing is ever claimed, so someone else's Ollama is never
// mistaken for ours.
func leftoverEngine(path, host string) (pidRecord, bool) {
	r, ok := readPidFile(path)
	if !ok || r.Host != host || r.StartID == "" || !processAlive(r.PID) {
		return r, false
	}
	id, err := processStartID(r.PID)
	if err != nil || id != r.StartID {
		return r, false
	}
	return r, true
}

// logTail returns the last lines the engine logged since offset, for error
// messages, or "" when there are none.
func logTail(path string, offset int64) string {
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil || st.Size() <= offset {
		return ""
	}
	const maxTail = 1500
	from := max(offset, st.Size()-maxTail)
	buf := make([]byte, st.Size()-from)
	if _, err := f.ReadAt(buf, from); err != nil {
		return ""
	}
	lines := strings.Split(strings.TrimSpace(string(buf)), "\n")
	if from > offset && len(lines) > 1 {
		lines = lines[1:] // first line is probably cut
	}
	if len(lines) > 6 {
		lines = lines[len(lines)-6:]
	}
	return "; last log lines: " + strings.Join(lines, " | ")
}
