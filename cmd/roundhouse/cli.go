package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/roundhouse-ai/roundhouse/client"
	"github.com/roundhouse-ai/roundhouse/sdk"
)

type cli struct {
	c   *client.Client
	out io.Writer
}

func (c *cli) dispatch(ctx context.Context, args []string) error {
	verb, rest := args[0], args[1:]
	sub := ""
	if len(rest) > 0 {
		sub = rest[0]
	}
	switch {
	case verb == "status":
		return c.status(ctx)
	case verb == "version":
		return c.version(ctx)
	case verb == "models" && sub == "recommend":
		return c.recommend(ctx, rest[1:])
	case verb == "plugins" && (sub == "ls" || sub == "list" || sub == ""):
		return c.plugins(ctx)
	case verb == "plugins" && sub == "restart" && len(rest) == 2:
		st, err := c.c.RestartPlugin(ctx, rest[1])
		if err == nil {
			fmt.Fprintf(c.out, "%s restarted (pid %d)\n", st.Name, st.PID)
		}
		return err
	case verb == "models" && (sub == "ls" || sub == "list" || sub == ""):
		return c.models(ctx, rest)
	case verb == "models" && sub == "pull":
		return c.pull(ctx, rest[1:])
	case verb == "models" && (sub == "rm" || sub == "delete") && len(rest) == 2:
		if err := c.c.DeleteModel(ctx, rest[1]); err != nil {
			return err
		}
		fmt.Fprintf(c.out, "deleted %s\n", rest[1])
		return nil
	case verb == "models" && (sub == "cp" || sub == "copy"):
		return c.copyModel(ctx, rest[1:])
	case verb == "models" && sub == "create":
		return c.createModel(ctx, rest[1:])
	case verb == "models" && sub == "push":
		return c.push(ctx, rest[1:])
	case verb == "models" && sub == "load" && len(rest) == 2:
		return c.c.LoadModel(ctx, &client.ModelRequest{Model: rest[1]})
	case verb == "models" && sub == "unload" && len(rest) == 2:
		return c.c.UnloadModel(ctx, &client.ModelRequest{Model: rest[1]})
	case verb == "engines":
		return c.engines(ctx)
	case verb == "run" && len(rest) >= 2:
		return c.runChat(ctx, rest[0], strings.Join(rest[1:], " "))
	}
	return fmt.Errorf("unknown command %q; run `roundhouse help`", strings.Join(args, " "))
}

func (c *cli) status(ctx context.Context) error {
	h, err := c.c.Health(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(c.out, "host %s: %s, version %s, up %s\n", c.c.Host(), h.Status, h.Version, time.Duration(h.Uptime*float64(time.Second)).Round(time.Second))
	return c.plugins(ctx)
}

func (c *cli) version(ctx context.Context) error {
	v, err := c.c.Version(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(c.out, "host %s (sdk %s, protocol v%d, %s, %s)\n", v.Version, v.SDKVersion, v.ProtocolVersion, v.GoVersion, v.Platform)
	return nil
}

func (c *cli) plugins(ctx context.Context) error {
	ps, err := c.c.Plugins(ctx)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(c.out, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tTYPE\tVERSION\tSTATE\tPID\tRESTARTS\tSERVICES\tNOTE")
	for _, p := range ps {
		note := p.LastError
		if p.EngineMode != "" {
			note = "engine " + p.EngineMode + " at " + p.EngineHost
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%d\t%s\t%s\n", p.Name, p.Type, p.Version, p.State, p.PID, p.Restarts,
			strings.Join(p.Services, ","), note)
	}
	return tw.Flush()
}

func (c *cli) models(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("models ls", flag.ContinueOnError)
	running := fs.Bool("running", false, "only loaded models")
	if len(args) > 0 {
		args = args[1:]
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	ms, err := c.c.Models(ctx, *running)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(c.out, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "MODEL\tPLUGIN\tSIZE\tSTATE")
	for _, m := range ms {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", m.ID, m.Plugin, humanBytes(m.Size), m.State)
	}
	return tw.Flush()
}

func (c *cli) engines(ctx context.Context) error {
	es, err := c.c.Engines(ctx)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(c.out, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "PLUGIN\tINSTALLED\tRUNNING\tVERSION\tMODE\tHOST\tNOTE")
	for _, e := range es {
		if e.Engine == nil {
			msg := ""
			if e.Error != nil {
				msg = e.Error.Message
			}
			fmt.Fprintf(tw, "%s\t-\t-\t-\t-\t-\t%s\n", e.Plugin, msg)
			continue
		}
		en := e.Engine
		fmt.Fprintf(tw, "%s\t%v\t%v\t%s\t%s\t%s\t%s\n", e.Plugin, en.Installed, en.Running, en.Version, en.Mode, en.Host, en.LastError)
	}
	return tw.Flush()
}

func (c *cli) pull(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("models pull", flag.ContinueOnError)
	insecure := fs.Bool("insecure", false, "allow plain-HTTP registries")
	plugin := fs.String("plugin", "", "local plugin to pull with")
	var name string
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		name, args = args[0], args[1:]
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if name == "" && fs.NArg() > 0 {
		name = fs.Arg(0)
	}
	if name == "" {
		return fmt.Errorf("usage: roundhouse models pull NAME [--insecure] [--plugin P]")
	}
	bar := newProgressBar(c.out, isTerminal(c.out))
	err := c.c.Pull(ctx, &client.PullRequest{Model: name, Insecure: *insecure, Plugin: *plugin}, func(ev client.ProgressEvent) error {
		bar.update(ev)
		return nil
	})
	bar.finish(err)
	return err
}

func (c *cli) runChat(ctx context.Context, model, prompt string) error {
	req := &sdk.ChatRequest{Model: model, Messages: []sdk.Message{{Role: "user", Content: prompt}}}
	err := c.c.ChatStream(ctx, req, client.Options{}, func(ch *sdk.ChatChunk) error {
		_, err := io.WriteString(c.out, ch.Content)
		return err
	})
	fmt.Fprintln(c.out)
	return err
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}
