package pluginhost

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"time"

	"github.com/hashicorp/go-plugin"

	"github.com/roundhouse-ai/roundhouse/internal/rpc"
	"github.com/roundhouse-ai/roundhouse/types"
)

// maxSocketPath is the shortest unix socket path limit among supported
// systems (104 bytes on macOS, 108 on Linux), minus room for go-plugin's
// "plugin-dir1234567890/plugin1234567890" suffix.
const maxSocketPath = 104 - 40

// LaunchConfig says how to start a plugin process. Hosts and the sdktest
// suite use it; plugin authors never need it.
type LaunchConfig struct {
	// Name labels the plugin's log lines.
	Name       string
	Executable string
	Args       []string
	// Env is the plugin's whole environment: the host's own environment is
	// NOT inherited, so host secrets never leak into plugins.
	Env []string
	Dir string
	// SHA256 of Executable (hex). When set, a mismatching binary is refused.
	SHA256 string
	Logger *slog.Logger
	// SocketDir is where unix sockets go; it must be short (see
	// DefaultSocketDir).
	SocketDir string
	// StartTimeout bounds the handshake (default 10 s).
	StartTimeout time.Duration
	// Stderr receives a raw copy of the plugin's stderr, if set.
	Stderr io.Writer
	// NoTLS talks to the plugin without TLS on its unix socket (AutoMTLS
	// is on otherwise). The socket is in a private 0700 directory and
	// SHA256 is still checked; see the host's plain_plugin_socket.
	NoTLS bool
	// Reattach, when set, attaches to a plugin already running in debug
	// mode (sdk.WithDebug) instead of starting Executable; Executable,
	// Args, Env, Dir, SHA256 and Stderr are then unused.
	Reattach *Reattach
}

// Process is a running plugin.
type Process struct {
	client   *plugin.Client
	conn     *Conn
	pid      int
	attached bool // reattached to a debug-mode plugin the host did not start
	calls    *inflight
}

// Conn is the typed connection to the plugin.
func (p *Process) Conn() *Conn { return p.conn }

// Pid is the plugin's process id.
func (p *Process) Pid() int { return p.pid }

// Exited reports whether the process has exited.
func (p *Process) Exited() bool { return p.client.Exited() }

// Kill asks the plugin to stop (its in-flight calls are cancelled and its
// Shutdown runs), and kills it if it has not exited after 2 s.
func (p *Process) Kill() { p.client.Kill() }

// Abort kills a plugin that no longer answers (hung, stopped): SIGKILL at
// once, without the graceful shutdown Kill tries first (which waits on an
// RPC a hung plugin never answers), then releases the connection.
func (p *Process) Abort() {
	if p.attached { // not ours to kill: release the connection only
		p.client.Kill()
		return
	}
	if proc, err := os.FindProcess(p.pid); err == nil {
		_ = proc.Kill()
	}
	p.client.Kill()
}

// CleanupProcesses kills every plugin process this process launched. Hosts
// defer it in main, so no plugin outlives a host that exits normally.
func CleanupProcesses() { plugin.CleanupClients() }

// DefaultSocketDir returns a short private (0700) directory for plugin
// sockets, so socket paths stay under the unix path length limit even when
// TMPDIR is long.
func DefaultSocketDir() (string, error) {
	base := os.TempDir()
	if len(base) > 40 {
		base = "/tmp"
	}
	dir := filepath.Join(base, fmt.Sprintf("rh-%d", os.Getuid()))
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", err
	}
	if err := os.Chmod(dir, 0o700); err != nil {
		return "", err
	}
	return dir, nil
}

// Launch starts a plugin process and completes the handshake. It fails
// with a *Error of code CodePluginStartFailed, naming what went wrong.
func Launch(ctx context.Context, cfg LaunchConfig) (*Process, error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.StartTimeout == 0 {
		cfg.StartTimeout = 10 * time.Second
	}
	if cfg.SocketDir == "" {
		d, err := DefaultSocketDir()
		if err != nil {
			return nil, types.WrapError(types.CodePluginStartFailed, err, "plugin %s: socket dir", cfg.Name)
		}
		cfg.SocketDir = d
	}
	if len(cfg.SocketDir) > maxSocketPath {
		return nil, types.Errorf(types.CodePluginStartFailed,
			"plugin %s: socket dir %q is too long for unix sockets (%d > %d bytes); set a shorter one",
			cfg.Name, cfg.SocketDir, len(cfg.SocketDir), maxSocketPath)
	}
	cmd := exec.Command(cfg.Executable, cfg.Args...)
	cmd.Env = cfg.Env
	cmd.Dir = cfg.Dir
	cmd.SysProcAttr = childSysProcAttr()

	stderr := cfg.Stderr
	if stderr == nil {
		stderr = io.Discard
	}
	pc := &plugin.ClientConfig{
		HandshakeConfig:  rpc.Handshake,
		Plugins:          plugin.PluginSet{rpc.PluginName: &hostPlugin{}},
		Cmd:              cmd,
		AllowedProtocols: []plugin.Protocol{plugin.ProtocolGRPC},
		Managed:          true,
		AutoMTLS:         !cfg.NoTLS,
		SkipHostEnv:      true,
		StartTimeout:     cfg.StartTimeout,
		Logger:           newSlogHCLog(cfg.Logger, cfg.Name),
		Stderr:           stderr,
		UnixSocketConfig: &plugin.UnixSocketConfig{TempDir: cfg.SocketDir},
		// Long JSON log lines (a request dump) stay one entry.
		PluginLogBufferSize: 1 << 20,
	}
	calls := newInflight()
	// Transport tuning (windows, buffers), then the request id of each
	// call as gRPC metadata and the in-flight count the host drains on
	// (one interceptor).
	pc.GRPCDialOptions = append(rpc.DialOptions(), calls.dialOptions()...)
	if cfg.SHA256 != "" {
		sum, err := hex.DecodeString(cfg.SHA256)
		if err != nil || len(sum) != sha256.Size {
			return nil, types.Errorf(types.CodePluginStartFailed, "plugin %s: sha256 %q is not 64 hex digits", cfg.Name, cfg.SHA256)
		}
		pc.SecureConfig = &plugin.SecureConfig{Checksum: sum, Hash: sha256.New()}
	}

	if cfg.Reattach != nil {
		rc, err := cfg.Reattach.config()
		if err != nil {
			return nil, types.WrapError(types.CodePluginStartFailed, err, "plugin %s: reattach", cfg.Name)
		}
		pc.Cmd, pc.SecureConfig, pc.Reattach = nil, nil, rc
	}

	client := plugin.NewClient(pc)
	type result struct {
		proc *Process
		err  error
	}
	done := make(chan result, 1)
	go func() {
		rpcClient, err := client.Client()
		if err != nil {
			done <- result{err: err}
			return
		}
		raw, err := rpcClient.Dispense(rpc.PluginName)
		if err != nil {
			done <- result{err: err}
			return
		}
		pid := 0
		if rc := client.ReattachConfig(); rc != nil {
			pid = rc.Pid
		}
		done <- result{proc: &Process{client: client, conn: raw.(*Conn), pid: pid, attached: cfg.Reattach != nil, calls: calls}}
	}()
	select {
	case r := <-done:
		if r.err != nil {
			client.Kill()
			return nil, types.WrapError(types.CodePluginStartFailed, r.err, "plugin %s: start %s", cfg.Name, cfg.Executable)
		}
		return r.proc, nil
	case <-ctx.Done():
		client.Kill()
		return nil, types.WrapError(types.CodePluginStartFailed, ctx.Err(), "plugin %s: start cancelled", cfg.Name)
	}
}
