// Command roundhouse runs the Roundhouse host (`roundhouse serve`) and
// talks to a running host (every other verb), through the public client
// package only.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	os.Exit(run(os.Args[1:]))
}

// run executes the command line and returns the process exit code (see
// exitHelp). SIGTERM cancels the command; SIGINT too (exit 130), except where a
// command takes it over (chat: Ctrl-C stops the answer, not the REPL).
func run(args []string) int {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM)
	defer stop()
	cl := &cli{in: os.Stdin, out: os.Stdout, errOut: os.Stderr}
	return cl.execute(ctx, args)
}
