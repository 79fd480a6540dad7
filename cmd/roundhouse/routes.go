package main

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/spf13/cobra"

	"github.com/roundhouse-ai/roundhouse/client"
)

// routesView is the part of GET /v1/routes the tables show; --json prints
// the host's whole answer.
type routesView struct {
	Strategy  string              `json:"strategy"`
	Services  map[string]string   `json:"services"`
	Fallbacks map[string][]string `json:"fallbacks"`
	Groups    []struct {
		Name     string `json:"name"`
		Strategy string `json:"strategy"`
		Targets  []struct {
			Target string  `json:"target"`
			Weight float64 `json:"weight"`
		} `json:"targets"`
		Canary *struct {
			Target     string  `json:"target"`
			Percent    float64 `json:"percent"`
			Weight     float64 `json:"weight"`
			RolledBack bool    `json:"rolled_back"`
			Reason     string  `json:"reason"`
		} `json:"canary"`
	} `json:"groups"`
	Targets []struct {
		Target  string `json:"target"`
		Breaker struct {
			State    string `json:"state"`
			Requests uint64 `json:"requests"`
			Failures uint64 `json:"failures"`
		} `json:"breaker"`
		Health    float64 `json:"health"`
		LatencyMS float64 `json:"latency_ms"`
		ErrorRate float64 `json:"error_rate"`
		Requests  int     `json:"requests"`
	} `json:"targets"`
}

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
			var v routesView
			data, _ := json.Marshal(r)
			if json.Unmarshal(data, &v) != nil || (v.Strategy == "" && len(v.Targets) == 0) {
				return c.printYAML(r) // a shape this CLI does not know
			}
			c.printRoutes(&v)
			return nil
		}),
	}
}

func (c *cli) printRoutes(v *routesView) {
	fmt.Fprintf(c.out, "strategy: %s\n", v.Strategy)
	for _, svc := range sortedKeys(v.Services) {
		fmt.Fprintf(c.out, "  %s: %s\n", svc, v.Services[svc])
	}
	for _, m := range sortedKeys(v.Fallbacks) {
		fmt.Fprintf(c.out, "fallbacks of %s: %s\n", m, strings.Join(v.Fallbacks[m], " → "))
	}
	if len(v.Groups) > 0 {
		fmt.Fprintln(c.out)
		tw := c.table()
		fmt.Fprintln(tw, "GROUP\tSTRATEGY\tTARGET\tWEIGHT\tCANARY")
		for _, g := range v.Groups {
			for i, t := range g.Targets {
				name, strat, canary := g.Name, dash(g.Strategy), "-"
				if i > 0 {
					name, strat = "", ""
				}
				if g.Canary != nil && g.Canary.Target == t.Target {
					canary = fmt.Sprintf("%.0f%% configured", g.Canary.Percent)
					if g.Canary.RolledBack {
						canary = "rolled back: " + oneLine(g.Canary.Reason)
					}
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%.2f\t%s\n", name, strat, t.Target, t.Weight, canary)
			}
		}
		_ = tw.Flush()
	}
	fmt.Fprintln(c.out)
	tw := c.table()
	fmt.Fprintln(tw, "TARGET\tBREAKER\tHEALTH\tLATENCY\tERRORS\tREQUESTS")
	for _, t := range v.Targets {
		lat := "-"
		if t.LatencyMS > 0 {
			lat = fmt.Sprintf("%.0fms", t.LatencyMS)
		}
		fmt.Fprintf(tw, "%s\t%s\t%.2f\t%s\t%.1f%%\t%d\n", t.Target, dash(t.Breaker.State), t.Health, lat, t.ErrorRate*100, t.Requests)
	}
	_ = tw.Flush()
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
