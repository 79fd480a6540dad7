package meter

import (
	"context"
	"reflect"
	"time"

	"github.com/roundhouse-ai/roundhouse/host/config"
)

// Reconfigure puts a reloaded config's pricing, budgets, alerts and cache
// in force. Budgets that stay keep what their windows have used; new ones
// are filled from the usage store; a changed cache starts empty. The usage
// store and the metrics are built once at start (their keys are reported
// in a reload's needs_restart).
func (m *Meter) Reconfigure(ctx context.Context, cfg *config.Config) error {
	m.Prices.Set(cfg.Pricing)
	m.notifier.SetWebhook(cfg.Alerts.Webhook)
	if !reflect.DeepEqual(cfg.Cache, m.cacheCfg) {
		m.setCache(cfg.Cache) // a new, empty cache: entries of the old settings may not qualify now
	}
	if m.Store != nil {
		// Records still queued would be missed by a new budget's refill.
		fctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		_ = m.Store.Flush(fctx)
		cancel()
		rctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		return m.Budgets.Reconfigure(rctx, cfg.Budgets, cfg.Alerts.Thresholds, m.Store)
	}
	return m.Budgets.Reconfigure(ctx, cfg.Budgets, cfg.Alerts.Thresholds, nil)
}
