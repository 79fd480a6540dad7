package host

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/cenkalti/backoff/v5"

	"github.com/roundhouse-ai/roundhouse/sdk"
	"github.com/roundhouse-ai/roundhouse/sdk/manifest"
	"github.com/roundhouse-ai/roundhouse/sdk/pluginhost"
)

// State is a plugin's lifecycle state.
type State string

// Plugin states.
const (
	StateStopped    State = "stopped"    // not started (lazy) or stopped
	StateStarting   State = "starting"   // process launching, handshake, configure
	StateRunning    State = "running"    // serving
	StateRestarting State = "restarting" // died; waiting out the backoff
	StateDisabled   State = "disabled"   // turned off in the config
	StateInvalid    State = "invalid"    // manifest or binary unusable
	// StateMissingDependency: a platform dependency (manifest
	// platforms.*.dependencies) is not installed. Nothing runs; every
	// start (lazy, restart, eager) checks again, so installing it is enough.
	StateMissingDependency State = "missing_dependency"
)

// Backoff bounds for restarting a plugin that died.
const (
	restartBackoffMin = 200 * time.Millisecond
	restartBackoffMax = 30 * time.Second
	// A plugin that ran this long is considered healthy again: its next
	// crash restarts at the minimum backoff. (A crash loop dies within
	// seconds; a plugin killed now and then must not creep towards the
	// maximum, as make soak showed with a kill a minute.)
	restartStableAfter = 30 * time.Second
	exitPollInterval   = 25 * time.Millisecond
	// restartWaitMax is how long a call waits for a restarting plugin
	// before it is answered plugin_unavailable.
	restartWaitMax = time.Second
	// healthTimeout bounds one health check.
	healthTimeout = 5 * time.Second
)

// unavailable is the error for a call to a plugin that is down right now.
func unavailable(name string, retryAfter time.Duration) error {
	return &sdk.Error{Code: sdk.CodePluginUnavailable, Retryable: true, RetryAfter: retryAfter.Round(time.Second),
		Message: fmt.Sprintf("plugin %s is restarting; retry in %s", name, retryAfter.Round(time.Second))}
}

// launchFunc starts a plugin process; tests swap it.
type launchFunc func(ctx context.Context, cfg pluginhost.LaunchConfig) (*pluginhost.Process, error)

// Plugin is one supervised plugin: its manifest, its process and its
// state. It restarts the process with exponential backoff when it dies.
type Plugin struct {
	name     string
	manifest *manifest.Manifest
	cand     Candidate
	log      *slog.Logger
	launch   launchFunc
	config   func() *sdk.Config
	// refused is told when the plugin refuses its configuration at start;
	// it reports whether it set the offending part aside (try again).
	refused func(sent *sdk.Config, err error) bool
	env     []string
	stderr  io.Writer
	health  time.Duration
	// plain skips TLS on the plugin's socket (config plain_plugin_socket).
	plain bool
	// onHealth is told whether each health answer says serving (the
	// dispatcher's health scores); nil in tests.
	onHealth func(serving bool)
	// maxHealthFails unanswered health checks in a row mean the plugin
	// hangs: it is killed, and restarted like a crashed one.
	maxHealthFails int

	mu        sync.Mutex
	state     State
	proc      *pluginhost.Process
	info      *sdk.Info
	lastHlth  *sdk.Health
	restarts  int
	lastErr   string
	startedAt time.Time
	// restartAt is when a restarting plugin's backoff ends.
	restartAt time.Time
	// healthFails counts health checks in a row that got no answer;
	// checking is set while one runs, so a hung plugin does not pile
	// them up.
	healthFails int
	checking    bool
	hung        *pluginhost.Process
	// procDead is closed when the current process is seen dead (or is
	// stopped): waitDead waits on it instead of polling.
	procDead chan struct{}
	// changed is closed and replaced at every state change, waking
	// everyone waiting in Conn.
	changed chan struct{}
	// startFailures counts consecutive failed start attempts; while it is
	// non-zero callers get the start error instead of waiting.
	startFailures int
	stopping      bool
	// closed plugins never start again (host shutdown).
	closed bool
	// life is cancelled by Stop; it ends the monitor and any restart wait.
	life   context.Context
	cancel context.CancelFunc

	// deps are the platform's dependencies as last checked (under mu).
	deps []PluginDependency

	// fingerprint and envKey identify what this Plugin runs; Apply
	// replaces the Plugin when either changes.
	fingerprint string
	envKey      string
	// reloadErr says why the last reload could not use the plugin's new
	// manifest or binary (this version keeps serving); under mu.
	reloadErr string
}

