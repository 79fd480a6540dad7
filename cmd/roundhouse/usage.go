package main

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/roundhouse-ai/roundhouse/client"
)

// usageFlags are the span and grouping of the usage verbs.
type usageFlags struct {
	from, to, since, groupBy string
}

func (f *usageFlags) add(cmd *cobra.Command, group bool) {
	cmd.Flags().StringVar(&f.from, "from", "", "start (RFC 3339 or YYYY-MM-DD; default: 30 days ago)")
	cmd.Flags().StringVar(&f.to, "to", "", "end (RFC 3339 or YYYY-MM-DD; default: now)")
	cmd.Flags().StringVar(&f.since, "since", "", "start this long ago (24h, 168h...), instead of --from")
	if group {
		cmd.Flags().StringVar(&f.groupBy, "group-by", "model", "model, plugin, provider, app or day")
	}
}

func (f *usageFlags) query(cmd *cobra.Command) (client.UsageQuery, error) {
	q := client.UsageQuery{GroupBy: f.groupBy}
	var err error
	if q.From, err = parseWhen(f.from); err != nil {
		return q, usagef(cmd, "--from: %v", err)
	}
	if q.To, err = parseWhen(f.to); err != nil {
		return q, usagef(cmd, "--to: %v", err)
	}
	if f.since != "" {
		d, err := time.ParseDuration(f.since)
		if err != nil || d <= 0 {
			return q, usagef(cmd, "--since %q: give a duration such as 24h", f.since)
		}
		q.From = time.Now().Add(-d)
	}
	return q, nil
}

func parseWhen(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("%q is not RFC 3339 or YYYY-MM-DD", s)
	}
	return t, nil
}

func (c *cli) usageCmd() *cobra.Command {
	var f usageFlags
	cmd := &cobra.Command{
		Use:   "usage",
		Short: "Requests, tokens and cost, grouped by model, plugin, provider, app or day",
		Args:  args(0, 0),
		RunE: func(cmd *cobra.Command, a []string) error {
			q, err := f.query(cmd)
			if err != nil {
				return err
			}
			return c.run(func(ctx context.Context, cl *client.Client, _ []string) error {
				r, err := cl.Usage(ctx, q)
				if err != nil {
					return err
				}
				if c.json {
					return c.printJSON(r)
				}
				fmt.Fprintf(c.out, "%s to %s, by %s\n", r.From.Local().Format(time.DateTime), r.To.Local().Format(time.DateTime), r.GroupBy)
				tw := c.table()
				fmt.Fprintln(tw, strings.ToUpper(r.GroupBy)+"\tREQUESTS\tERRORS\tCACHED\tIN TOKENS\tOUT TOKENS\tCOST")
				for _, g := range append(r.Groups, r.Total) {
					key := g.Key
					if key == "" {
						key = "-"
					}
					fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\t%d\t%s\n", key, g.Requests, g.Errors, g.CacheHits, g.InputTokens, g.OutputTokens, costLabel(g))
				}
				return tw.Flush()
			})(cmd, a)
		},
	}
	f.add(cmd, true)
	var rf usageFlags
	var limit int
	var cursor string
	var csv bool
	records := &cobra.Command{
		Use:   "records",
		Short: "One record per call attempt, newest first (--csv exports them)",
		Args:  args(0, 0),
		RunE: func(cmd *cobra.Command, a []string) error {
			q, err := rf.query(cmd)
			if err != nil {
				return err
			}
			q.Limit, q.Cursor = limit, cursor
			return c.run(func(ctx context.Context, cl *client.Client, _ []string) error {
				if csv {
					return cl.UsageCSV(ctx, q, c.out)
				}
				page, err := cl.UsageRecords(ctx, q)
				if err != nil {
					return err
				}
				if c.json {
					return c.printJSON(page)
				}
				tw := c.table()
				fmt.Fprintln(tw, "TIME\tAPP\tSERVICE\tMODEL\tPLUGIN\tIN\tOUT\tCOST\tLATENCY\tSTATUS")
				for _, r := range page.Records {
					cost := "-"
					if r.Cost != nil {
						cost = fmt.Sprintf("$%.6f", *r.Cost)
					}
					in := fmt.Sprint(r.InputTokens)
					if r.Estimated {
						in = "~" + in
					}
					fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%d\t%s\t%.0fms\t%d %s\n", r.Time.Local().Format(time.DateTime), dash(r.App), r.Service,
						dash(r.Model), dash(r.Plugin), in, r.OutputTokens, cost, r.LatencyMS, r.Status, r.Code)
				}
				if err := tw.Flush(); err != nil {
					return err
				}
				if page.NextCursor != "" {
					fmt.Fprintf(c.out, "more: roundhouse usage records --cursor %s\n", page.NextCursor)
				}
				return nil
			})(cmd, a)
		},
	}
	rf.add(records, false)
	records.Flags().IntVar(&limit, "limit", 0, "records per page (default: the host's, 100)")
	records.Flags().StringVar(&cursor, "cursor", "", "the next page's cursor, from the previous page")
	records.Flags().BoolVar(&csv, "csv", false, "print CSV")
	cmd.AddCommand(records)
	cmd.AddCommand(&cobra.Command{
		Use:   "budgets",
		Short: "Each budget's window, usage, limit and reset time",
		Args:  args(0, 0),
		RunE: c.run(func(ctx context.Context, cl *client.Client, _ []string) error {
			bs, err := cl.Budgets(ctx)
			if err != nil {
				return err
			}
			if c.json {
				return c.printJSON(client.BudgetList{Budgets: nonNil(bs)})
			}
			tw := c.table()
			fmt.Fprintln(tw, "BUDGET\tWINDOW\tAPP\tMODEL\tTOKENS\tCOST\tUSED\tRESETS")
			for _, b := range bs {
				tokens := fmt.Sprint(b.TokensUsed)
				if b.TokensLimit > 0 {
					tokens += fmt.Sprintf("/%d", b.TokensLimit)
				}
				cost := fmt.Sprintf("$%.4f", b.CostUsed)
				if b.CostLimit > 0 {
					cost += fmt.Sprintf("/$%.2f", b.CostLimit)
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%.0f%%\t%s\n", b.Name, b.Window, dash(b.App), dash(b.Model), tokens, cost,
					b.Ratio*100, b.ResetsAt.Local().Format(time.DateTime))
			}
			return tw.Flush()
		}),
	})
	return cmd
}

func costLabel(g client.UsageGroup) string {
	if g.Cost == nil {
		return "-"
	}
	s := fmt.Sprintf("$%.4f", *g.Cost)
	if g.UnpricedRequests > 0 {
		s += fmt.Sprintf(" (+%d unpriced)", g.UnpricedRequests)
	}
	return s
}
