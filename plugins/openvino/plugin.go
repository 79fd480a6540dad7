package main

import (
	"context"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/roundhouse-ai/roundhouse/sdk"
	"github.com/roundhouse-ai/roundhouse/sdk/engine"
	"github.com/roundhouse-ai/roundhouse/sdk/wire/openaiwire"
)

const pluginVersion = "0.1.0"

// plugin is the OVMS plugin. One mutex guards the configuration and the
// engine handle; calls read a snapshot of both and work without it.
type plugin struct {
	sdk.UnimplementedPlugin

	log  *slog.Logger
	http *http.Client
	// sysRoot is where device detection reads /sys ("/" outside tests).
	sysRoot string

	mu         sync.Mutex
	configured bool
	s          settings
	reg        *registry
	inst       *engine.Installer
	sup        *engine.Supervisor // the managed ovms child, nil when none
	supKey     string             // settings.engineKey() it was started with
	grpcPort   int                // the --port it was started with
	attached   bool               // using an OVMS someone else runs
	startMu    sync.Mutex         // one engine start at a time
	pulls      pullSet
}

func newPlugin() *plugin {
	return &plugin{
		log:     slog.Default(),
		http:    &http.Client{Transport: openaiwire.NewTransport()},
		sysRoot: "/",
	}
}

// snapshot returns the settings, or an error when Configure has not run.
func (p *plugin) snapshot() (settings, *registry, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.configured {
		return settings{}, nil, sdk.Errorf(sdk.CodePluginNotConfigured, "the openvino plugin has no configuration yet; the host sends it at start")
	}
	return p.s, p.reg, nil
}

func (p *plugin) detect() (string, bool) {
	d, _, _ := detectDevice(p.sysRoot)
	return d, true
}

// Configure applies settings. A change that concerns the managed engine
// (ports, paths, environment) stops it; the next call that needs it starts
// it again with the new settings.
func (p *plugin) Configure(ctx context.Context, cfg *sdk.Config) error {
	s, err := resolveSettings(cfg, p.detect)
	if err != nil {
		return err
	}
	p.mu.Lock()
	old := p.sup
	restart := old != nil && p.supKey != s.engineKey()
	if restart {
		p.sup = nil
	}
	p.s, p.configured, p.attached = s, true, false
	p.reg = &registry{path: s.configPath}
	p.inst = &engine.Installer{Name: "ovms", Dir: s.installDir, Logger: p.log, Verify: verifyOVMS,
		InUse: func(dir string) bool { return p.engineDirInUse(dir) }}
	p.mu.Unlock()
	if restart {
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 15*time.Second)
		defer cancel()
		_ = old.Stop(sctx)
	}
	return nil
}

// ValidateConfig checks settings without applying them.
func (p *plugin) ValidateConfig(_ context.Context, cfg *sdk.Config) error {
	_, err := resolveSettings(cfg, p.detect)
	return err
}

// Info reports the mode, the compute device and the services.
func (p *plugin) Info(ctx context.Context) (*sdk.Info, error) {
	device, gpuType, npu := detectDevice(p.sysRoot)
	info := &sdk.Info{Name: "openvino", Version: pluginVersion, Type: string(sdk.ProviderLocal), Details: map[string]string{}}
	p.mu.Lock()
	if p.configured {
		device = p.s.device
		info.EngineHost = p.s.hostPort
		info.Details["device_source"] = p.s.deviceSource
		info.Details["model_repository_path"] = p.s.repoDir
		info.Details["config_path"] = p.s.configPath
		// With manage_engine auto the mode is known once an engine is in
		// use; the other two settings decide it up front.
		switch {
		case p.attached || p.s.manage == "false":
			info.EngineMode = modeAttached
		case p.sup != nil || p.s.manage == "true":
			info.EngineMode = modeManaged
		}
	}
	p.mu.Unlock()
	info.Details["device"] = device
	if npu {
		info.Details["npu"] = "present"
	}
	kind := "cpu"
	if device != "CPU" {
		kind = "gpu"
		if device == "AUTO" || strings.HasPrefix(device, "HETERO:") || strings.HasPrefix(device, "AUTO:") || strings.HasPrefix(device, "MULTI:") {
			kind = "mixed"
		}
	}
	info.Compute = &sdk.Compute{Kind: kind, GPUType: gpuType}
	return info, nil
}

// Health is serving when OVMS answers /v2/health/ready and /v1/config;
// starting while a managed engine comes up; not serving otherwise. A
// managed engine that is not running yet (it starts on first use) is
// "serving": the plugin can serve, it starts OVMS when asked.
func (p *plugin) Health(ctx context.Context) (*sdk.Health, error) {
	s, _, err := p.snapshot()
	if err != nil {
		return &sdk.Health{State: sdk.HealthStarting, Message: "waiting for configuration"}, nil
	}
	p.mu.Lock()
	sup, attached := p.sup, p.attached
	p.mu.Unlock()
	if sup == nil && !attached {
		if s.manage == "false" {
			if err := p.probe(ctx, s); err != nil {
				return &sdk.Health{State: sdk.HealthNotServing, Message: err.Error()}, nil
			}
		}
		return &sdk.Health{State: sdk.HealthServing, Message: "ovms starts on first use"}, nil
	}
	if sup != nil {
		switch st := sup.Status(); st.State {
		case engine.StateStarting, engine.StateRestarting:
			return &sdk.Health{State: sdk.HealthStarting, Message: "ovms is " + string(st.State)}, nil
		case engine.StateFailed:
			return &sdk.Health{State: sdk.HealthNotServing, Message: st.LastError}, nil
		}
	}
	if err := p.probe(ctx, s); err != nil {
		return &sdk.Health{State: sdk.HealthNotServing, Message: err.Error()}, nil
	}
	return &sdk.Health{State: sdk.HealthServing}, nil
}

// Shutdown stops the engine this plugin started (never an attached one)
// and any pull still running.
func (p *plugin) Shutdown(ctx context.Context) error {
	p.pulls.cancelAll()
	p.mu.Lock()
	sup := p.sup
	p.sup = nil
	p.mu.Unlock()
	if sup != nil {
		return sup.Stop(ctx)
	}
	return nil
}
