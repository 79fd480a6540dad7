package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/roundhouse-ai/roundhouse/sdk"
	"github.com/roundhouse-ai/roundhouse/sdk/engine"
)

// probe is the engine's health: GET /v2/health/ready must answer 200 (the
// KServe server-ready API, docs/model_server_rest_api_kfs.md) and
// GET /v1/config must answer the models' statuses: the first says the
// server is up, the second that its model manager read config.json.
func (p *plugin) probe(ctx context.Context, s settings) error {
	for _, path := range []string{"/v2/health/ready", "/v1/config"} {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+s.hostPort+path, nil)
		if err != nil {
			return err
		}
		resp, err := p.http.Do(req)
		if err != nil {
			return sdk.Errorf(sdk.CodeEngineUnavailable, "ovms at %s does not answer: %v", s.hostPort, err)
		}
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return sdk.Errorf(sdk.CodeEngineUnavailable, "ovms at %s answers %s with HTTP %d", s.hostPort, path, resp.StatusCode)
		}
	}
	return nil
}

// ensureEngine returns once an OVMS answers: the running managed one, an
// attached one, or a managed one it starts now.
func (p *plugin) ensureEngine(ctx context.Context) (settings, error) {
	s, reg, err := p.snapshot()
	if err != nil {
		return s, err
	}
	// Fast path, without startMu: the engine in use. A request to an
	// attached OVMS that has gone fails on its own; Health probes it.
	p.mu.Lock()
	sup, attached := p.sup, p.attached
	p.mu.Unlock()
	if sup != nil && !sup.Finished() {
		return s, sup.WaitReady(ctx)
	}
	if attached {
		return s, nil
	}
	p.startMu.Lock()
	defer p.startMu.Unlock()
	p.mu.Lock()
	sup = p.sup
	p.mu.Unlock()
	if sup != nil && !sup.Finished() { // started while we waited
		return s, sup.WaitReady(ctx)
	}
	if s.manage != "true" {
		pctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		err := p.probe(pctx, s)
		cancel()
		if err == nil {
			p.mu.Lock()
			p.attached = true
			p.mu.Unlock()
			return s, nil
		}
		if s.manage == "false" {
			return s, sdk.Errorf(sdk.CodeEngineUnavailable, "no OVMS answers at %s and manage_engine is false: start OVMS there (ovms --rest_port %s --config_path ...) or set manage_engine to auto",
				s.hostPort, portOf(s.hostPort))
		}
	}
	if err := reg.ensure(); err != nil {
		return s, sdk.WrapError(sdk.CodeEngineStartFailed, err, "create %s", s.configPath)
	}
	exe, err := p.executable(ctx, s)
	if err != nil {
		return s, err
	}
	grpcPort := s.grpcPort
	if grpcPort == 0 {
		if grpcPort, err = freePort(); err != nil {
			return s, sdk.WrapError(sdk.CodeEngineStartFailed, err, "find a free port for ovms's gRPC server")
		}
	}
	if err := os.MkdirAll(s.repoDir, 0o755); err != nil {
		return s, sdk.WrapError(sdk.CodeEngineStartFailed, err, "create the model repository %s", s.repoDir)
	}
	pidFile := filepath.Join(s.dataDir, "ovms.pid")
	if rec, reaped, err := engine.ReapLeftover(ctx, pidFile, s.hostPort, 5*time.Second); err != nil {
		p.log.Warn("could not stop a leftover ovms", "pid", rec.PID, "err", err)
	} else if reaped {
		p.log.Info("stopped the ovms a previous run left behind", "pid", rec.PID)
	}
	// The port must be free (once a leftover of ours is reaped): the
	// readiness probe cannot tell our ovms from another server answering
	// there, and ours would only fail to bind and restart in a loop.
	if l, err := net.Listen("tcp", s.hostPort); err != nil {
		return s, &sdk.Error{Code: sdk.CodeEngineStartFailed, Field: "settings.engine_host",
			Message: fmt.Sprintf("%s is taken by another process, so a managed ovms cannot listen there: choose a free engine_host, or set manage_engine to auto to use the server that answers there", s.hostPort)}
	} else {
		l.Close()
	}
	host, port, _ := net.SplitHostPort(s.hostPort)
	spec := engine.Spec{
		Name: "ovms",
		Exe:  exe,
		// docs/parameters.md: --rest_port/--rest_bind_address for the
		// HTTP API, --port for gRPC, --config_path for the registry,
		// --file_system_poll_wait_seconds for how often OVMS rereads it.
		Args: []string{"--rest_port", port, "--rest_bind_address", host, "--port", strconv.Itoa(grpcPort),
			"--grpc_bind_address", host, "--config_path", s.configPath, "--model_repository_path", s.repoDir,
			"--file_system_poll_wait_seconds", strconv.Itoa(s.pollSeconds), "--log_level", "INFO"},
		Env:            engineEnv(exe, s),
		Dir:            s.dataDir,
		Addr:           s.hostPort,
		Probe:          func(ctx context.Context) error { return p.probe(ctx, s) },
		StartTimeout:   s.startTimeout,
		HealthInterval: 5 * time.Second,
		LogPath:        filepath.Join(s.dataDir, "ovms.log"),
		PIDFile:        pidFile,
		Logger:         p.log,
	}
	if s.apiKey != "" {
		keyFile := filepath.Join(s.dataDir, "api_key")
		if err := os.WriteFile(keyFile, []byte(s.apiKey+"\n"), 0o600); err != nil {
			return s, sdk.WrapError(sdk.CodeEngineStartFailed, err, "write %s", keyFile)
		}
		spec.Args = append(spec.Args, "--api_key_file", keyFile)
	}
	sup, err = engine.Start(spec)
	if err != nil {
		return s, sdk.WrapError(sdk.CodeEngineStartFailed, err, "start ovms")
	}
	p.mu.Lock()
	p.sup, p.supKey, p.grpcPort, p.attached = sup, s.engineKey(), grpcPort, false
	p.mu.Unlock()
	if err := sup.WaitReady(ctx); err != nil {
		return s, err
	}
	return s, nil
}

