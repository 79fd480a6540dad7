package meter

import (
	"context"
	"log/slog"

	"github.com/roundhouse-ai/roundhouse/client"
	"github.com/roundhouse-ai/roundhouse/host"
	"github.com/roundhouse-ai/roundhouse/host/metrics"
)

// HostSources reads plugin states and pulls from h at scrape time.
func HostSources(h *host.Host) metrics.Sources {
	return metrics.Sources{
		Plugins: func() []client.PluginStatus {
			ps := h.Plugins()
			out := make([]client.PluginStatus, 0, len(ps))
			for _, p := range ps {
				out = append(out, p.Status())
			}
			return out
		},
		Pulls:   h.Pulls().List,
		Targets: func() []client.RouteTarget { return h.Routes().Targets },
	}
}

// ForHost builds the meter for h's config and puts its steps on h's
// dispatch chain.
func ForHost(ctx context.Context, h *host.Host, log *slog.Logger) (*Meter, error) {
	m, err := New(ctx, h.Config(), log, HostSources(h))
	if err != nil {
		return nil, err
	}
	m.install(h)
	return m, nil
}
