package main

import (
	"context"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/roundhouse-ai/roundhouse/client"
)

func (c *cli) pullsCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "pulls", Short: "Pulls, pushes and creates in flight"}
	cmd.AddCommand(&cobra.Command{
		Use:     "ls",
		Aliases: []string{"list"},
		Short:   "List operations in flight and recently finished",
		Args:    args(0, 0),
		RunE: c.run(func(ctx context.Context, cl *client.Client, _ []string) error {
			ps, err := cl.Pulls(ctx)
			if err != nil {
				return err
			}
			if c.json {
				return c.printJSON(client.PullList{Pulls: nonNil(ps)})
			}
			tw := c.table()
			fmt.Fprintln(tw, "ID\tKIND\tMODEL\tPLUGIN\tSTATE\tPROGRESS\tSTARTED\tERROR")
			for _, p := range ps {
				prog := dash(p.Status)
				if p.Total > 0 {
					prog = fmt.Sprintf("%d%% %s/%s", p.Completed*100/p.Total, humanBytes(p.Completed), humanBytes(p.Total))
				}
				kind := p.Kind
				if kind == "" {
					kind = "pull"
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", p.ID, kind, p.Model, dash(p.Plugin), p.State, prog,
					p.StartedAt.Local().Format(time.DateTime), dash(oneLine(p.Error)))
			}
			return tw.Flush()
		}),
	})
	cmd.AddCommand(&cobra.Command{
		Use:   "watch ID",
		Short: "Follow a pull another client started, with progress bars",
		Args:  args(1, 1),
		RunE: c.run(func(ctx context.Context, cl *client.Client, a []string) error {
			pr := newProgress(c.out, isTerminal(c.out), "")
			err := cl.WatchPull(ctx, a[0], func(ev client.ProgressEvent) error {
				pr.update(ev)
				return nil
			})
			pr.finish(err)
			return err
		}),
	})
	cmd.AddCommand(&cobra.Command{
		Use:   "cancel ID",
		Short: "Cancel a pull, push or create",
		Args:  args(1, 1),
		RunE: c.run(func(ctx context.Context, cl *client.Client, a []string) error {
			p, err := cl.CancelPull(ctx, a[0])
			if err != nil {
				return err
			}
			if c.json {
				return c.printJSON(p)
			}
			fmt.Fprintf(c.out, "cancelled %s (%s, %s)\n", p.ID, p.Model, p.State)
			return nil
		}),
	})
	return cmd
}