// engineEnv is the plugin's environment plus engine_env, and on Linux
// LD_LIBRARY_PATH with the release's ovms/lib (docs/deploying_server_
// baremetal.md: "export LD_LIBRARY_PATH=${PWD}/ovms/lib").
func engineEnv(exe string, s settings) []string {
	env := os.Environ()
	if runtime.GOOS == "linux" {
		lib := filepath.Join(filepath.Dir(filepath.Dir(exe)), "lib")
		if _, err := os.Stat(lib); err == nil {
			val := lib
			if old := os.Getenv("LD_LIBRARY_PATH"); old != "" {
				val += string(os.PathListSeparator) + old
			}
			env = append(env, "LD_LIBRARY_PATH="+val)
		}
	}
	for k, v := range s.engineEnv {
		env = append(env, k+"="+v)
	}
	return env
}

// executable is settings.ovms_path, else the installed ovms (installed
// now from download_url when it is set and nothing is installed).
func (p *plugin) executable(ctx context.Context, s settings) (string, error) {
	if s.ovmsPath != "" {
		if _, err := os.Stat(s.ovmsPath); err != nil {
			return "", &sdk.Error{Code: sdk.CodeEngineNotInstalled, Field: "settings.ovms_path", Message: fmt.Sprintf("%s: %v", s.ovmsPath, err)}
		}
		return s.ovmsPath, nil
	}
	p.mu.Lock()
	inst := p.inst
	p.mu.Unlock()
	if cur, ok := inst.Current(); ok && cur.Exe != "" {
		return cur.Exe, nil
	}
	if s.downloadURL == "" {
		if path, err := exec.LookPath(engine.ExeName("ovms")); err == nil {
			return path, nil
		}
		return "", sdk.Errorf(sdk.CodeEngineNotInstalled, "OVMS is not installed: install it (POST /v1/engines/openvino/install with url and sha256 of an OVMS release archive), or set settings.download_url and download_sha256, or settings.ovms_path")
	}
	cur, err := inst.Install(ctx, engine.Download{URL: s.downloadURL, SHA256: s.downloadSHA}, nil)
	if err != nil {
		return "", err
	}
	return cur.Exe, nil
}

// verifyOVMS checks an unpacked release: it has an ovms executable that
// runs and says its version (`ovms --version`, whose first line is
// "OpenVINO Model Server <version>").
func verifyOVMS(ctx context.Context, dir string) (engine.Verified, error) {
	exe, err := engine.FindExecutable(dir, engine.ExeName("ovms"))
	if err != nil {
		return engine.Verified{}, err
	}
	if runtime.GOOS != "windows" {
		if err := os.Chmod(exe, 0o755); err != nil {
			return engine.Verified{}, err
		}
	}
	vctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	cmd := exec.CommandContext(vctx, exe, "--version")
	cmd.Env = engineEnv(exe, settings{})
	out, err := cmd.Output()
	if err != nil {
		return engine.Verified{}, fmt.Errorf("%s --version: %v (is this an OVMS release for %s/%s?)", filepath.Base(exe), err, runtime.GOOS, runtime.GOARCH)
	}
	first, _, _ := strings.Cut(strings.TrimSpace(string(out)), "\n")
	v, ok := strings.CutPrefix(first, "OpenVINO Model Server ")
	if !ok {
		return engine.Verified{}, fmt.Errorf("%s --version said %q, not an OpenVINO Model Server version", filepath.Base(exe), first)
	}
	rel, _ := filepath.Rel(dir, exe)
	return engine.Verified{Version: strings.TrimSpace(v), Exe: rel}, nil
}

