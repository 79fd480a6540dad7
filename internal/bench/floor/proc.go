package floor

import (
	"bufio"
	"context"
	"crypto/tls"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/roundhouse-ai/roundhouse/internal/bench/harness"
)

// Environment of a re-executed benchmark binary that runs as a floor
// process. The front starts its plugin itself, as the host does, and
// hands it its client certificate in the environment (as go-plugin's
// PLUGIN_CLIENT_CERT); the plugin answers with its socket and server
// certificate on stdout.
const (
	envRole       = "ROUNDHOUSE_BENCH_FLOOR"      // "front" or "plugin"
	envTLS        = "ROUNDHOUSE_BENCH_FLOOR_TLS"  // "1": mutual TLS on the gRPC leg
	envMode       = "ROUNDHOUSE_BENCH_FLOOR_MODE" // Relay or Lease
	envUpstream   = "ROUNDHOUSE_BENCH_FLOOR_UPSTREAM"
	envKey        = "ROUNDHOUSE_BENCH_FLOOR_KEY"
	envClientCert = "ROUNDHOUSE_BENCH_FLOOR_CLIENT_CERT"
	envPath       = "ROUNDHOUSE_BENCH_FLOOR_PATH"
	envNDJSON     = "ROUNDHOUSE_BENCH_FLOOR_NDJSON"
)

// Options start a floor.
type Options struct {
	Upstream string // OpenAI-compatible base URL (…/v1)
	APIKey   string
	TLS      bool
	Mode     Mode // default Relay
	Log      string
	// Path and NDJSON: see PluginOptions (Ollama's /api/chat: "/api/chat",
	// true).
	Path   string
	NDJSON bool
}

// Proc is a running floor: the front (its process group holds the
// plugin too).
type Proc struct {
	*harness.Proc
	URL       string // http://addr of the front
	PluginPid int
	stdin     io.Closer
}

// Start re-executes this binary as a floor front (which starts its
// plugin). The binary must call Main first thing in main.
func Start(o Options) (*Proc, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, err
	}
	if o.Mode == "" {
		o.Mode = Relay
	}
	cmd := exec.Command(exe)
	cmd.Env = append(os.Environ(), envRole+"=front", envUpstream+"="+o.Upstream, envKey+"="+o.APIKey,
		envMode+"="+string(o.Mode), envTLS+"="+boolEnv(o.TLS), envPath+"="+o.Path, envNDJSON+"="+boolEnv(o.NDJSON))
	if o.Log != "" {
		lf, err := os.Create(o.Log)
		if err != nil {
			return nil, err
		}
		defer lf.Close()
		cmd.Stderr = lf
	}
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	p, err := harness.Launch("floor", cmd)
	if err != nil {
		return nil, err
	}
	line, err := readLine(stdout, 20*time.Second)
	if err != nil {
		p.Stop(time.Second)
		return nil, fmt.Errorf("floor front: %w", err)
	}
	f := strings.Fields(line)
	if len(f) != 3 || f[0] != "listening" {
		p.Stop(time.Second)
		return nil, fmt.Errorf("floor front did not start: %q", line)
	}
	pid, _ := strconv.Atoi(f[2])
	return &Proc{Proc: p, URL: "http://" + f[1], PluginPid: pid, stdin: stdin}, nil
}

// Stop ends the front and its plugin.
func (p *Proc) Stop() {
	_ = p.stdin.Close()
	p.Proc.Stop(2 * time.Second)
}

func boolEnv(b bool) string {
	if b {
		return "1"
	}
	return ""
}

// readLine reads r's first line (and drains the rest in the background).
func readLine(r io.Reader, timeout time.Duration) (string, error) {
	ch := make(chan string, 1)
	go func() {
		s, _ := bufio.NewReader(r).ReadString('\n')
		ch <- strings.TrimSpace(s)
		_, _ = io.Copy(io.Discard, r)
	}()
	select {
	case s := <-ch:
		return s, nil
	case <-time.After(timeout):
		return "", errors.New("no handshake line in time")
	}
}

// Main runs this process as a floor front or plugin when the environment
// says so, and never returns then; otherwise it returns at once.
func Main() {
	var err error
	switch os.Getenv(envRole) {
	case "":
		return
	case "front":
		err = mainFront()
	case "plugin":
		err = mainPlugin()
	default:
		err = fmt.Errorf("unknown %s", envRole)
	}
	fmt.Fprintln(os.Stderr, "floor:", err)
	os.Exit(1)
}

// exitOnStdinEOF ends the process when its parent goes away.
func exitOnStdinEOF() {
	go func() {
		_, _ = io.Copy(io.Discard, os.Stdin)
		os.Exit(0)
	}()
}

func mainPlugin() error {
	exitOnStdinEOF()
	o := PluginOptions{Upstream: os.Getenv(envUpstream), APIKey: os.Getenv(envKey),
		Path: os.Getenv(envPath), NDJSON: os.Getenv(envNDJSON) == "1"}
	var certPEM []byte
	if os.Getenv(envTLS) == "1" {
		cert, pemb, err := newCert()
		if err != nil {
			return err
		}
		if o.TLS, err = serverTLS(cert, []byte(os.Getenv(envClientCert))); err != nil {
			return err
		}
		certPEM = pemb
	}
	dir, err := os.MkdirTemp("", "floor-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	sock := filepath.Join(dir, "plugin.sock")
	ln, err := net.Listen("unix", sock)
	if err != nil {
		return err
	}
	fmt.Printf("%s|%s\n", sock, base64.StdEncoding.EncodeToString(certPEM))
	return NewPluginServer(o).Serve(ln)
}

func mainFront() error {
	exitOnStdinEOF()
	useTLS := os.Getenv(envTLS) == "1"
	var (
		own     tls.Certificate
		ownPEM  []byte
		err     error
		exe     string
		srvPEM  []byte
		tc      *tls.Config
		childIn io.WriteCloser
	)
	if useTLS {
		if own, ownPEM, err = newCert(); err != nil {
			return err
		}
	}
	if exe, err = os.Executable(); err != nil {
		return err
	}
	cmd := exec.Command(exe)
	cmd.Env = append(os.Environ(), envRole+"=plugin", envClientCert+"="+string(ownPEM))
	cmd.Stderr = os.Stderr
	if childIn, err = cmd.StdinPipe(); err != nil {
		return err
	}
	defer childIn.Close()
	out, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	if err := cmd.Start(); err != nil {
		return err
	}
	line, err := readLine(out, 10*time.Second)
	if err != nil {
		return fmt.Errorf("plugin: %w", err)
	}
	sock, certB64, ok := strings.Cut(line, "|")
	if !ok {
		return fmt.Errorf("plugin handshake: %q", line)
	}
	if useTLS {
		if srvPEM, err = base64.StdEncoding.DecodeString(certB64); err != nil {
			return err
		}
		if tc, err = clientTLS(own, srvPEM); err != nil {
			return err
		}
	}
	cc, err := DialPlugin(sock, tc)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	fmt.Printf("listening %s %d\n", ln.Addr(), cmd.Process.Pid)
	f := NewFront(cc, Mode(os.Getenv(envMode)))
	if os.Getenv(envNDJSON) == "1" {
		f.NDJSON()
	}
	return ListenFront(context.Background(), ln, f)
}