// Name is the plugin's name.
func (p *Plugin) Name() string { return p.name }

// Manifest is the plugin's manifest (nil for an unreadable one).
func (p *Plugin) Manifest() *manifest.Manifest { return p.manifest }

// State is the plugin's lifecycle state (cheaper than Status).
func (p *Plugin) State() State {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.state
}

// IsLocal reports whether the plugin manages a local engine.
func (p *Plugin) IsLocal() bool {
	return p.manifest != nil && p.manifest.Provider.Type == sdk.ProviderLocal
}

// Status returns a snapshot.
func (p *Plugin) Status() PluginStatus {
	p.mu.Lock()
	defer p.mu.Unlock()
	s := PluginStatus{Name: p.name, State: string(p.state), Restarts: p.restarts, LastError: p.lastErr, Dir: p.cand.Dir, Health: p.lastHlth}
	if m := p.manifest; m != nil {
		s.DisplayName = m.Provider.DisplayName
		s.Type = string(m.Provider.Type)
		s.Version = m.Provider.Version
		s.Services = m.ListServiceNames()
	}
	if p.proc != nil && p.state == StateRunning {
		s.PID = p.proc.Pid()
		t := p.startedAt
		s.StartedAt = &t
	}
	if p.info != nil {
		s.EngineMode, s.EngineHost, s.Compute, s.Details = p.info.EngineMode, p.info.EngineHost, p.info.Compute, p.info.Details
	}
	if g := p.cand.GPU; g != nil {
		c := *g
		s.GPU = &c
	}
	s.Dependencies = p.deps
	return s
}

// checkDependencies looks for the manifest's dependencies on this
// platform (outside p.mu: it searches PATH). The error names each missing
// one and how to install it.
func (p *Plugin) checkDependencies() ([]PluginDependency, error) {
	if p.manifest == nil {
		return nil, nil
	}
	checks, err := p.manifest.CheckDependencies(runtime.GOOS, runtime.GOARCH)
	var deps []PluginDependency
	for _, c := range checks {
		d := PluginDependency{Kind: "command", Name: c.Name(), Found: c.Found, Install: c.Install}
		if c.Command == "" {
			d.Kind = "file"
		}
		deps = append(deps, d)
	}
	return deps, err
}

// initDependencies puts a new, startable plugin in StateMissingDependency
// when a dependency is missing, so the plugin list shows it before any
// start.
func (p *Plugin) initDependencies() {
	if p.state != StateStopped {
		return
	}
	deps, err := p.checkDependencies()
	p.deps = deps
	if err != nil {
		p.state = StateMissingDependency
		p.lastErr = err.Error()
	}
}

// ConnIfRunning returns the connection of a plugin that runs now, without
// starting a stopped one: listings (GET routes) must not start plugins
// and engines as a side effect, which any web page could trigger.
func (p *Plugin) ConnIfRunning() (*pluginhost.Conn, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.state != StateRunning || p.proc == nil || p.proc.Exited() {
		return nil, false
	}
	return p.proc.Conn(), true
}

// Start launches the plugin unless it runs already, and returns without
// waiting; use Conn to wait for it. It checks the dependencies first: a
// missing one leaves the plugin in StateMissingDependency.
func (p *Plugin) Start() {
	p.mu.Lock()
	startable := (p.state == StateStopped || p.state == StateMissingDependency) && !p.closed
	p.mu.Unlock()
	if !startable {
		return
	}
	deps, derr := p.checkDependencies()
	p.mu.Lock()
	defer p.mu.Unlock()
	if (p.state != StateStopped && p.state != StateMissingDependency) || p.closed {
		return
	}
	p.deps = deps
	if derr != nil {
		p.lastErr = derr.Error()
		if p.state != StateMissingDependency {
			p.setStateLocked(StateMissingDependency)
			p.log.Error("plugin not started", "plugin", p.name, "error", derr)
		}
		return
	}
	if p.state == StateMissingDependency {
		p.lastErr = "" // installed since
	}
	p.stopping = false
	p.life, p.cancel = context.WithCancel(context.Background())
	p.setStateLocked(StateStarting)
	go p.run(p.life)
}

