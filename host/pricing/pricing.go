// Package pricing turns token counts into USD from the configured price
// table. A model without a price has an unknown cost (nil), never 0: a
// report that shows $0 for a paid model would be worse than one that
// says it does not know. Local plugins cost 0 unless the table says
// otherwise.
package pricing

import (
	"sync/atomic"

	"github.com/roundhouse-ai/roundhouse/host/config"
	"github.com/roundhouse-ai/roundhouse/host/route"
)

// Table is the price table, safe for concurrent use: Set replaces the
// entries whole (a config reload) while lookups read either the old list
// or the new one.
type Table struct {
	entries atomic.Pointer[[]config.Price]
}

// New builds a table from the config entries.
func New(prices []config.Price) *Table {
	t := &Table{}
	t.Set(prices)
	return t
}

// Set replaces the entries.
func (p *Table) Set(prices []config.Price) {
	es := append([]config.Price(nil), prices...)
	p.entries.Store(&es)
}

// Price is the price of t in USD per million input and output tokens.
// ok is false when the price is unknown. It implements route.PriceSource.
func (p *Table) Price(t route.Target) (inPerM, outPerM float64, ok bool) {
	if e := p.lookup(t); e != nil {
		return e.Input, e.Output, true
	}
	if t.Local {
		return 0, 0, true
	}
	return 0, 0, false
}

// lookup finds the most specific entry for t: plugin and provider match,
// then plugin, then the model alone. An entry naming a plugin or provider
// that differs from t's does not apply.
func (p *Table) lookup(t route.Target) *config.Price {
	var best *config.Price
	bestScore := -1
	entries := *p.entries.Load()
	for i := range entries {
		e := &entries[i]
		if e.Model != t.Model {
			continue
		}
		if (e.Plugin != "" && e.Plugin != t.Plugin) || (e.Provider != "" && e.Provider != t.Provider) {
			continue
		}
		score := 0
		if e.Plugin != "" {
			score++
		}
		if e.Provider != "" {
			score += 2
		}
		if score > bestScore {
			best, bestScore = e, score
		}
	}
	return best
}

// Cost is the USD cost of in input and out output tokens on t, or nil
// when t's price is unknown.
func (p *Table) Cost(t route.Target, in, out int) *float64 {
	inPerM, outPerM, ok := p.Price(t)
	if !ok {
		return nil
	}
	c := Compute(inPerM, outPerM, in, out)
	return &c
}

// Compute is the cost of in and out tokens at prices per million.
func Compute(inPerM, outPerM float64, in, out int) float64 {
	return (float64(in)*inPerM + float64(out)*outPerM) / 1e6
}
