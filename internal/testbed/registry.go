package testbed

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/roundhouse-ai/roundhouse/internal/testbed/regfront"
)

// Registry is a docker-registry (distribution v2) on a private loopback port
// with a regfront.Front in front of it. Clients talk to the front only.
type Registry struct {
	front    *regfront.Server
	proc     *proc
	upstream string
	dir      string // storage root
	work     string // config + log, removed by Close
	ownsDir  bool
	users    map[string]string // htpasswd users, nil: open
}

// RegistryOptions configures StartRegistryWith.
type RegistryOptions struct {
	// Dir is the storage root. It persists across runs if given; empty means
	// a temporary directory removed by Close.
	Dir string
	// BytesPerSecond is the initial blob bandwidth limit (0 = unlimited).
	BytesPerSecond int64
	// Logf receives the front's per-request log lines (nil: silent).
	Logf func(format string, args ...any)
	// Bin overrides the docker-registry binary (default RegistryBinary()).
	Bin string
	// Users, when set, turns on distribution's htpasswd authentication
	// (HTTP Basic, bcrypt hashes) with these user → password pairs. The
	// front then runs with NoRedirect: a blob redirect to the other
	// loopback name would lose the credentials of whoever follows it, so
	// the authenticating client (sdk/engine/regauth) supplies the 307.
	Users map[string]string
	// NoRedirect turns the front's blob redirect off (see regfront).
	NoRedirect bool
}

// StartRegistry starts a registry storing under dir ("" for a temporary
// directory) and its front, both on free 127.0.0.1 ports. The processes live
// until Close or until ctx is cancelled.
func StartRegistry(ctx context.Context, dir string) (*Registry, error) {
	return StartRegistryWith(ctx, RegistryOptions{Dir: dir})
}

// StartRegistryWith is StartRegistry with options.
func StartRegistryWith(ctx context.Context, opts RegistryOptions) (_ *Registry, err error) {
	bin := opts.Bin
	if bin == "" {
		if bin, err = RegistryBinary(); err != nil {
			return nil, err
		}
	}
	r := &Registry{dir: opts.Dir, users: opts.Users}
	defer func() {
		if err != nil {
			r.Close()
		}
	}()
	if r.work, err = os.MkdirTemp("", "roundhouse-registry-"); err != nil {
		return nil, err
	}
	if r.dir == "" {
		r.dir = filepath.Join(r.work, "storage")
		r.ownsDir = true
	}
	if r.dir, err = filepath.Abs(r.dir); err != nil {
		return nil, err
	}
	if err = os.MkdirAll(r.dir, 0o755); err != nil {
		return nil, err
	}

	for attempt := 0; ; attempt++ {
		err = r.startUpstream(ctx, bin)
		if err == nil || attempt == 2 || ctx.Err() != nil {
			break
		}
	}
	if err != nil {
		return nil, err
	}
	r.front, err = regfront.Listen("127.0.0.1:0", r.upstream, regfront.Options{
		BytesPerSecond: opts.BytesPerSecond,
		Logf:           opts.Logf,
		NoRedirect:     opts.NoRedirect || len(opts.Users) > 0,
	})
	if err != nil {
		return nil, err
	}
	if err = waitHTTP(ctx, r.probeURL(r.front.Addr()), nil, "", 10*time.Second); err != nil {
		return nil, fmt.Errorf("testbed: registry front not answering: %w", err)
	}
	return r, nil
}

func (r *Registry) startUpstream(ctx context.Context, bin string) error {
	port, err := freeLoopbackPort()
	if err != nil {
		return err
	}
	addr := hostPort(port)
	// Loopback only; no debug/metrics listeners; no redirects; storage
	// health checks and upload purging off (several test processes may
	// share one storage directory read-only).
	cfg := fmt.Sprintf(`version: 0.1
log:
  level: info
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: %q
  delete:
    enabled: true
  redirect:
    disable: true
  maintenance:
    uploadpurging:
      enabled: false
http:
  addr: %s
  secret: roundhouse-testbed
health:
  storagedriver:
    enabled: false
`, r.dir, addr)
	if len(r.users) > 0 {
		htpasswd, err := r.writeHtpasswd()
		if err != nil {
			return err
		}
		cfg += fmt.Sprintf("auth:\n  htpasswd:\n    realm: roundhouse-testbed\n    path: %q\n", htpasswd)
	}
	cfgPath := filepath.Join(r.work, "config.yml")
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o644); err != nil {
		return err
	}
	logPath := filepath.Join(r.work, "registry.log")
	logf, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	defer logf.Close() // the child has its own copy
	p, err := startProc(ctx, baseEnv(), logf, bin, "serve", cfgPath)
	if err != nil {
		return err
	}
	url := r.probeURL(addr)
	if err := waitHTTP(ctx, url, p, logPath, 15*time.Second); err != nil {
		p.stop()
		return fmt.Errorf("testbed: docker-registry on %s: %w\n%s", addr, err, tailFile(logPath, 2000))
	}
	r.proc = p
	r.upstream = "http://" + addr
	return nil
}

