package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/roundhouse-ai/roundhouse/client"
	"github.com/roundhouse-ai/roundhouse/types"
)

func (c *cli) modelsCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "models", Aliases: []string{"model"}, Short: "List, pull, create and manage models"}
	var running bool
	ls := &cobra.Command{
		Use:     "ls",
		Aliases: []string{"list"},
		Short:   "List models across plugins",
		Args:    args(0, 0),
		RunE: c.run(func(ctx context.Context, cl *client.Client, _ []string) error {
			return c.listModels(ctx, cl, running)
		}),
	}
	ls.Flags().BoolVar(&running, "running", false, "only models loaded in memory (as `models ps`)")
	cmd.AddCommand(ls)
	cmd.AddCommand(&cobra.Command{
		Use:   "ps",
		Short: "Models loaded in memory",
		Args:  args(0, 0),
		RunE: c.run(func(ctx context.Context, cl *client.Client, _ []string) error {
			return c.listModels(ctx, cl, true)
		}),
	})
	cmd.AddCommand(&cobra.Command{
		Use:   "show NAME",
		Short: "What the host knows about one model",
		Args:  args(1, 1),
		RunE: c.run(func(ctx context.Context, cl *client.Client, a []string) error {
			return c.showModel(ctx, cl, a[0])
		}),
	})
	var pullInsecure bool
	var pullPlugin string
	pull := &cobra.Command{
		Use:   "pull NAME",
		Short: "Pull a model, with a progress bar per layer",
		Args:  args(1, 1),
		RunE: c.run(func(ctx context.Context, cl *client.Client, a []string) error {
			pr := newProgress(c.out, isTerminal(c.out), "")
			err := cl.Pull(ctx, &client.PullRequest{Model: a[0], Insecure: pullInsecure, Plugin: pullPlugin}, func(ev client.ProgressEvent) error {
				pr.update(ev)
				return nil
			})
			pr.finish(err)
			return err
		}),
	}
	pull.Flags().BoolVar(&pullInsecure, "insecure", false, "allow plain-HTTP and unverified-TLS registries")
	pull.Flags().StringVar(&pullPlugin, "plugin", "", "local plugin to pull with (default: the host chooses)")
	cmd.AddCommand(pull)
	cmd.AddCommand(&cobra.Command{
		Use:     "rm NAME",
		Aliases: []string{"delete"},
		Short:   "Delete a model",
		Args:    args(1, 1),
		RunE: c.run(func(ctx context.Context, cl *client.Client, a []string) error {
			if err := cl.DeleteModel(ctx, a[0]); err != nil {
				return err
			}
			fmt.Fprintf(c.out, "deleted %s\n", a[0])
			return nil
		}),
	})
	var loadPlugin string
	var keepAlive time.Duration
	load := &cobra.Command{
		Use:   "load NAME",
		Short: "Load a model into memory",
		Args:  args(1, 1),
		RunE: c.run(func(ctx context.Context, cl *client.Client, a []string) error {
			req := &client.ModelRequest{Model: a[0], Plugin: loadPlugin}
			if keepAlive != 0 {
				s := keepAlive.Seconds()
				req.KeepAlive = &s
			}
			if err := cl.LoadModel(ctx, req); err != nil {
				return err
			}
			fmt.Fprintf(c.out, "loaded %s\n", a[0])
			return nil
		}),
	}
	load.Flags().StringVar(&loadPlugin, "plugin", "", "local plugin that has the model")
	load.Flags().DurationVar(&keepAlive, "keep-alive", 0, "how long to keep it loaded (0 = engine default, <0 = forever)")
	cmd.AddCommand(load)
	var unloadPlugin string
	unload := &cobra.Command{
		Use:   "unload NAME",
		Short: "Free a model's memory",
		Args:  args(1, 1),
		RunE: c.run(func(ctx context.Context, cl *client.Client, a []string) error {
			if err := cl.UnloadModel(ctx, &client.ModelRequest{Model: a[0], Plugin: unloadPlugin}); err != nil {
				return err
			}
			fmt.Fprintf(c.out, "unloaded %s\n", a[0])
			return nil
		}),
	}
	unload.Flags().StringVar(&unloadPlugin, "plugin", "", "local plugin that has the model")
	cmd.AddCommand(unload)
	cmd.AddCommand(c.copyCmd(), c.createCmd(), c.pushCmd(), c.recommendCmd())
	return cmd
}

