package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"time"

	"github.com/roundhouse-ai/roundhouse/internal/bench/harness"
	"github.com/roundhouse-ai/roundhouse/internal/bench/upstream"
)

// The upstream runs as its own process (this binary, re-executed), so it
// has its own heap and scheduler like a real server, and the load
// generator's garbage never pauses it.
const (
	envUpstream = "ROUNDHOUSE_BENCH_UPSTREAM" // listen address
	envKey      = "ROUNDHOUSE_BENCH_KEY"      // API key to require
	apiKey      = "sk-bench-0001"
)

// maybeServeUpstream serves the upstream when this process was started
// as one. It exits when its stdin closes (benchall ended).
func maybeServeUpstream() {
	addr := os.Getenv(envUpstream)
	if addr == "" {
		return
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		fmt.Fprintln(os.Stderr, "upstream:", err)
		os.Exit(1)
	}
	fmt.Printf("listening %s\n", ln.Addr())
	go func() {
		_, _ = io.Copy(io.Discard, os.Stdin)
		os.Exit(0)
	}()
	srv := &http.Server{Handler: upstream.New(upstream.Options{APIKey: os.Getenv(envKey)}), ReadHeaderTimeout: 10 * time.Second}
	err = srv.Serve(ln)
	fmt.Fprintln(os.Stderr, "upstream:", err)
	os.Exit(1)
}

// upstreamProc is the running upstream.
type upstreamProc struct {
	*harness.Proc
	Addr  string
	URL   string // http://addr/v1
	stdin io.Closer
}

func startUpstream(logPath string) (*upstreamProc, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, err
	}
	logf, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	defer logf.Close()
	cmd := exec.Command(exe)
	cmd.Env = append(os.Environ(), envUpstream+"=127.0.0.1:0", envKey+"="+apiKey)
	cmd.Stderr = logf
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	p, err := harness.Launch("upstream", cmd)
	if err != nil {
		return nil, err
	}
	line := make(chan string, 1)
	go func() {
		s, _ := bufio.NewReader(stdout).ReadString('\n')
		line <- s
		_, _ = io.Copy(io.Discard, stdout)
	}()
	select {
	case s := <-line:
		addr, ok := strings.CutPrefix(strings.TrimSpace(s), "listening ")
		if !ok {
			p.Stop(time.Second)
			b, _ := os.ReadFile(logPath)
			return nil, fmt.Errorf("upstream did not start: %q %s", s, b)
		}
		return &upstreamProc{Proc: p, Addr: addr, URL: "http://" + addr + "/v1", stdin: stdin}, nil
	case <-time.After(10 * time.Second):
		p.Stop(time.Second)
		return nil, errors.New("upstream did not start within 10s")
	}
}

func (u *upstreamProc) Stop() {
	_ = u.stdin.Close()
	u.Proc.Stop(2 * time.Second)
}