// setStateLocked changes the state and wakes waiters.
func (p *Plugin) setStateLocked(s State) {
	p.state = s
	if p.changed != nil {
		close(p.changed)
	}
	p.changed = make(chan struct{})
}

// Conn returns a connection to the running plugin, starting it first when
// it is stopped (lazy start) and waiting while it starts or restarts after
// a crash. A plugin that fails to start yields its start error at once.
func (p *Plugin) Conn(ctx context.Context) (*pluginhost.Conn, error) {
	for {
		p.mu.Lock()
		if p.changed == nil {
			p.changed = make(chan struct{})
		}
		state, changed, lastErr := p.state, p.changed, p.lastErr
		switch state {
		case StateRunning:
			// proc is nil from the moment the process is seen dead until
			// the restart loop moves the state on: wait for that.
			if p.proc != nil && !p.proc.Exited() {
				c := p.proc.Conn()
				p.mu.Unlock()
				return c, nil
			}
			// Died; the monitor notices within exitPollInterval.
		case StateDisabled:
			p.mu.Unlock()
			return nil, sdk.Errorf(sdk.CodeServiceUnavailable, "plugin %s is disabled; enable it with POST /v1/plugins/%s/enable (roundhouse plugins enable %s)", p.name, p.name, p.name)
		case StateInvalid:
			p.mu.Unlock()
			return nil, sdk.Errorf(sdk.CodePluginStartFailed, "plugin %s cannot run: %s", p.name, lastErr)
		case StateMissingDependency:
			p.mu.Unlock()
			p.Start() // checks again: it may have been installed since
			p.mu.Lock()
			state, lastErr = p.state, p.lastErr
			p.mu.Unlock()
			if state == StateMissingDependency {
				return nil, sdk.Errorf(sdk.CodePluginStartFailed, "%s", lastErr)
			}
			continue
		case StateStopped:
			closed := p.closed
			p.mu.Unlock()
			if closed {
				return nil, sdk.Errorf(sdk.CodeUnavailable, "the host is shutting down")
			}
			p.Start()
			continue
		case StateStarting, StateRestarting:
			if p.startFailures > 0 {
				p.mu.Unlock()
				return nil, &sdk.Error{Code: sdk.CodePluginStartFailed, Retryable: true, RetryAfter: max(time.Until(p.restartAt), time.Second),
					Message: fmt.Sprintf("plugin %s failed to start (%d attempts, retrying): %s", p.name, p.startFailures, lastErr)}
			}
			// A restart right after a crash is worth waiting for (the
			// call then goes to the new process); a long backoff is not:
			// say when to come back instead of holding the caller.
			if wait := time.Until(p.restartAt); state == StateRestarting && wait > restartWaitMax {
				p.mu.Unlock()
				return nil, unavailable(p.name, wait+time.Second)
			}
		}
		p.mu.Unlock()
		wait := time.NewTimer(exitPollInterval)
		select {
		case <-changed:
		case <-wait.C:
		case <-ctx.Done():
			wait.Stop()
			return nil, sdk.WrapError(sdk.CodeTimeout, ctx.Err(), "waiting for plugin %s to start", p.name)
		}
		wait.Stop()
	}
}