func (p *plugin) engineDirInUse(dir string) bool {
	p.mu.Lock()
	sup := p.sup
	p.mu.Unlock()
	if sup == nil {
		return false
	}
	rel, err := filepath.Rel(dir, sup.Spec().Exe)
	return err == nil && !strings.HasPrefix(rel, "..")
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func portOf(hostPort string) string {
	_, port, _ := net.SplitHostPort(hostPort)
	return port
}

// CheckEngine reports the engine without starting it.
func (p *plugin) CheckEngine(ctx context.Context) (*sdk.EngineStatus, error) {
	s, _, err := p.snapshot()
	if err != nil {
		return nil, err
	}
	p.mu.Lock()
	sup, attached, inst := p.sup, p.attached, p.inst
	p.mu.Unlock()
	st := &sdk.EngineStatus{Host: s.hostPort, Mode: modeManaged}
	if cur, ok := inst.Current(); ok {
		st.Installed, st.Version, st.Executable = true, cur.Version, cur.Exe
	}
	if s.ovmsPath != "" {
		_, err := os.Stat(s.ovmsPath)
		st.Installed, st.Executable = err == nil, s.ovmsPath
	}
	switch {
	case sup != nil:
		ss := sup.Status()
		st.Running = ss.State == engine.StateRunning
		st.PID, st.Restarts, st.LastError = ss.PID, ss.Restarts, ss.LastError
		st.Executable = sup.Spec().Exe
	case attached || s.manage == "false":
		st.Mode = modeAttached
		pctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		defer cancel()
		if err := p.probe(pctx, s); err == nil {
			st.Running, st.Installed = true, true
		} else {
			st.LastError = err.Error()
		}
	}
	return st, nil
}

// EngineStatus is CheckEngine.
func (p *plugin) EngineStatus(ctx context.Context) (*sdk.EngineStatus, error) {
	return p.CheckEngine(ctx)
}

// InstallEngine installs an OVMS release archive (.tar.gz, .zip or
// .tar.zst; url and sha256 from the request, else from the settings).
func (p *plugin) InstallEngine(ctx context.Context, req *sdk.InstallEngineRequest, progress func(*sdk.Progress) error) error {
	s, _, err := p.snapshot()
	if err != nil {
		return err
	}
	d := engine.Download{URL: req.URL, SHA256: req.SHA256, Version: req.Version}
	if d.URL == "" {
		d.URL = s.downloadURL
		if d.SHA256 == "" {
			d.SHA256 = s.downloadSHA
		}
	}
	if d.URL == "" {
		return sdk.FieldError("url", "is required: the URL of an OVMS release archive (github.com/openvinotoolkit/model_server/releases), with its sha256; or set settings.download_url and download_sha256")
	}
	p.mu.Lock()
	inst := p.inst
	p.mu.Unlock()
	cur, err := inst.Install(ctx, d, progress)
	if err != nil {
		return err
	}
	msg := "ovms " + cur.Version + " in " + cur.Dir
	if s.ovmsPath != "" {
		msg += "; settings.ovms_path (" + s.ovmsPath + ") takes precedence: clear it to use this copy"
	}
	return send(progress, &sdk.Progress{Status: "success", Digest: "sha256:" + cur.SHA256, Message: msg})
}

// UpgradeEngine installs another version and restarts a running managed
// engine on it.
func (p *plugin) UpgradeEngine(ctx context.Context, req *sdk.InstallEngineRequest, progress func(*sdk.Progress) error) error {
	p.mu.Lock()
	attached := p.attached
	p.mu.Unlock()
	if attached {
		return sdk.Errorf(sdk.CodeEngineNotManaged, "the OVMS in use is not run by this plugin (attached): upgrade it where it runs")
	}
	if err := p.InstallEngine(ctx, req, progress); err != nil {
		return err
	}
	p.mu.Lock()
	sup := p.sup
	p.sup = nil
	p.mu.Unlock()
	if sup == nil {
		return nil
	}
	if err := sup.Stop(ctx); err != nil {
		return err
	}
	_, err := p.ensureEngine(ctx)
	return err
}

// StartEngine starts the managed engine (or attaches) and reports it.
func (p *plugin) StartEngine(ctx context.Context) (*sdk.EngineStatus, error) {
	if _, err := p.ensureEngine(ctx); err != nil {
		return nil, err
	}
	return p.CheckEngine(ctx)
}

// StopEngine stops the engine this plugin started; an attached OVMS is
// not this plugin's to stop.
func (p *plugin) StopEngine(ctx context.Context) (*sdk.EngineStatus, error) {
	p.mu.Lock()
	sup, attached := p.sup, p.attached
	p.sup = nil
	p.mu.Unlock()
	if sup == nil && attached {
		return nil, sdk.Errorf(sdk.CodeEngineNotManaged, "the OVMS in use is not run by this plugin (attached): stop it where it runs")
	}
	if sup != nil {
		if err := sup.Stop(ctx); err != nil && !errors.Is(err, context.Canceled) {
			return nil, err
		}
	}
	return p.CheckEngine(ctx)
}
