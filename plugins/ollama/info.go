package main

import (
	"context"
	"strconv"
	"time"

	"github.com/roundhouse-ai/roundhouse/sdk"
	"github.com/roundhouse-ai/roundhouse/sdk/engine"
	"github.com/roundhouse-ai/roundhouse/sdk/gpu"
)

// Info describes the plugin as it runs now. It never starts the engine;
// compute comes from what the engine has loaded (/api/ps), so it is nil
// while nothing is loaded.
func (p *plugin) Info(ctx context.Context) (*sdk.Info, error) {
	mode := p.decideMode(ctx)
	st := p.snapshot()
	info := &sdk.Info{
		Name:       p.manifest.Provider.Name,
		Version:    p.manifest.Provider.Version,
		Type:       string(sdk.ProviderLocal),
		EngineMode: mode,
		EngineHost: st.set.hostPort,
		Services:   map[string]sdk.Capabilities{},
		Details: map[string]string{
			"manage_engine": string(st.set.manage),
			"data_dir":      st.set.dataDir,
		},
	}
	for _, s := range p.manifest.Services {
		info.Services[s.ServiceName] = s.Capabilities
	}
	if mode == modeManaged {
		info.Details["models_dir"] = st.set.modelsDir
		if st.sup != nil {
			ss := st.sup.Status()
			info.Details["engine_state"] = string(ss.State)
			info.Details["engine_restarts"] = strconv.Itoa(ss.Restarts)
			info.Details["executable"] = st.sup.Spec().Exe
		} else {
			info.Details["engine_state"] = "not started (starts on the first call that needs it)"
		}
	}
	pctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	if v, err := probeVersion(pctx, st.set.baseURL); err == nil {
		info.Details["engine_version"] = v
		if ps, err := st.client.ListRunning(pctx); err == nil {
			var size, vram int64
			for _, m := range ps.Models {
				size += m.Size
				vram += m.SizeVRAM
			}
			info.Compute = compute(size, vram)
			info.Details["loaded_models"] = strconv.Itoa(len(ps.Models))
		}
	}
	return info, nil
}

// compute classifies where the loaded models sit: all in system memory
// (cpu), all in VRAM (gpu), or split (mixed).
func compute(size, vram int64) *sdk.Compute {
	if size == 0 {
		return nil
	}
	c := &sdk.Compute{Kind: "cpu", VRAMUsedBytes: vram}
	switch {
	case vram >= size:
		c.Kind = "gpu"
	case vram > 0:
		c.Kind = "mixed"
	}
	if vram > 0 {
		c.GPUType = gpuVendor()
	}
	return c
}

// gpuVendor is the GPU family the engine most likely uses: the best
// discrete GPU with a driver, from sysfs ("" when there is none).
func gpuVendor() sdk.GPUType {
	if t := gpu.Best(gpu.Detect()); t != sdk.GPUNone {
		return t
	}
	return ""
}

// Health says whether the plugin can serve now: serving when the engine
// answers /api/version, or when it is a managed engine that is idle and
// starts on the first call that needs it (the host would otherwise report
// an idle plugin as degraded). An attached engine that does not answer, a
// port taken by someone else's Ollama, or an engine that failed is not
// serving.
func (p *plugin) Health(ctx context.Context) (*sdk.Health, error) {
	st := p.snapshot()
	pctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	v, err := probeVersion(pctx, st.set.baseURL)
	cancel()
	health := func(state sdk.HealthState, msg string) (*sdk.Health, error) {
		return &sdk.Health{State: state, Message: msg}, nil
	}
	if st.sup == nil {
		switch {
		case err == nil && (st.mode == modeManaged || st.set.manage == manageTrue):
			return health(sdk.HealthNotServing, "an Ollama Roundhouse did not start answers at "+st.set.hostPort+"; the managed engine cannot start there")
		case err == nil:
			return health(sdk.HealthServing, "ollama "+v+" at "+st.set.hostPort)
		case st.mode == modeAttached:
			return health(sdk.HealthNotServing, "Ollama at "+st.set.hostPort+" does not answer ("+err.Error()+
				"); start it again, or call StartEngine to let Roundhouse run its own")
		default:
			return health(sdk.HealthServing, "ollama engine is idle; it starts on the first call that needs it (or call StartEngine)")
		}
	}
	ss := st.sup.Status()
	switch ss.State {
	case engine.StateRunning:
		if err == nil {
			return health(sdk.HealthServing, "managed ollama "+v+" at "+st.set.hostPort+" (pid "+strconv.Itoa(ss.PID)+")")
		}
		return health(sdk.HealthNotServing, "managed ollama (pid "+strconv.Itoa(ss.PID)+") does not answer: "+err.Error())
	case engine.StateStarting, engine.StateRestarting:
		if ss.Restarts > 0 {
			return health(sdk.HealthStarting, "ollama engine is restarting after a crash ("+strconv.Itoa(ss.Restarts)+" restarts): "+ss.LastError)
		}
		return health(sdk.HealthStarting, "ollama engine is starting")
	case engine.StateFailed:
		return health(sdk.HealthNotServing, ss.LastError)
	default:
		return health(sdk.HealthServing, "ollama engine is stopped; it starts on the first call that needs it (or call StartEngine)")
	}
}
