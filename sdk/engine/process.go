package engine

import (
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"time"
)

// process is one incarnation of the engine.
type process struct {
	pid      int
	startID  string
	exited   chan struct{}
	waitErr  error // set before exited is closed
	logStart int64 // offset in the log file where this run begins

	// With Spec.Output, the engine writes into a pipe that copyDone's
	// goroutine drains; out is the pipe's read end.
	out      *os.File
	copyDone chan struct{}
}

// spawn starts the engine. The goroutine that starts the child stays
// locked to its OS thread until the child exits: on Linux the child's
// parent-death signal is tied to that thread (see sysProcAttr).
//
// Without Spec.Output the engine writes straight into the log file, not
// through a pipe, so nothing of ours waits on a helper that outlives the
// engine. With Output, a pipe is drained by a goroutine that ends when
// every holder of the write end is gone, or when terminate closes it.
func (s *Supervisor) spawn() (*process, error) {
	var logf *os.File
	p := &process{exited: make(chan struct{})}
	if s.spec.LogPath != "" {
		f, offset, err := openLog(s.spec.LogPath)
		if err != nil {
			return nil, err
		}
		logf, p.logStart = f, offset
	}
	var stdout *os.File // what the child writes to
	var pw *os.File
	if s.spec.Output != nil {
		pr, w, err := os.Pipe()
		if err != nil {
			if logf != nil {
				logf.Close()
			}
			return nil, fmt.Errorf("create the engine's output pipe: %w", err)
		}
		stdout, pw, p.out = w, w, pr
		var dst io.Writer = s.spec.Output
		if logf != nil {
			dst = io.MultiWriter(logf, s.spec.Output)
		}
		p.copyDone = make(chan struct{})
		go func(lf *os.File) {
			defer close(p.copyDone)
			_, _ = io.Copy(dst, pr)
			if lf != nil {
				lf.Close()
			}
		}(logf)
	} else {
		stdout = logf
	}

	started := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		cmd := exec.Command(s.spec.Exe, s.spec.Args...)
		cmd.Env = s.spec.Env
		cmd.Dir = s.spec.Dir
		if stdout != nil {
			cmd.Stdout, cmd.Stderr = stdout, stdout
		}
		cmd.SysProcAttr = sysProcAttr()
		err := cmd.Start()
		// The child has its own copies now.
		if pw != nil {
			pw.Close()
		} else if logf != nil {
			logf.Close()
		}
		if err != nil {
			started <- err
			return
		}
		p.pid = cmd.Process.Pid
		started <- nil
		p.waitErr = cmd.Wait()
		close(p.exited)
	}()
	if err := <-started; err != nil {
		p.closeOutput()
		return nil, fmt.Errorf("start %s: %w", s.spec.Exe, err)
	}
	p.startID, _ = processStartID(p.pid)
	return p, nil
}

// closeOutput waits briefly for the output copier to drain what the dead
// engine wrote, then closes the pipe so a helper that escaped the process
// group cannot keep the goroutine alive.
func (p *process) closeOutput() {
	if p.out == nil {
		return
	}
	select {
	case <-p.copyDone:
	case <-time.After(time.Second):
	}
	p.out.Close()
	<-p.copyDone
}

// maxLogBytes is where the log file is rotated.
const maxLogBytes = 20 << 20

// openLog opens the engine's log for appending, rotating it once it passes
// maxLogBytes, and returns the offset this run starts at.
func openLog(path string) (*os.File, int64, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, 0, fmt.Errorf("create log dir: %w", err)
	}
	if st, err := os.Stat(path); err == nil && st.Size() > maxLogBytes {
		_ = os.Rename(path, path+".1")
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, 0, fmt.Errorf("open engine log: %w", err)
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, 0, err
	}
	return f, st.Size(), nil
}

// logTail returns the last lines the engine logged since offset, for error
// messages, or "" when there are none.
func logTail(path string, offset int64) string {
	if path == "" {
		return ""
	}
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
		lines = lines[1:] // the first line is probably cut
	}
	if len(lines) > 6 {
		lines = lines[len(lines)-6:]
	}
	return "; last log lines: " + strings.Join(lines, " | ")
}
