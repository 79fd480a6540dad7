package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/roundhouse-ai/roundhouse/client"
)

// recommendCmd is `roundhouse models recommend [--service chat] [--plugin
// P]`: the plugins' recommended models for this machine, those that fit
// first.
func (c *cli) recommendCmd() *cobra.Command {
	var service, plugin string
	cmd := &cobra.Command{
		Use:   "recommend [--service chat] [--plugin P]",
		Short: "Models that fit this machine, to pull",
		Args:  args(0, 0),
		RunE: c.run(func(ctx context.Context, cl *client.Client, _ []string) error {
			list, err := cl.RecommendedModelsFor(ctx, service, plugin)
			if err != nil {
				return err
			}
			if c.json {
				return c.printJSON(list)
			}
			return c.printRecommended(list, service)
		}),
	}
	cmd.Flags().StringVar(&service, "service", "chat", `service the models are for ("" = every service)`)
	cmd.Flags().StringVar(&plugin, "plugin", "", "only this plugin's catalogue")
	return cmd
}

func (c *cli) printRecommended(list *client.RecommendedModelList, service string) error {
	gpu := "no GPU"
	if list.Machine.GPU != "" {
		gpu = list.Machine.GPU + " GPU"
		if list.Machine.VRAMBytes > 0 {
			gpu += " (" + humanBytes(list.Machine.VRAMBytes) + ")"
		}
	}
	fmt.Fprintf(c.out, "this machine: %s memory, %s free, %s\n", humanBytes(int64(list.Machine.MemoryTotal)), humanBytes(int64(list.Machine.MemoryAvailable)), gpu)
	if len(list.Models) == 0 {
		what := "any service"
		if service != "" {
			what = service
		}
		fmt.Fprintf(c.out, "no plugin recommends models for %s\n", what)
		return nil
	}
	tw := c.table()
	fmt.Fprintln(tw, "MODEL\tSIZE\tPARAMS\tCONTEXT\tQUANT\tCAPABILITIES\tINSTALLED\tFITS\tREASON")
	for _, m := range list.Models {
		size := "-"
		if m.SizeBytes > 0 {
			size = humanBytes(m.SizeBytes)
		}
		ctxLen := "-"
		if m.ContextLength > 0 {
			ctxLen = contextLabel(m.ContextLength)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", m.ID, size, dash(m.Parameters), ctxLen, dash(m.Quantization),
			dash(strings.Join(m.Capabilities, ",")), yesNo(m.Installed), yesNo(m.Fits), m.Reason)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, m := range list.Models {
		if m.Fits && !m.Installed {
			fmt.Fprintf(c.out, "pull one with: roundhouse models pull %s\n", m.ID)
			break
		}
	}
	return nil
}

// contextLabel writes a context length as models are described: 32768
// is "32K", 131072 "128K", 2000 "2000".
func contextLabel(n int) string {
	if n >= 1024 && n%1024 == 0 {
		return fmt.Sprintf("%dK", n/1024)
	}
	return fmt.Sprint(n)
}
