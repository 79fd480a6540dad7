// Package harness runs the processes the benchmarks measure: each in its
// own process group (so Stop takes its children too), killed by the
// kernel if the benchmark dies, on loopback ports picked free.
package harness

import (
	"bufio"
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

// Proc is a process leading its own process group.
type Proc struct {
	Cmd  *exec.Cmd
	Name string

	done    chan struct{}
	waitErr error
	once    sync.Once
}

// Launch starts cmd as the leader of a new process group that the kernel
// kills (SIGKILL) if this process dies first. The caller sets Path, Args,
// Env, Dir and stdio.
func Launch(name string, cmd *exec.Cmd) (*Proc, error) {
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	cmd.SysProcAttr.Setpgid = true
	setDeathSignal(cmd.SysProcAttr)
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	p := &Proc{Cmd: cmd, Name: name, done: make(chan struct{})}
	track(p)
	go func() {
		p.waitErr = cmd.Wait()
		close(p.done)
	}()
	return p, nil
}

// Pid is the leader's pid (and the group id).
func (p *Proc) Pid() int { return p.Cmd.Process.Pid }

// Done is closed when the leader has exited.
func (p *Proc) Done() <-chan struct{} { return p.done }

// Exited reports whether the leader has exited.
func (p *Proc) Exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// Stop asks the group to stop (SIGTERM), waits up to grace, then kills
// the whole group (SIGKILL), stragglers included. Idempotent.
func (p *Proc) Stop(grace time.Duration) {
	p.once.Do(func() {
		pgid := p.Pid()
		_ = syscall.Kill(-pgid, syscall.SIGTERM)
		select {
		case <-p.done:
		case <-time.After(grace):
		}
		_ = syscall.Kill(-pgid, syscall.SIGKILL)
		<-p.done
		untrack(p)
	})
}

// Every process started and not yet stopped, so StopAll can end them on
// any exit path.
var (
	liveMu sync.Mutex
	live   = map[*Proc]bool{}
)

func track(p *Proc) {
	liveMu.Lock()
	live[p] = true
	liveMu.Unlock()
}

func untrack(p *Proc) {
	liveMu.Lock()
	delete(live, p)
	liveMu.Unlock()
}

// StopAll stops every process Launch started that is still running.
func StopAll() {
	liveMu.Lock()
	ps := make([]*Proc, 0, len(live))
	for p := range live {
		ps = append(ps, p)
	}
	liveMu.Unlock()
	var wg sync.WaitGroup
	for _, p := range ps {
		wg.Go(func() { p.Stop(2 * time.Second) })
	}
	wg.Wait()
}

// FreePort returns a TCP port free on 127.0.0.1 a moment ago.
func FreePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// Mem is a process's memory as /proc/<pid>/status reports it.
type Mem struct {
	RSS  int64 // VmRSS, bytes
	HWM  int64 // VmHWM (peak RSS), bytes
	Anon int64 // RssAnon: heap, stacks (what the process allocated)
	File int64 // RssFile: mapped file pages (mostly the binary's text)
}

// ReadMem reads /proc/<pid>/status.
func ReadMem(pid int) (Mem, error) {
	f, err := os.Open("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return Mem{}, err
	}
	defer f.Close()
	var m Mem
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		var dst *int64
		switch {
		case strings.HasPrefix(line, "VmRSS:"):
			dst = &m.RSS
		case strings.HasPrefix(line, "VmHWM:"):
			dst = &m.HWM
		case strings.HasPrefix(line, "RssAnon:"):
			dst = &m.Anon
		case strings.HasPrefix(line, "RssFile:"):
			dst = &m.File
		default:
			continue
		}
		f := strings.Fields(line)
		if len(f) >= 2 {
			kb, err := strconv.ParseInt(f[1], 10, 64)
			if err == nil {
				*dst = kb << 10
			}
		}
	}
	if m.RSS == 0 {
		return m, errors.New("no VmRSS in /proc/" + strconv.Itoa(pid) + "/status (not Linux, or a zombie)")
	}
	return m, sc.Err()
}

// Sampler records the highest RSS of some processes while it runs.
type Sampler struct {
	stop chan struct{}
	done chan struct{}
	mu   sync.Mutex
	peak map[int]int64
}

// SampleRSS samples the pids' VmRSS every interval until Stop.
func SampleRSS(interval time.Duration, pids ...int) *Sampler {
	s := &Sampler{stop: make(chan struct{}), done: make(chan struct{}), peak: map[int]int64{}}
	sample := func() {
		for _, pid := range pids {
			if m, err := ReadMem(pid); err == nil {
				s.mu.Lock()
				s.peak[pid] = max(s.peak[pid], m.RSS)
				s.mu.Unlock()
			}
		}
	}
	go func() {
		defer close(s.done)
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			sample()
			select {
			case <-s.stop:
				return
			case <-t.C:
			}
		}
	}()
	return s
}

// Stop ends sampling and returns the peak RSS (bytes) of each pid.
func (s *Sampler) Stop() map[int]int64 {
	close(s.stop)
	<-s.done
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[int]int64, len(s.peak))
	for k, v := range s.peak {
		out[k] = v
	}
	return out
}

// clockTick is USER_HZ, the unit of /proc/<pid>/stat CPU times; it is 100
// on every Linux configuration Go supports.
const clockTick = 10 * time.Millisecond

// CPUTime is the user+system CPU time of a whole process (all threads),
// from /proc/<pid>/stat, with a resolution of 10 ms.
func CPUTime(pid int) (time.Duration, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, err
	}
	// The command name may hold spaces and parentheses: fields start
	// after the last ')'. utime and stime are fields 14 and 15 (1-based),
	// i.e. the 12th and 13th after it.
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0, errors.New("malformed /proc/" + strconv.Itoa(pid) + "/stat")
	}
	f := strings.Fields(s[i+1:])
	if len(f) < 13 {
		return 0, errors.New("short /proc/" + strconv.Itoa(pid) + "/stat")
	}
	ut, err1 := strconv.ParseInt(f[11], 10, 64)
	st, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, errors.New("malformed /proc/" + strconv.Itoa(pid) + "/stat")
	}
	return time.Duration(ut+st) * clockTick, nil
}

// MachineBusy is the CPU time all processors spent not idle since boot
// (user, nice, system, irq, softirq, steal), from /proc/stat.
func MachineBusy() (time.Duration, error) {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0, err
	}
	line, _, _ := strings.Cut(string(b), "\n")
	f := strings.Fields(line)
	if len(f) < 9 || f[0] != "cpu" {
		return 0, errors.New("malformed /proc/stat")
	}
	var busy int64
	for _, i := range []int{1, 2, 3, 6, 7, 8} { // user nice system irq softirq steal
		v, err := strconv.ParseInt(f[i], 10, 64)
		if err != nil {
			return 0, errors.New("malformed /proc/stat")
		}
		busy += v
	}
	return time.Duration(busy) * clockTick, nil
}
