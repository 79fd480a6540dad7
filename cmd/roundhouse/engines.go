package main

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/roundhouse-ai/roundhouse/client"
	"github.com/roundhouse-ai/roundhouse/types"
)

func (c *cli) enginesCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "engines", Aliases: []string{"engine"}, Short: "Local plugins' engines: install, start, stop, upgrade"}
	cmd.AddCommand(&cobra.Command{
		Use:     "ls",
		Aliases: []string{"list"},
		Short:   "List local plugins' engines",
		Args:    args(0, 0),
		RunE: c.run(func(ctx context.Context, cl *client.Client, _ []string) error {
			es, err := cl.Engines(ctx)
			if err != nil {
				return err
			}
			if c.json {
				return c.printJSON(client.EngineList{Engines: nonNil(es)})
			}
			tw := c.table()
			fmt.Fprintln(tw, "PLUGIN\tINSTALLED\tRUNNING\tVERSION\tMODE\tHOST\tNOTE")
			for _, e := range es {
				if e.Engine == nil {
					msg := ""
					if e.Error != nil {
						msg = e.Error.Message
					}
					fmt.Fprintf(tw, "%s\t-\t-\t-\t-\t-\t%s\n", e.Plugin, dash(oneLine(msg)))
					continue
				}
				en := e.Engine
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", e.Plugin, yesNo(en.Installed), yesNo(en.Running), dash(en.Version),
					dash(en.Mode), dash(en.Host), dash(oneLine(en.LastError)))
			}
			return tw.Flush()
		}),
	})
	for _, v := range []struct{ use, short, verb string }{
		{"install PLUGIN", "Download and install a local plugin's engine", "installing"},
		{"upgrade PLUGIN", "Upgrade a local plugin's engine", "upgrading"},
	} {
		var req types.InstallEngineRequest
		sub := &cobra.Command{
			Use:   v.use,
			Short: v.short,
			Args:  args(1, 1),
			RunE: c.run(func(ctx context.Context, cl *client.Client, a []string) error {
				pr := newProgress(c.out, isTerminal(c.out), "")
				fn := func(ev client.ProgressEvent) error { pr.update(ev); return nil }
				var err error
				if v.verb == "installing" {
					err = cl.InstallEngine(ctx, a[0], &req, fn)
				} else {
					err = cl.UpgradeEngine(ctx, a[0], &req, fn)
				}
				pr.finish(err)
				return err
			}),
		}
		sub.Flags().StringVar(&req.Version, "version", "", "engine version (default: the one the manifest or config pins)")
		sub.Flags().StringVar(&req.URL, "url", "", "archive to install instead (admin only)")
		sub.Flags().StringVar(&req.SHA256, "sha256", "", "the archive's hex SHA-256 (with --url)")
		cmd.AddCommand(sub)
	}
	for _, v := range []struct {
		use, short, done string
		fn               func(*client.Client, context.Context, string) (*types.EngineStatus, error)
	}{
		{"start PLUGIN", "Start a local plugin's engine", "started", (*client.Client).StartEngine},
		{"stop PLUGIN", "Stop a local plugin's managed engine", "stopped", (*client.Client).StopEngine},
	} {
		cmd.AddCommand(&cobra.Command{
			Use:   v.use,
			Short: v.short,
			Args:  args(1, 1),
			RunE: c.run(func(ctx context.Context, cl *client.Client, a []string) error {
				st, err := v.fn(cl, ctx, a[0])
				if err != nil {
					return err
				}
				if c.json {
					return c.printJSON(st)
				}
				fmt.Fprintf(c.out, "%s engine %s (running: %s, version %s)\n", a[0], v.done, yesNo(st.Running), dash(st.Version))
				return nil
			}),
		})
	}
	return cmd
}
