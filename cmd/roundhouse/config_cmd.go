package main

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"
	"gopkg.in/yaml.v3"

	"github.com/roundhouse-ai/roundhouse/client"
	"github.com/roundhouse-ai/roundhouse/host/config"
)

func (c *cli) configCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "config", Short: "Show the host's configuration, or check a config file"}
	cmd.AddCommand(&cobra.Command{
		Use:   "show",
		Short: "The running host's effective configuration (secrets masked)",
		Args:  args(0, 0),
		RunE: c.run(func(ctx context.Context, cl *client.Client, _ []string) error {
			cfg, err := cl.Config(ctx)
			if err != nil {
				return err
			}
			if c.json {
				return c.printJSON(cfg)
			}
			src := cfg.Path
			if src == "" {
				src = "the embedded default"
			}
			fmt.Fprintf(c.out, "# effective configuration (from %s; secrets masked)\n", src)
			return c.printYAML(cfg.Config)
		}),
	})
	cmd.AddCommand(&cobra.Command{
		Use:   "validate FILE",
		Short: "Check a config file here, without a host (errors name the key and line)",
		Args:  args(1, 1),
		RunE: func(_ *cobra.Command, a []string) error {
			if err := config.Validate(a[0]); err != nil {
				return err
			}
			fmt.Fprintf(c.out, "%s: ok\n", a[0])
			return nil
		},
	})
	return cmd
}

// printYAML writes v as YAML, the config file's own form.
func (c *cli) printYAML(v any) error {
	enc := yaml.NewEncoder(c.out)
	enc.SetIndent(2)
	if err := enc.Encode(v); err != nil {
		return err
	}
	return enc.Close()
}