// run launches the process and restarts it whenever it dies, until Stop.
func (p *Plugin) run(life context.Context) {
	// Exponential with jitter, so plugins that died together (an engine
	// crash, a host resume) do not all restart in the same instant.
	bo := backoff.NewExponentialBackOff()
	bo.InitialInterval, bo.MaxInterval, bo.Multiplier, bo.RandomizationFactor = restartBackoffMin, restartBackoffMax, 2, 0.2
	bo.Reset()
	for {
		err := p.startOnce(life)
		if ue := (*unusableError)(nil); errors.As(err, &ue) {
			return // invalid: a restart would fail the same way
		}
		if err == nil {
			started := time.Now()
			p.waitExit(life)
			if life.Err() != nil {
				return
			}
			if time.Since(started) > restartStableAfter {
				bo.Reset()
			}
		} else if life.Err() != nil {
			return
		}
		p.mu.Lock()
		if p.stopping {
			p.mu.Unlock()
			return
		}
		wait := bo.NextBackOff()
		p.restarts++
		p.restartAt = time.Now().Add(wait)
		p.setStateLocked(StateRestarting)
		p.mu.Unlock()
		p.log.Warn("plugin exited; restarting", "plugin", p.name, "backoff", wait, "error", p.lastError())
		select {
		case <-time.After(wait):
		case <-life.Done():
			return
		}
		p.mu.Lock()
		if !p.stopping {
			p.setStateLocked(StateStarting)
		}
		p.mu.Unlock()
	}
}

func (p *Plugin) lastError() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.lastErr
}

