package meter

import "github.com/roundhouse-ai/roundhouse/host"

// install puts the steps on h's chain and gives its strategies the price
// and quota sources.
// TODO(wiring): h.UseSteps / SetPriceSource / SetQuotaSource arrive with
// the dispatch chain (branch h-dispatch); until then the steps are built
// but not on the request path.
func (m *Meter) install(h *host.Host) {}
