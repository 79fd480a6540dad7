package main

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/roundhouse-ai/roundhouse/client"
	"github.com/roundhouse-ai/roundhouse/host"
)

const rootLong = `roundhouse: one local host for AI engines and cloud AI APIs.

` + "`roundhouse serve`" + ` runs the host; every other verb talks to a running host at
--host (or $ROUNDHOUSE_HOST, default 127.0.0.1:7700) through its native HTTP API.
Listing and show verbs print aligned tables, or JSON with --json.`

// root builds the command tree for one run.
func (c *cli) root() *cobra.Command {
	root := &cobra.Command{
		Use:           "roundhouse",
		Short:         "One local host for AI engines and cloud AI APIs",
		Long:          rootLong,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetFlagErrorFunc(func(cmd *cobra.Command, err error) error { return usagef(cmd, "%v", err) })
	pf := root.PersistentFlags()
	pf.StringVar(&c.host, "host", "", "host address (default $ROUNDHOUSE_HOST or 127.0.0.1:7700)")
	pf.StringVar(&c.token, "token", "", "API key or admin token (default $ROUNDHOUSE_API_KEY or $ROUNDHOUSE_ADMIN_TOKEN)")
	pf.BoolVar(&c.json, "json", false, "print JSON instead of a table (listing and show verbs)")
	// The exit codes and environment go under the root's usage only.
	root.SetUsageTemplate(root.UsageTemplate() + "{{if not .HasParent}}\n" + exitHelp + "{{end}}")
	root.AddGroup(&cobra.Group{ID: "host", Title: "Host:"}, &cobra.Group{ID: "ai", Title: "Using models:"},
		&cobra.Group{ID: "manage", Title: "Managing:"})
	add := func(group string, cmds ...*cobra.Command) {
		for _, cmd := range cmds {
			cmd.GroupID = group
			root.AddCommand(cmd)
		}
	}
	add("host", c.serveCmd(), c.statusCmd(), c.versionCmd(), c.systemCmd(), c.reloadCmd(), c.configCmd(), c.routesCmd(), c.usageCmd())
	add("ai", c.chatCmd(), c.runCmd(), c.invokeCmd())
	add("manage", c.modelsCmd(), c.pullsCmd(), c.pluginsCmd(), c.enginesCmd(), c.providersCmd(), c.registryCmd(), c.keysCmd())
	root.SetHelpCommandGroupID("host")
	root.SetCompletionCommandGroupID("host")
	return root
}

// run wraps a verb that talks to the host: it makes the client and
// cancels the call on Ctrl-C.
func (c *cli) run(fn func(ctx context.Context, cl *client.Client, args []string) error) func(*cobra.Command, []string) error {
	return func(cmd *cobra.Command, args []string) error {
		cl, err := c.client()
		if err != nil {
			return err
		}
		ctx, done := c.withInterrupt(cmd.Context())
		defer done()
		return fn(ctx, cl, args)
	}
}

func (c *cli) statusCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "status",
		Short: "Host health and its plugins",
		Args:  args(0, 0),
		RunE: c.run(func(ctx context.Context, cl *client.Client, _ []string) error {
			h, err := cl.Health(ctx)
			if err != nil {
				return err
			}
			ps, err := cl.Plugins(ctx)
			if err != nil {
				return err
			}
			if c.json {
				return c.printJSON(struct {
					Host    string                 `json:"host"`
					Health  *client.HealthResponse `json:"health"`
					Plugins []client.PluginStatus  `json:"plugins"`
				}{cl.Host(), h, ps})
			}
			col := colGreen
			if h.Status != "ok" {
				col = colYellow
			}
			fmt.Fprintf(c.out, "host %s: %s, version %s, up %s\n", cl.Host(), c.paint(c.out, col, h.Status), h.Version,
				time.Duration(h.Uptime*float64(time.Second)).Round(time.Second))
			return c.pluginTable(ps)
		}),
	}
}

func (c *cli) versionCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Host and CLI versions",
		Args:  args(0, 0),
		RunE: c.run(func(ctx context.Context, cl *client.Client, _ []string) error {
			v, err := cl.Version(ctx)
			if c.json {
				if err != nil {
					return err
				}
				return c.printJSON(struct {
					CLI  string                  `json:"cli"`
					Host *client.VersionResponse `json:"host"`
				}{host.Version, v})
			}
			// The CLI's own version is known without a host.
			fmt.Fprintf(c.out, "cli  %s\n", host.Version)
			if err != nil {
				return err
			}
			fmt.Fprintf(c.out, "host %s (sdk %s, protocol v%d, %s, %s)\n", v.Version, v.SDKVersion, v.ProtocolVersion, v.GoVersion, v.Platform)
			return nil
		}),
	}
}

func (c *cli) systemCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "system",
		Short: "The host machine's CPU, memory and GPUs",
		Args:  args(0, 0),
		RunE: c.run(func(ctx context.Context, cl *client.Client, _ []string) error {
			s, err := cl.System(ctx)
			if err != nil {
				return err
			}
			if c.json {
				return c.printJSON(s)
			}
			fmt.Fprintf(c.out, "os:      %s/%s\ncpu:     %s (%d cores)\nmemory:  %s, %s available\ngpu:     %s\n",
				s.OS, s.Arch, dash(s.CPUModel), s.CPUCores, humanBytes(int64(s.MemoryTotal)), humanBytes(int64(s.MemoryFree)), s.PreferredGPU)
			if len(s.GPUs) == 0 {
				return nil
			}
			fmt.Fprintln(c.out)
			tw := c.table()
			fmt.Fprintln(tw, "PCI\tTYPE\tVENDOR\tDEVICE\tDRIVER\tVRAM\tINTEGRATED")
			for _, g := range s.GPUs {
				vram := "-"
				if g.VRAMBytes > 0 {
					vram = humanBytes(g.VRAMBytes)
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", g.PCIAddress, g.Type, g.VendorID, g.DeviceID, dash(g.Driver), vram, yesNo(g.Integrated))
			}
			return tw.Flush()
		}),
	}
}

func (c *cli) reloadCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "reload",
		Short: "Make the host read its config and plugin directories again",
		Long: "Make the host read its config file and plugin roots again (as SIGHUP does). A broken config or\n" +
			"manifest leaves what runs untouched; the error is printed. Settings that need a restart are listed.",
		Args: args(0, 0),
		RunE: c.run(func(ctx context.Context, cl *client.Client, _ []string) error {
			r, err := cl.Reload(ctx)
			if err != nil {
				return err
			}
			if c.json {
				return c.printJSON(r)
			}
			rep := r.Report
			fmt.Fprintln(c.out, "reloaded")
			for _, x := range []struct {
				what  string
				names []string
			}{{"added", rep.Added}, {"removed", rep.Removed}, {"restarted", rep.Restarted}, {"reconfigured", rep.Reconfigured}} {
				if len(x.names) > 0 {
					fmt.Fprintf(c.out, "  %s: %s\n", x.what, strings.Join(x.names, ", "))
				}
			}
			for _, name := range sortedKeys(rep.Errors) {
				fmt.Fprintf(c.out, "  %s %s: %s (the previous version keeps serving)\n", c.paint(c.out, colRed, "not reloaded"), name, oneLine(rep.Errors[name]))
			}
			if len(rep.NeedsRestart) > 0 {
				fmt.Fprintf(c.out, "  restart the host for: %s\n", strings.Join(rep.NeedsRestart, ", "))
			}
			if len(rep.Errors) > 0 {
				return &codeError{code: exitError}
			}
			return nil
		}),
	}
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}
