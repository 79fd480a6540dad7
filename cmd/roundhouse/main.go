// Command roundhouse runs the Roundhouse host (`roundhouse serve`) and
// talks to a running host (every other verb), through the public client
// package only.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/roundhouse-ai/roundhouse/client"
)

const usage = `roundhouse: one local host for AI engines and cloud AI APIs.

Usage:
  roundhouse serve [--config FILE] [--listen ADDR]   run the host
  roundhouse status                                  host health and plugins
  roundhouse version                                 host and CLI versions
  roundhouse plugins ls                              list plugins
  roundhouse plugins restart NAME                    restart a plugin
  roundhouse plugins new NAME [--dir D] [--sdk DIR]  write a buildable plugin skeleton with a conformance test
  roundhouse models ls [--running]                   list models
  roundhouse models pull NAME [--insecure] [--plugin P]   pull a model with a progress bar
  roundhouse models recommend [--service chat] [--plugin P]   models that fit this machine, to pull
  roundhouse models rm NAME                          delete a model
  roundhouse models cp SRC DST                       give a model a second name
  roundhouse models create NAME --from FILE.gguf | --modelfile FILE [--quantize Q] [--plugin P]
                                                     import a model file (uploaded with a progress bar)
  roundhouse models push NAME [--insecure] [--plugin P]   push a model to its registry
  roundhouse models load|unload NAME                 load or free a model
  roundhouse engines ls                              local engines
  roundhouse run MODEL PROMPT...                     chat once, streaming the answer
  roundhouse keys new NAME [--scope invoke,admin]    make a host API key and its config entry

Verbs other than serve and keys talk to the host at $ROUNDHOUSE_HOST (default 127.0.0.1:7700),
or the address given with --host ADDR before the verb, with the key in $ROUNDHOUSE_API_KEY
(or $ROUNDHOUSE_ADMIN_TOKEN) when the host requires one.
`

func main() {
	os.Exit(run(os.Args[1:]))
}

func run(args []string) int {
	host := ""
	for len(args) >= 2 && (args[0] == "--host" || args[0] == "-host") {
		host, args = args[1], args[2:]
	}
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		fmt.Print(usage)
		return 0
	}
	if args[0] == "serve" {
		return serve(args[1:])
	}
	if args[0] == "keys" {
		return keys(os.Stdout, args[1:])
	}
	if len(args) >= 2 && args[0] == "plugins" && args[1] == "new" {
		return newPlugin(os.Stdout, args[2:])
	}
	if host != "" {
		os.Setenv("ROUNDHOUSE_HOST", host)
	}
	c, err := client.FromEnvironment()
	if err != nil {
		return fail(err)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	cli := &cli{c: c, out: os.Stdout}
	if err := cli.dispatch(ctx, args); err != nil {
		return fail(err)
	}
	return 0
}

func fail(err error) int {
	var se *client.StatusError
	if errors.As(err, &se) {
		fmt.Fprintln(os.Stderr, "error:", se.Error())
		return 1
	}
	fmt.Fprintln(os.Stderr, "error:", err)
	return 1
}
