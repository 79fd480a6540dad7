package soak

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/roundhouse-ai/roundhouse/internal/bench/harness"
)

// Resources is one sample of the host process.
type Resources struct {
	At         time.Time
	RSS        int64 // VmRSS, bytes
	FDs        int   // entries in /proc/<pid>/fd
	Goroutines int   // from the host's /debug/pprof/goroutine (-1: unavailable)
}

// countFDs counts the open file descriptors of pid.
func countFDs(pid int) (int, error) {
	ents, err := os.ReadDir("/proc/" + strconv.Itoa(pid) + "/fd")
	if err != nil {
		return 0, err
	}
	return len(ents), nil
}

// goroutines reads the goroutine count from the host's pprof index, which
// the API serves behind the admin guard (host/api/guard.go): loopback
// clients need no token while admin_token is unset, as in the soak's
// config. The first line is "goroutine profile: total N".
func goroutines(ctx context.Context, c *http.Client, base string) (int, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, base+"/debug/pprof/goroutine?debug=1", nil)
	resp, err := c.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return 0, fmt.Errorf("GET /debug/pprof/goroutine: HTTP %d", resp.StatusCode)
	}
	line, err := bufio.NewReader(resp.Body).ReadString('\n')
	if err != nil {
		return 0, err
	}
	n, ok := strings.CutPrefix(strings.TrimSpace(line), "goroutine profile: total ")
	if !ok {
		return 0, fmt.Errorf("unexpected goroutine profile header %q", line)
	}
	return strconv.Atoi(n)
}

// sample reads the host's resources; a missing piece is an error, since
// comparing a partial sample would hide a leak.
func sample(ctx context.Context, c *http.Client, base string, pid int) (Resources, error) {
	r := Resources{At: time.Now()}
	m, err := harness.ReadMem(pid)
	if err != nil {
		return r, err
	}
	r.RSS = m.RSS
	if r.FDs, err = countFDs(pid); err != nil {
		return r, err
	}
	if r.Goroutines, err = goroutines(ctx, c, base); err != nil {
		return r, err
	}
	return r, nil
}

// killPID SIGKILLs pid after checking that it is the plugin's executable,
// so a stale pid reused by an unrelated process is never killed.
func killPID(pid int, exe string) error {
	if pid <= 0 {
		return fmt.Errorf("no pid")
	}
	cmd, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/cmdline")
	if err != nil {
		return fmt.Errorf("pid %d: %w", pid, err)
	}
	argv0, _, _ := strings.Cut(string(cmd), "\x00")
	if !strings.HasSuffix(argv0, exe) {
		return fmt.Errorf("pid %d runs %q, not %s: not killing it", pid, argv0, exe)
	}
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		return fmt.Errorf("kill %d: %w", pid, err)
	}
	return nil
}

var errNotRunning = errors.New("plugin not running")

// goroutineStacks reads the host's goroutine profile (debug=1: blocks of
// "N @ addrs" then "#\taddr func+off file:line" lines) as counts per
// stack, the stack keyed by its func and file:line lines without
// addresses, so two profiles can be compared.
func goroutineStacks(ctx context.Context, c *http.Client, base string) (map[string]int, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, base+"/debug/pprof/goroutine?debug=1", nil)
	resp, err := c.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET /debug/pprof/goroutine: HTTP %d", resp.StatusCode)
	}
	out := map[string]int{}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	n := 0
	var frames []string
	flush := func() {
		if n > 0 && len(frames) > 0 {
			out[strings.Join(frames, "\n")] += n
		}
		n, frames = 0, nil
	}
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "#\t"):
			f := strings.Fields(line[2:])
			if len(f) >= 3 { // addr func+off file:line
				frames = append(frames, "\t"+f[1]+" "+f[2])
			}
		case strings.Contains(line, " @ "):
			flush()
			n, _ = strconv.Atoi(strings.Fields(line)[0])
		case line == "":
			flush()
		}
	}
	flush()
	return out, sc.Err()
}

// grownStacks lists the stacks with more goroutines in after than in
// before, most grown first, at most limit of them.
func grownStacks(before, after map[string]int, limit int) []string {
	type g struct {
		stack string
		d, n  int
	}
	var gs []g
	for s, n := range after {
		// The goroutines serving the profile request itself (its handler
		// and its connection's background reader) differ between the two
		// reads only in where they happen to be: not the host's.
		if strings.Contains(s, "net/http/pprof.") || strings.Contains(s, "connReader).backgroundRead") {
			continue
		}
		if d := n - before[s]; d > 0 {
			gs = append(gs, g{s, d, n})
		}
	}
	slices.SortFunc(gs, func(a, b g) int { return b.d - a.d })
	var out []string
	for i, x := range gs {
		if i == limit {
			break
		}
		out = append(out, fmt.Sprintf("+%d (now %d):\n%s", x.d, x.n, x.stack))
	}
	return out
}
