package main

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/spf13/cobra"

	"github.com/roundhouse-ai/roundhouse/client"
)

func (c *cli) routesCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "routes",
		Short: "Where each service's calls go: targets, strategy, breakers, health, latency",
		Args:  args(0, 0),
		RunE: c.run(func(ctx context.Context, cl *client.Client, _ []string) error {
			r, err := cl.Routes(ctx)
			if err != nil {
				return err
			}
			if c.json {
				return c.printJSON(r)
			}
			return c.printRoutes(r)
		}),
	}
}

// printRoutes writes the strategies, then the targets (what an operator
// looks at first: which are failing), then the model groups with their
// canaries.
func (c *cli) printRoutes(r *client.RouteTable) error {
	fmt.Fprintf(c.out, "strategy: %s\n", dash(r.Strategy))
	for _, svc := range sortedKeys(r.Services) {
		fmt.Fprintf(c.out, "  %s: %s\n", svc, r.Services[svc])
	}
	for _, m := range sortedKeys(r.Fallbacks) {
		fmt.Fprintf(c.out, "fallbacks of %s: %s\n", m, strings.Join(r.Fallbacks[m], " → "))
	}
	fmt.Fprintln(c.out)
	if len(r.Targets) == 0 {
		fmt.Fprintln(c.out, "no targets yet: they appear once the host has routed a call")
	} else {
		tw := c.table()
		fmt.Fprintln(tw, "TARGET\tBREAKER\tHEALTH\tLATENCY\tERRORS\tREQUESTS")
		for _, t := range r.Targets {
			lat := "-"
			if t.LatencyMS > 0 {
				lat = fmt.Sprintf("%.0fms", t.LatencyMS)
			}
			fmt.Fprintf(tw, "%s\t%s\t%.2f\t%s\t%.1f%%\t%d\n", t.Target, breakerLabel(t.Breaker), t.Health, lat, t.ErrorRate*100, t.Requests)
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	if len(r.Groups) == 0 {
		return nil
	}
	fmt.Fprintln(c.out)
	tw := c.table()
	fmt.Fprintln(tw, "GROUP\tSTRATEGY\tTARGET\tWEIGHT\tCANARY")
	for _, g := range r.Groups {
		for i, t := range g.Targets {
			name, strat := g.Name, dash(g.Strategy)
			if i > 0 {
				name, strat = "", ""
			}
			canary := "-"
			if g.Canary != nil && g.Canary.Target == t.Target {
				canary = canaryLabel(g.Canary)
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%.2f\t%s\n", name, strat, t.Target, t.Weight, canary)
		}
	}
	return tw.Flush()
}

// breakerLabel is the breaker's state, with the failures in a row that
// opened it.
func breakerLabel(b client.RouteBreaker) string {
	if b.State != "" && b.State != "closed" && b.ConsecutiveFailures > 0 {
		return fmt.Sprintf("%s (%d failed in a row)", b.State, b.ConsecutiveFailures)
	}
	return dash(b.State)
}

// canaryLabel says the canary's configured share and how it compares
// with the stable targets, or that it was rolled back and why.
func canaryLabel(k *client.RouteCanary) string {
	if k.RolledBack {
		s := fmt.Sprintf("ROLLED BACK from %.0f%%", k.Percent)
		if k.Reason != "" {
			s += ": " + oneLine(k.Reason)
		}
		return s
	}
	return fmt.Sprintf("%.0f%%, %d requests, errors %.1f%% (stable %.1f%%)",
		k.Percent, k.CanaryRequests, k.CanaryErrorRate*100, k.StableErrorRate*100)
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