func (c *cli) listModels(ctx context.Context, cl *client.Client, running bool) error {
	ms, err := cl.Models(ctx, running)
	if err != nil {
		return err
	}
	if c.json {
		return c.printJSON(struct {
			Models []client.Model `json:"models"`
		}{nonNil(ms)})
	}
	// The PROVIDER column only when a remote plugin's model is listed:
	// a machine with local engines only keeps the short table.
	withProvider := false
	for _, m := range ms {
		withProvider = withProvider || m.Provider != ""
	}
	tw := c.table()
	if withProvider {
		fmt.Fprintln(tw, "MODEL\tPLUGIN\tPROVIDER\tSIZE\tSTATE")
	} else {
		fmt.Fprintln(tw, "MODEL\tPLUGIN\tSIZE\tSTATE")
	}
	for _, m := range ms {
		size := "-" // a cloud model has no size on this machine
		if m.Size > 0 {
			size = humanBytes(m.Size)
		}
		if withProvider {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", m.ID, m.Plugin, dash(m.Provider), size, dash(m.State))
		} else {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", m.ID, m.Plugin, size, dash(m.State))
		}
	}
	return tw.Flush()
}

// showModel finds the model in the inventory (by name, or
// "<plugin>/<name>") and prints what its engine tells.
func (c *cli) showModel(ctx context.Context, cl *client.Client, name string) error {
	inv, err := cl.Inventory(ctx, false)
	var se *client.StatusError
	if errors.As(err, &se) && se.StatusCode == 404 && se.Code() != types.CodeModelNotFound {
		// A host without GET /v1/inventory: what its model list says.
		ms, lerr := cl.Models(ctx, false)
		if lerr != nil {
			return lerr
		}
		inv, err = nil, nil
		for _, m := range ms {
			inv = append(inv, client.InventoryModel{Model: types.Model{Name: m.ID, SizeBytes: m.Size}, Plugin: m.Plugin})
		}
	}
	if err != nil {
		return err
	}
	var found []client.InventoryModel
	for _, m := range inv {
		if m.Name == name || m.Name == name+":latest" || m.Plugin+"/"+m.Name == name {
			found = append(found, m)
		}
	}
	if len(found) == 0 {
		return &client.StatusError{StatusCode: 404, ErrorDetail: client.ErrorDetail{Code: "model_not_found",
			Message: fmt.Sprintf("no model named %q", name)}}
	}
	if c.json {
		return c.printJSON(found)
	}
	for i, m := range found {
		if i > 0 {
			fmt.Fprintln(c.out)
		}
		tw := c.table()
		row := func(k, v string) {
			if v != "" && v != "0" {
				fmt.Fprintf(tw, "%s:\t%s\n", k, v)
			}
		}
		row("model", m.Name)
		row("plugin", m.Plugin)
		row("provider", m.Provider)
		row("type", m.Type)
		if m.SizeBytes > 0 {
			row("size", humanBytes(m.SizeBytes))
		}
		if m.SizeVRAMBytes > 0 {
			row("in GPU memory", humanBytes(m.SizeVRAMBytes))
		}
		row("family", m.Family)
		row("parameters", m.ParameterSize)
		row("quantization", m.Quantization)
		row("format", m.Format)
		if m.ContextLength > 0 {
			row("context", contextLabel(m.ContextLength))
		}
		row("services", strings.Join(m.Services, ", "))
		row("digest", m.Digest)
		if m.ModifiedAt > 0 {
			row("modified", time.Unix(m.ModifiedAt, 0).Format("2006-01-02 15:04"))
		}
		_ = tw.Flush()
	}
	return nil
}
