package testbed

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/ollama/ollama/api"
)

// Ollama is an `ollama serve` on a free 127.0.0.1 port, in its own process
// group (its runner subprocesses included).
type Ollama struct {
	bin       string
	host      string // 127.0.0.1:PORT
	modelsDir string
	work      string // HOME + log, removed by Close
	proc      *proc
}

// OllamaOptions configures StartOllamaWith.
type OllamaOptions struct {
	// Bin is the ollama binary (default OllamaBinary()).
	Bin string
	// ModelsDir is OLLAMA_MODELS; empty means a temporary directory
	// removed by Close.
	ModelsDir string
	// Env is appended to the server's environment (e.g. "OLLAMA_DEBUG=1").
	// Inherited OLLAMA_* variables are always dropped first.
	Env []string
	// StartTimeout bounds the wait for /api/version (default 60s).
	StartTimeout time.Duration
}

// StartOllama starts `bin serve` with OLLAMA_MODELS=modelsDir ("" for a
// temporary directory) and waits until /api/version answers. The server
// lives until Close or until ctx is cancelled.
func StartOllama(ctx context.Context, bin, modelsDir string) (*Ollama, error) {
	return StartOllamaWith(ctx, OllamaOptions{Bin: bin, ModelsDir: modelsDir})
}

// StartOllamaWith is StartOllama with options.
func StartOllamaWith(ctx context.Context, opts OllamaOptions) (_ *Ollama, err error) {
	if opts.Bin == "" {
		if opts.Bin, err = OllamaBinary(); err != nil {
			return nil, err
		}
	}
	if opts.StartTimeout == 0 {
		opts.StartTimeout = 60 * time.Second
	}
	o := &Ollama{bin: opts.Bin, modelsDir: opts.ModelsDir}
	defer func() {
		if err != nil {
			o.Close()
		}
	}()
	if o.work, err = os.MkdirTemp("", "roundhouse-ollama-"); err != nil {
		return nil, err
	}
	if o.modelsDir == "" {
		o.modelsDir = filepath.Join(o.work, "models")
	}
	if o.modelsDir, err = filepath.Abs(o.modelsDir); err != nil {
		return nil, err
	}
	home := filepath.Join(o.work, "home")
	for _, d := range []string{o.modelsDir, home} {
		if err = os.MkdirAll(d, 0o755); err != nil {
			return nil, err
		}
	}
	for attempt := 0; ; attempt++ {
		err = o.start(ctx, opts, home)
		if err == nil || attempt == 2 || ctx.Err() != nil {
			break
		}
	}
	return o, err
}

func (o *Ollama) start(ctx context.Context, opts OllamaOptions, home string) error {
	port, err := freeLoopbackPort()
	if err != nil {
		return err
	}
	o.host = hostPort(port)
	env := append(baseEnv(),
		"HOME="+home, // keeps ~/.ollama (keys, history) out of the real home
		"OLLAMA_HOST="+o.host,
		"OLLAMA_MODELS="+o.modelsDir,
		"OLLAMA_NO_CLOUD=1",
		"OLLAMA_NOHISTORY=1",
		// OLLAMA_NOPRUNE stays unset: with it, a re-pull of a tag whose
		// blobs were removed is skipped.
	)
	env = append(env, opts.Env...)
	logf, err := os.OpenFile(o.LogPath(), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	defer logf.Close()
	fmt.Fprintf(logf, "=== testbed: %s serve on %s (models %s)\n", o.bin, o.host, o.modelsDir)
	p, err := startProc(ctx, env, logf, o.bin, "serve")
	if err != nil {
		return err
	}
	if err := waitHTTP(ctx, o.URL()+"/api/version", p, o.LogPath(), opts.StartTimeout); err != nil {
		p.stop()
		return fmt.Errorf("testbed: ollama serve on %s: %w\n%s", o.host, err, tailFile(o.LogPath(), 4000))
	}
	o.proc = p
	return nil
}

// URL is the server's base URL, "http://127.0.0.1:PORT".
func (o *Ollama) URL() string { return "http://" + o.host }

// Host is "127.0.0.1:PORT" (the OLLAMA_HOST value for CLI commands).
func (o *Ollama) Host() string { return o.host }

// ModelsDir is the server's OLLAMA_MODELS.
func (o *Ollama) ModelsDir() string { return o.modelsDir }

// Bin is the ollama binary the server runs.
func (o *Ollama) Bin() string { return o.bin }

// LogPath is the server's combined stdout/stderr (removed by Close).
func (o *Ollama) LogPath() string { return filepath.Join(o.work, "ollama.log") }

// Logs returns the tail of the server log.
func (o *Ollama) Logs() string { return tailFile(o.LogPath(), 16<<10) }

// Client returns an Ollama API client for this server.
func (o *Ollama) Client() *api.Client {
	u, _ := url.Parse(o.URL())
	return api.NewClient(u, http.DefaultClient)
}

// Command returns `ollama args...` as a CLI client of this server
// (OLLAMA_HOST set, private HOME), run in dir.
func (o *Ollama) Command(ctx context.Context, dir string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, o.bin, args...)
	cmd.Dir = dir
	cmd.Env = append(baseEnv(), "HOME="+filepath.Join(o.work, "home"), "OLLAMA_HOST="+o.host, "NO_COLOR=1", "TERM=dumb")
	cmd.WaitDelay = 5 * time.Second
	return cmd
}

// Run runs the CLI (see Command) and returns its combined output.
func (o *Ollama) Run(ctx context.Context, dir string, args ...string) (string, error) {
	out, err := o.Command(ctx, dir, args...).CombinedOutput()
	if err != nil {
		return string(out), fmt.Errorf("ollama %s: %w\n%s", strings.Join(args, " "), err, out)
	}
	return string(out), nil
}

// Create runs `ollama create name -f Modelfile` in modelDir (the directory
// holding the Modelfile and the GGUF it references).
func (o *Ollama) Create(ctx context.Context, name, modelDir string) error {
	_, err := o.Run(ctx, modelDir, "create", name, "-f", "Modelfile")
	return err
}

// Close kills the server's process group (runners included) and removes
// its temporary files. A caller-provided ModelsDir is kept. Safe to call twice.
func (o *Ollama) Close() error {
	if o.proc != nil {
		o.proc.stop()
	}
	if o.work != "" {
		os.RemoveAll(o.work)
	}
	return nil
}