// startOnce launches, configures and introspects the plugin. On failure the
// process is killed and lastErr says why.
func (p *Plugin) startOnce(life context.Context) error {
	ctx, cancel := context.WithTimeout(life, 30*time.Second)
	defer cancel()
	// A plugin started by hand in debug mode (sdk.WithDebug) is attached
	// to instead of launched when ROUNDHOUSE_PLUGIN_REATTACH names it.
	reattach, rerr := pluginhost.ReattachFromEnv(p.name)
	if rerr != nil {
		p.log.Warn("ignoring "+pluginhost.ReattachEnv, "error", rerr)
	} else if reattach != nil {
		p.log.Info("attaching to a plugin in debug mode", "pid", reattach.Pid)
	}
	proc, err := p.launch(ctx, pluginhost.LaunchConfig{
		Reattach:   reattach,
		Name:       p.name,
		Executable: p.cand.Executable,
		SHA256:     p.cand.SHA256,
		Env:        p.env,
		Dir:        p.cand.Dir,
		Logger:     p.log,
		Stderr:     p.stderr,
		NoTLS:      p.plain,
	})
	if err == nil {
		err = p.configure(ctx, proc)
		if err != nil {
			proc.Kill()
		}
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.stopping || p.life != life {
		// Stop raced with the start (and a restart may already run a new
		// start): this attempt's outcome belongs to nobody. It must not
		// count as a failure of the new start, nor install its process.
		if err == nil {
			go proc.Kill()
		}
		return context.Canceled
	}
	if err != nil {
		p.lastErr = err.Error()
		p.startFailures++
		p.log.Error("plugin failed to start", "plugin", p.name, "error", err)
		if ue := (*unusableError)(nil); errors.As(err, &ue) {
			p.setStateLocked(StateInvalid)
		}
		return err
	}
	p.proc = proc
	p.procDead = make(chan struct{})
	p.startFailures = 0
	p.startedAt = time.Now()
	p.setStateLocked(StateRunning)
	p.log.Info("plugin running", "plugin", p.name, "pid", proc.Pid())
	return nil
}

func (p *Plugin) configure(ctx context.Context, proc *pluginhost.Process) error {
	conn := proc.Conn()
	for {
		cfg := p.config()
		err := conn.Configure(ctx, cfg)
		if err == nil {
			break
		}
		// A saved provider the plugin refuses is set aside rather than
		// failing every start: each retry drops one, so this ends.
		if p.refused == nil || !p.refused(cfg, err) {
			return fmt.Errorf("configure: %w", err)
		}
	}
	info, err := conn.Info(ctx)
	if err != nil {
		return fmt.Errorf("info: %w", err)
	}
	if err := checkImplemented(p.manifest, info); err != nil {
		return err
	}
	p.mu.Lock()
	p.info = info
	p.mu.Unlock()
	return nil
}

// unusableError is a start failure that starting again cannot fix (the
// binary lacks what its manifest promises): the plugin becomes invalid
// instead of being restarted.
type unusableError struct{ msg string }

func (e *unusableError) Error() string { return e.msg }

// checkImplemented compares the services the manifest declares with those
// the plugin's code has methods for (Info.Implemented, filled in by the
// SDK's Serve), so a missing method fails the start with its name instead
// of failing the first call with "unimplemented". A plugin that does not
// report (an SDK that predates Implemented) is not checked.
func checkImplemented(m *manifest.Manifest, info *sdk.Info) error {
	if m == nil || info == nil || info.Implemented == nil {
		return nil
	}
	var missing []string
	for _, name := range m.ListServiceNames() {
		if !slices.Contains(info.Implemented, name) {
			missing = append(missing, fmt.Sprintf("manifest declares %s but the plugin implements %s", name, pluginhost.MissingMethods(name)))
		}
	}
	if len(missing) == 0 {
		return nil
	}
	has := "no service"
	if len(info.Implemented) > 0 {
		has = strings.Join(info.Implemented, ", ")
	}
	return &unusableError{msg: strings.Join(missing, "; ") + " (it implements " + has +
		"; check the method's name and signature against the sdk's service interfaces)"}
}

// Reconfigure sends the current configuration to a running plugin (hot
// update); a stopped plugin gets it when it starts.
func (p *Plugin) Reconfigure(ctx context.Context) error {
	p.mu.Lock()
	running := p.state == StateRunning && p.proc != nil
	var conn *pluginhost.Conn
	if running {
		conn = p.proc.Conn()
	}
	p.mu.Unlock()
	if !running {
		return nil
	}
	return conn.Configure(ctx, p.config())
}

// waitExit returns when the process exits or life ends, checking health
// on the way.
func (p *Plugin) waitExit(life context.Context) {
	p.mu.Lock()
	proc := p.proc
	p.mu.Unlock()
	tick := time.NewTicker(exitPollInterval)
	defer tick.Stop()
	nextHealth := time.Now()
	for {
		select {
		case <-life.Done():
			return
		case <-tick.C:
		}
		if proc.Exited() {
			p.mu.Lock()
			if p.lastErr == "" || !p.hungKilled(proc) {
				p.lastErr = "plugin process exited unexpectedly"
			}
			p.proc = nil
			p.closeDeadLocked()
			p.healthFails = 0
			p.mu.Unlock()
			// The process is gone, but its client still holds a gRPC
			// connection and goroutines; Kill releases them.
			go proc.Kill()
			return
		}
		if p.health > 0 && time.Now().After(nextHealth) {
			nextHealth = time.Now().Add(p.health)
			go p.checkHealth(life, proc)
		}
	}
}

// checkHealth asks the plugin how it is. A plugin that answers "not
// serving" is degraded (its engine may be down) and stays; one that does
// not answer maxHealthFails times in a row hangs (a deadlock, SIGSTOP, a
// stuck call holding every worker) and is killed, so the supervisor
// restarts it like a crashed one.
func (p *Plugin) checkHealth(life context.Context, proc *pluginhost.Process) {
	p.mu.Lock()
	if p.checking {
		p.mu.Unlock()
		return
	}
	p.checking = true
	p.mu.Unlock()
	defer func() { p.mu.Lock(); p.checking = false; p.mu.Unlock() }()

	conn := proc.Conn()
	ctx, cancel := context.WithTimeout(life, healthTimeout)
	defer cancel()
	h, err := conn.Health(ctx)
	if err != nil {
		if life.Err() != nil || proc.Exited() {
			return
		}
		h = &sdk.Health{State: sdk.HealthNotServing, Message: "no answer to the health check: " + err.Error()}
		p.tellHealth(false)
		p.mu.Lock()
		p.lastHlth = h
		p.healthFails++
		fails := p.healthFails
		p.mu.Unlock()
		if p.maxHealthFails > 0 && fails >= p.maxHealthFails {
			p.log.Error("plugin does not answer health checks; killing it to restart it", "plugin", p.name, "unanswered", fails, "error", err)
			p.mu.Lock()
			p.lastErr = fmt.Sprintf("killed after %d unanswered health checks (hung)", fails)
			p.hung = proc
			p.mu.Unlock()
			proc.Abort()
		}
		return
	}
	info, ierr := conn.Info(ctx)
	p.tellHealth(h.State == sdk.HealthServing)
	p.mu.Lock()
	p.lastHlth = h
	p.healthFails = 0
	if ierr == nil {
		p.info = info
	}
	p.mu.Unlock()
}

func (p *Plugin) tellHealth(serving bool) {
	if p.onHealth != nil {
		p.onHealth(serving)
	}
}

// hungKilled reports whether proc is the process the health check killed
// for hanging (so its exit keeps that explanation).
func (p *Plugin) hungKilled(proc *pluginhost.Process) bool { return p.hung == proc }

// Degraded reports whether a running plugin's last health check found it
// not serving (or not answering).
func (p *Plugin) Degraded() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.state == StateRunning && p.lastHlth != nil && p.lastHlth.State != sdk.HealthServing
}

