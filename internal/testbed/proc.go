package testbed

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// watchdog runs "$@" in the shell's own process group and kills the whole
// group (the command, anything it spawned, and the shell) as soon as either
// the command exits or fd 3 reaches EOF. Fd 3 is the read end of a pipe whose
// write end only the test process holds, so the group dies when the test
// process closes it (proc.stop) or exits for any reason, even a crash or a
// `go test -timeout` panic. Ollama's runner subprocesses are covered too.
//
// The reader starts before the command: if the owner dies at once, the
// shell may be killed (parent-death signal) before it forks anything more,
// and a command started first would then outlive everyone.
const watchdog = `exec 3<&0 </dev/null
( read -r _ <&3; kill -9 0 ) &
"$@" 3<&- &
child=$!
wait "$child"
kill -9 0
`

// proc is a command running in its own process group under the watchdog.
type proc struct {
	cmd      *exec.Cmd
	lifePipe *os.File
	done     chan struct{} // closed when the group leader has exited
	waitErr  error
	once     sync.Once
}

func startProc(ctx context.Context, env []string, logFile *os.File, name string, args ...string) (*proc, error) {
	pr, pw, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command("/bin/sh", append([]string{"-c", watchdog, "testbed-watchdog", name}, args...)...)
	cmd.Env = env
	cmd.Stdin = pr
	cmd.Stdout = logFile
	cmd.Stderr = logFile
	cmd.SysProcAttr = sysProcAttr()
	if err := cmd.Start(); err != nil {
		pr.Close()
		pw.Close()
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	pr.Close()
	p := &proc{cmd: cmd, lifePipe: pw, done: make(chan struct{})}
	go func() {
		p.waitErr = cmd.Wait()
		close(p.done)
	}()
	if ctx != nil && ctx.Done() != nil {
		go func() {
			select {
			case <-ctx.Done():
				p.stop()
			case <-p.done:
			}
		}()
	}
	return p, nil
}

// exited reports whether the process group leader is gone.
func (p *proc) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// stop kills the whole process group and waits for the leader. Idempotent.
func (p *proc) stop() {
	p.once.Do(func() {
		p.lifePipe.Close() // the watchdog kills the group on EOF
		select {
		case <-p.done:
		case <-time.After(2 * time.Second):
		}
		// Belt and braces: the group id is the leader's pid (Setpgid).
		_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
		<-p.done
	})
}

// freeLoopbackPort returns a TCP port that was free on 127.0.0.1 a moment
// ago. Callers retry if the child then fails to bind it.
func freeLoopbackPort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// baseEnv is the test process environment without variables that would
// change how Ollama or the registry behave (OLLAMA_*, REGISTRY_*) and
// without proxies (everything here is loopback).
func baseEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		switch {
		case strings.HasPrefix(k, "OLLAMA_"), strings.HasPrefix(k, "REGISTRY_"):
		case strings.EqualFold(k, "http_proxy"), strings.EqualFold(k, "https_proxy"),
			strings.EqualFold(k, "all_proxy"), strings.EqualFold(k, "no_proxy"):
		default:
			env = append(env, kv)
		}
	}
	return env
}

// tailFile returns up to max bytes from the end of a file.
func tailFile(path string, max int64) string {
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return ""
	}
	off := st.Size() - max
	if off < 0 {
		off = 0
	}
	buf := make([]byte, st.Size()-off)
	n, _ := f.ReadAt(buf, off)
	return string(buf[:n])
}

var errExited = errors.New("exited during startup")

func hostPort(port int) string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(port)) }
