package meter

import (
	"context"
	"log/slog"

	"github.com/roundhouse-ai/roundhouse/host"
	"github.com/roundhouse-ai/roundhouse/host/budget"
	"github.com/roundhouse-ai/roundhouse/host/config"
	"github.com/roundhouse-ai/roundhouse/host/pricing"
	"github.com/roundhouse-ai/roundhouse/host/route"
)

// The parts implement the dispatch chain's seams.
var (
	_ route.PriceSource = (*pricing.Table)(nil)
	_ route.QuotaSource = (*budget.Manager)(nil)
)

// install puts the steps on h's chain and gives its strategies the price
// (lowest_price) and quota (least_quota_used) sources.
func (m *Meter) install(h *host.Host, log *slog.Logger) {
	h.UseSteps(m.Steps()...)
	h.SetPriceSource(m.Prices)
	h.SetQuotaSource(m.Budgets)
	// Pricing, budgets and alerts follow config reloads.
	h.OnApply(func(cfg *config.Config) {
		if err := m.Reconfigure(context.Background(), cfg); err != nil {
			log.Error("budgets reloaded, but new ones start empty", "error", err)
		}
	})
}
