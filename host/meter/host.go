package meter

import (
	"context"
	"log/slog"

	"github.com/roundhouse-ai/roundhouse/host"
	"github.com/roundhouse-ai/roundhouse/host/metrics"
)

// HostSources reads plugin states and pulls from h at scrape time.
func HostSources(h *host.Host) metrics.Sources {
	return metrics.Sources{
		Plugins: func() []metrics.PluginState {
			ps := h.Plugins()
			out := make([]metrics.PluginState, 0, len(ps))
			for _, p := range ps {
				st := p.Status()
				out = append(out, metrics.PluginState{Name: st.Name, State: st.State, Restarts: st.Restarts})
			}
			return out
		},
		Pulls: func() []metrics.PullState {
			ps := h.Pulls().List()
			out := make([]metrics.PullState, 0, len(ps))
			for _, p := range ps {
				out = append(out, metrics.PullState{State: p.State, Completed: p.Completed})
			}
			return out
		},
		Targets: func() []metrics.TargetState {
			ts := h.Routes().Targets
			out := make([]metrics.TargetState, 0, len(ts))
			for _, t := range ts {
				out = append(out, metrics.TargetState{Target: t.Target, BreakerState: t.Breaker.State})
			}
			return out
		},
	}
}

// ForHost builds the meter for h's config and puts its steps on h's
// dispatch chain.
func ForHost(ctx context.Context, h *host.Host, log *slog.Logger) (*Meter, error) {
	m, err := New(ctx, h.Config(), log, HostSources(h))
	if err != nil {
		return nil, err
	}
	if log == nil {
		log = slog.Default()
	}
	m.install(h, log)
	return m, nil
}