// probeURL is the /v2/ URL that answers 200 when the registry is up:
// with a user's credentials when authentication is on.
func (r *Registry) probeURL(addr string) string {
	for u, p := range r.users {
		return "http://" + url.UserPassword(u, p).String() + "@" + addr + "/v2/"
	}
	return "http://" + addr + "/v2/"
}

// writeHtpasswd writes the users' bcrypt hashes in htpasswd format.
func (r *Registry) writeHtpasswd() (string, error) {
	var b strings.Builder
	for u, p := range r.users {
		if strings.ContainsAny(u, ":\n") {
			return "", fmt.Errorf("testbed: htpasswd user %q", u)
		}
		hash, err := bcrypt.GenerateFromPassword([]byte(p), bcrypt.MinCost)
		if err != nil {
			return "", err
		}
		fmt.Fprintf(&b, "%s:%s\n", u, hash)
	}
	path := filepath.Join(r.work, "htpasswd")
	return path, os.WriteFile(path, []byte(b.String()), 0o600)
}

// Addr is the front's address, "127.0.0.1:PORT": use it in model names
// ("127.0.0.1:PORT/library/tiny:latest") and pull with insecure: true.
func (r *Registry) Addr() string { return r.front.Addr() }

// URL is "http://" + Addr().
func (r *Registry) URL() string { return "http://" + r.front.Addr() }

// Ref returns "<Addr>/library/<name>:latest" (name may carry its own tag).
func (r *Registry) Ref(name string) string {
	if !strings.Contains(name, ":") {
		name += ":latest"
	}
	if !strings.Contains(name, "/") {
		name = "library/" + name
	}
	return r.Addr() + "/" + name
}

// UpstreamURL is the registry itself, bypassing the front (no redirects, no throttling).
func (r *Registry) UpstreamURL() string { return r.upstream }

// Dir is the storage root.
func (r *Registry) Dir() string { return r.dir }

// SetRate limits blob downloads through the front to bytesPerSecond in
// total (<= 0: unlimited). It takes effect immediately.
func (r *Registry) SetRate(bytesPerSecond int64) { r.front.SetRate(bytesPerSecond) }

// Stats returns the front's counters (redirects, blob bytes served, ...).
func (r *Registry) Stats() regfront.Stats { return r.front.Stats() }

// Logs returns the tail of docker-registry's log.
func (r *Registry) Logs() string { return tailFile(filepath.Join(r.work, "registry.log"), 16<<10) }

// Close stops the front and kills the registry's process group. Temporary
// storage is removed; a caller-provided Dir is kept. Safe to call twice.
func (r *Registry) Close() error {
	if r.front != nil {
		r.front.Close()
	}
	if r.proc != nil {
		r.proc.stop()
	}
	if r.work != "" {
		os.RemoveAll(r.work)
	}
	return nil
}

// waitHTTP polls url until it answers 200, the process exits, or the timeout.
// With p, the process must also have logged "listening on <url's host>" to
// logPath: proof that the answer came from it and not from another process
// that grabbed the port first (free ports are picked by listen-and-close).
func waitHTTP(ctx context.Context, url string, p *proc, logPath string, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	client := &http.Client{Timeout: 2 * time.Second}
	var last error
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		resp, err := client.Do(req)
		if err == nil {
			resp.Body.Close()
			switch {
			case resp.StatusCode != http.StatusOK:
				err = fmt.Errorf("GET %s: %s", url, resp.Status)
			case p == nil || loggedListening(logPath, req.URL.Host):
				return nil
			default:
				err = fmt.Errorf("GET %s answered, but the process has not logged %q", url, "listening on "+req.URL.Host)
			}
		}
		last = err
		if p != nil && p.exited() {
			return errExited
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%w (last error: %v)", ctx.Err(), last)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// loggedListening reports whether the log mentions "listening on <hostport>"
// (docker-registry and ollama serve both log this, in different cases).
func loggedListening(logPath, hostport string) bool {
	b, err := os.ReadFile(logPath)
	return err == nil && strings.Contains(strings.ToLower(string(b)), "listening on "+strings.ToLower(hostport))
}