// CheckHealth asks the plugin now and returns its answer.
func (p *Plugin) CheckHealth(ctx context.Context) (*sdk.Health, error) {
	conn, err := p.Conn(ctx)
	if err != nil {
		return nil, err
	}
	h, err := conn.Health(ctx)
	if err == nil {
		p.mu.Lock()
		p.lastHlth = h
		p.mu.Unlock()
	}
	return h, err
}

// Stop stops the plugin: its in-flight calls are cancelled, its Shutdown
// runs (stopping engines it started), and it is killed after 2 s.
func (p *Plugin) Stop() {
	p.mu.Lock()
	if p.state == StateDisabled || p.state == StateInvalid || p.state == StateStopped {
		p.mu.Unlock()
		return
	}
	p.stopping = true
	proc := p.proc
	p.proc = nil
	p.closeDeadLocked()
	p.startFailures = 0
	p.setStateLocked(StateStopped)
	if p.cancel != nil {
		p.cancel()
	}
	p.mu.Unlock()
	if proc != nil {
		proc.Kill()
	}
}

// closeDeadLocked tells waitDead the current process is gone.
func (p *Plugin) closeDeadLocked() {
	if p.procDead != nil {
		close(p.procDead)
		p.procDead = nil
	}
}

// waitDead reports whether the plugin's process is gone, giving the
// monitor up to d to notice an exit that just happened. It waits on the
// monitor's event, and gives up early when ctx ends (the caller left).
func (p *Plugin) waitDead(ctx context.Context, d time.Duration) bool {
	p.mu.Lock()
	proc, dead := p.proc, p.procDead
	p.mu.Unlock()
	if proc == nil || dead == nil {
		return true
	}
	if proc.Exited() {
		return true
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-dead:
		return true
	case <-t.C:
		return proc.Exited()
	case <-ctx.Done():
		return proc.Exited()
	}
}

// notDelivered reports whether a call may have failed before reaching
// the plugin: a transport failure (the SDK marks a gRPC status that
// carries no project error detail), not an answer the plugin gave. Only
// then is it worth waiting for a restart and sending the call again.
func notDelivered(err error) bool {
	e := sdk.AsError(err)
	return e != nil && e.Transport && e.Code == sdk.CodeUnavailable
}

// Close stops the plugin for good: it will not start again.
func (p *Plugin) Close() {
	p.mu.Lock()
	p.closed = true
	p.mu.Unlock()
	p.Stop()
}

// crashedDuring turns a transport failure of a call into a clear error when
// the plugin died under it. An error the plugin itself answered (even
// "unavailable", on purpose: its engine is down) is passed on as it is.
func (p *Plugin) crashedDuring(ctx context.Context, err error) error {
	if err == nil {
		return nil
	}
	if e := sdk.AsError(err); e == nil || !e.Transport || (e.Code != sdk.CodeUnavailable) {
		return err
	}
	if !p.waitDead(ctx, time.Second) {
		// The connection broke but the process lives: the call failed in
		// transit; report it as the plugin being unavailable.
		return &sdk.Error{Code: sdk.CodeServiceUnavailable, Retryable: true, Transport: true,
			Message: fmt.Sprintf("plugin %s did not answer: %v", p.name, err), Err: err}
	}
	return &sdk.Error{Code: sdk.CodePluginCrashed, Retryable: true, Transport: true,
		Message: fmt.Sprintf("plugin %s exited during the call; it is being restarted, retry shortly", p.name),
		Err:     err}
}
