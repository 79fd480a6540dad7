package main

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/roundhouse-ai/roundhouse/client"
)

func (c *cli) providersCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "providers", Aliases: []string{"provider"}, Short: "Cloud API provider instances of remote plugins"}
	cmd.AddCommand(&cobra.Command{
		Use:     "ls",
		Aliases: []string{"list"},
		Short:   "List provider instances (keys masked)",
		Args:    args(0, 0),
		RunE: c.run(func(ctx context.Context, cl *client.Client, _ []string) error {
			ps, err := cl.Providers(ctx)
			if err != nil {
				return err
			}
			if c.json {
				return c.printJSON(client.ProviderList{Providers: nonNil(ps)})
			}
			tw := c.table()
			fmt.Fprintln(tw, "PLUGIN\tNAME\tURL\tKEYS\tMODELS\tNOTE")
			for _, p := range ps {
				var keys []string
				for _, k := range p.Keys {
					keys = append(keys, k.Masked+" ("+k.State+")")
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", p.Plugin, p.Name, dash(p.BaseURL), dash(strings.Join(keys, ", ")),
					dash(strings.Join(p.Models, ",")), dash(oneLine(p.Error)))
			}
			return tw.Flush()
		}),
	})
	var req client.ProviderRequest
	var keyEnv []string
	var keyStdin bool
	add := &cobra.Command{
		Use:   "add NAME --plugin P --base-url URL (--key-env VAR | --key-stdin)",
		Short: "Add or replace a provider instance",
		Long: "Add or replace a provider instance of a remote plugin. Keys are read from environment variables\n" +
			"(--key-env, repeatable) or from stdin, one per line (--key-stdin), never from the command line,\n" +
			"where shell history and ps would show them.",
		Args: args(1, 1),
		RunE: c.run(func(ctx context.Context, cl *client.Client, a []string) error {
			r := req
			r.Name = a[0]
			for _, v := range keyEnv {
				k := os.Getenv(v)
				if k == "" {
					return &usageError{msg: fmt.Sprintf("--key-env %s: the variable is empty or not set", v)}
				}
				r.APIKeys = append(r.APIKeys, client.ProviderKey{Value: k})
			}
			if keyStdin {
				sc := bufio.NewScanner(c.in)
				for sc.Scan() {
					if k := strings.TrimSpace(sc.Text()); k != "" {
						r.APIKeys = append(r.APIKeys, client.ProviderKey{Value: k})
					}
				}
				if err := sc.Err(); err != nil {
					return err
				}
			}
			p, err := cl.PutProvider(ctx, &r)
			if err != nil {
				return err
			}
			if c.json {
				return c.printJSON(p)
			}
			fmt.Fprintf(c.out, "saved provider %s of %s\n", r.Name, dash(p.Plugin))
			return nil
		}),
	}
	f := add.Flags()
	f.StringVar(&req.Plugin, "plugin", "", "remote plugin (default: the only one)")
	f.StringVar(&req.BaseURL, "base-url", "", "the API's base URL")
	f.StringSliceVar(&req.Models, "model", nil, "model the provider serves (repeatable)")
	f.StringVar(&req.KeyStrategy, "key-strategy", "", "round_robin, weighted_random, priority or least_used")
	f.Float64Var(&req.Timeout, "timeout", 0, "request timeout in seconds (0 = the plugin's default)")
	f.StringArrayVar(&keyEnv, "key-env", nil, "environment variable holding an API key (repeatable)")
	f.BoolVar(&keyStdin, "key-stdin", false, "read API keys from stdin, one per line")
	cmd.AddCommand(add)
	var rmPlugin string
	rm := &cobra.Command{
		Use:     "rm NAME",
		Aliases: []string{"remove"},
		Short:   "Remove a provider instance",
		Args:    args(1, 1),
		RunE: c.run(func(ctx context.Context, cl *client.Client, a []string) error {
			if err := cl.DeleteProvider(ctx, a[0], rmPlugin); err != nil {
				return err
			}
			fmt.Fprintf(c.out, "removed provider %s\n", a[0])
			return nil
		}),
	}
	rm.Flags().StringVar(&rmPlugin, "plugin", "", "remote plugin, when two have a provider of that name")
	cmd.AddCommand(rm)
	var testPlugin string
	test := &cobra.Command{
		Use:   "test NAME",
		Short: "Make a real request to a provider instance",
		Args:  args(1, 1),
		RunE: c.run(func(ctx context.Context, cl *client.Client, a []string) error {
			r, err := cl.TestProvider(ctx, a[0], testPlugin)
			if err != nil {
				return err
			}
			if c.json {
				return c.printJSON(r)
			}
			if !r.OK {
				return fmt.Errorf("provider %s failed its test: %s", a[0], oneLine(r.Message))
			}
			fmt.Fprintf(c.out, "provider %s ok (%.2fs, %d models)\n", a[0], r.Latency, len(r.Models))
			return nil
		}),
	}
	test.Flags().StringVar(&testPlugin, "plugin", "", "remote plugin, when two have a provider of that name")
	cmd.AddCommand(test)
	return cmd
}
