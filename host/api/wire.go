package api

import (
	"github.com/roundhouse-ai/roundhouse/client"
	"github.com/roundhouse-ai/roundhouse/host"
)

// Mapping from the host core's structs to the native API's wire types.

func wirePluginStatus(s host.PluginStatus) client.PluginStatus {
	out := client.PluginStatus{Name: s.Name, DisplayName: s.DisplayName, Type: s.Type, Version: s.Version, Services: s.Services,
		State: s.State, Health: s.Health, PID: s.PID, Restarts: s.Restarts, LastError: s.LastError, Dir: s.Dir, StartedAt: s.StartedAt,
		EngineMode: s.EngineMode, EngineHost: s.EngineHost, Compute: s.Compute, Details: s.Details}
	if g := s.GPU; g != nil {
		out.GPU = &client.PluginGPU{Supported: g.Supported, Detected: g.Detected, Using: g.Using, Executable: g.Executable}
	}
	for _, d := range s.Dependencies {
		out.Dependencies = append(out.Dependencies, client.PluginDependency{Kind: d.Kind, Name: d.Name, Found: d.Found, Install: d.Install})
	}
	return out
}

func wirePull(s host.PullSnapshot) client.PullSnapshot {
	return client.PullSnapshot{ID: s.ID, Kind: s.Kind, Model: s.Model, Plugin: s.Plugin, State: s.State, Status: s.Status,
		Digest: s.Digest, Total: s.Total, Completed: s.Completed, Error: s.Error, StartedAt: s.StartedAt}
}

func wirePulls(ps []host.PullSnapshot) []client.PullSnapshot {
	out := make([]client.PullSnapshot, 0, len(ps))
	for _, p := range ps {
		out = append(out, wirePull(p))
	}
	return out
}
