package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/roundhouse-ai/roundhouse/client"
)

func (c *cli) pluginsCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "plugins", Aliases: []string{"plugin"}, Short: "List, inspect, install and manage plugins"}
	cmd.AddCommand(&cobra.Command{
		Use:     "ls",
		Aliases: []string{"list"},
		Short:   "List plugins",
		Args:    args(0, 0),
		RunE: c.run(func(ctx context.Context, cl *client.Client, _ []string) error {
			ps, err := cl.Plugins(ctx)
			if err != nil {
				return err
			}
			if c.json {
				return c.printJSON(client.PluginList{Plugins: nonNil(ps)})
			}
			return c.pluginTable(ps)
		}),
	})
	cmd.AddCommand(&cobra.Command{
		Use:   "show NAME",
		Short: "One plugin's status: state, GPU, dependencies, engine",
		Args:  args(1, 1),
		RunE: c.run(func(ctx context.Context, cl *client.Client, a []string) error {
			p, err := cl.Plugin(ctx, a[0])
			if err != nil {
				return err
			}
			if c.json {
				return c.printJSON(p)
			}
			c.showPlugin(p)
			return nil
		}),
	})
	cmd.AddCommand(c.describeCmd())
	var sha string
	install := &cobra.Command{
		Use:   "install DIR|FILE.tar.gz",
		Short: "Install a plugin from a directory or a .tar.gz",
		Long: "Install a plugin into one of the host's plugin roots. A .tar.gz is sent to the host (so this works\n" +
			"for a host on another machine); a directory is read by the host from its own file system.\n" +
			"The manifest is validated, this platform's executable must be present, and --sha256 (or the\n" +
			"manifest's) is checked.",
		Args: args(1, 1),
		RunE: c.run(func(ctx context.Context, cl *client.Client, a []string) error {
			p, err := c.installPlugin(ctx, cl, a[0], sha)
			if err != nil {
				return err
			}
			if c.json {
				return c.printJSON(p)
			}
			fmt.Fprintf(c.out, "installed %s %s (%s)\n", p.Name, p.Version, p.State)
			return nil
		}),
	}
	install.Flags().StringVar(&sha, "sha256", "", "hex SHA-256 the archive must have")
	cmd.AddCommand(install)
	for _, v := range []struct {
		use, short, done string
		fn               func(*client.Client, context.Context, string) (*client.PluginStatus, error)
	}{
		{"enable NAME", "Enable a plugin (kept across restarts) and start it", "enabled", (*client.Client).EnablePlugin},
		{"disable NAME", "Stop a plugin and keep it disabled", "disabled", (*client.Client).DisablePlugin},
		{"restart NAME", "Stop and start a plugin", "restarted", (*client.Client).RestartPlugin},
	} {
		cmd.AddCommand(&cobra.Command{
			Use:   v.use,
			Short: v.short,
			Args:  args(1, 1),
			RunE: c.run(func(ctx context.Context, cl *client.Client, a []string) error {
				p, err := v.fn(cl, ctx, a[0])
				if err != nil {
					return err
				}
				if c.json {
					return c.printJSON(p)
				}
				if p.PID != 0 {
					fmt.Fprintf(c.out, "%s %s (%s, pid %d)\n", p.Name, v.done, p.State, p.PID)
				} else {
					fmt.Fprintf(c.out, "%s %s (%s)\n", p.Name, v.done, p.State)
				}
				return nil
			}),
		})
	}
	cmd.AddCommand(&cobra.Command{
		Use:     "remove NAME",
		Aliases: []string{"rm"},
		Short:   "Stop a plugin and delete it from its plugin root",
		Args:    args(1, 1),
		RunE: c.run(func(ctx context.Context, cl *client.Client, a []string) error {
			if err := cl.RemovePlugin(ctx, a[0]); err != nil {
				return err
			}
			fmt.Fprintf(c.out, "removed %s\n", a[0])
			return nil
		}),
	})
	cmd.AddCommand(&cobra.Command{
		Use:                "new NAME [--dir D] [--module PATH] [--sdk DIR]",
		Short:              "Write a buildable plugin skeleton with a conformance test",
		DisableFlagParsing: true,
		RunE: func(_ *cobra.Command, a []string) error {
			return exitCode(newPlugin(c.out, a))
		},
	})
	return cmd
}

// installPlugin sends a .tar.gz as the request body, or names a
// directory (made absolute) for the host to read.
func (c *cli) installPlugin(ctx context.Context, cl *client.Client, path, sha string) (*client.PluginStatus, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if st.IsDir() {
		abs, err := filepath.Abs(path)
		if err != nil {
			return nil, err
		}
		return cl.InstallPlugin(ctx, &client.InstallPluginRequest{Path: abs, SHA256: sha})
	}
	if !strings.HasSuffix(path, ".tar.gz") && !strings.HasSuffix(path, ".tgz") {
		return nil, fmt.Errorf("%s: a plugin is installed from a directory or a .tar.gz", path)
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return cl.UploadPlugin(ctx, f, st.Size(), sha)
}

func (c *cli) pluginTable(ps []client.PluginStatus) error {
	tw := c.table()
	fmt.Fprintln(tw, "NAME\tTYPE\tVERSION\tSTATE\tPID\tRESTARTS\tSERVICES\tNOTE")
	for _, p := range ps {
		note := p.LastError
		if p.EngineMode != "" {
			note = "engine " + p.EngineMode + " at " + p.EngineHost
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%d\t%s\t%s\n", p.Name, p.Type, p.Version, p.State, p.PID, p.Restarts,
			strings.Join(p.Services, ","), dash(oneLine(note)))
	}
	return tw.Flush()
}

func (c *cli) showPlugin(p *client.PluginStatus) {
	tw := c.table()
	row := func(k, v string) {
		if v != "" {
			fmt.Fprintf(tw, "%s:\t%s\n", k, v)
		}
	}
	row("name", p.Name)
	row("display name", p.DisplayName)
	row("type", p.Type)
	row("version", p.Version)
	row("state", p.State)
	if p.PID != 0 {
		row("pid", fmt.Sprint(p.PID))
	}
	row("restarts", fmt.Sprint(p.Restarts))
	row("services", strings.Join(p.Services, ", "))
	row("dir", p.Dir)
	if p.StartedAt != nil {
		row("started", p.StartedAt.Format("2006-01-02 15:04:05"))
	}
	if p.EngineMode != "" {
		row("engine", p.EngineMode+" at "+p.EngineHost)
	}
	if p.GPU != nil {
		row("gpu", fmt.Sprintf("using %s (supports %s; detected %s)", p.GPU.Using, dash(strings.Join(p.GPU.Supported, ",")), dash(strings.Join(p.GPU.Detected, ","))))
		row("gpu executable", p.GPU.Executable)
	}
	for _, d := range p.Dependencies {
		state := "found at " + d.Found
		if d.Found == "" {
			state = "MISSING"
			if d.Install != "" {
				state += " (install: " + d.Install + ")"
			}
		}
		row("needs "+d.Kind+" "+d.Name, state)
	}
	if p.Health != nil {
		row("health", fmt.Sprintf("%+v", *p.Health))
	}
	row("last error", oneLine(p.LastError))
	_ = tw.Flush()
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
