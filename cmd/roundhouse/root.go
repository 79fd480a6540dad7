package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"sync/atomic"
	"text/tabwriter"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/roundhouse-ai/roundhouse/client"
	"github.com/roundhouse-ai/roundhouse/types"
)

// Exit codes, documented in `roundhouse --help` and the README.
const (
	exitOK          = 0
	exitError       = 1
	exitUsage       = 2
	exitNotFound    = 3
	exitUnreachable = 4
	// exitInterrupted is 128+SIGINT, what shells, docker and kubectl
	// report for Ctrl-C.
	exitInterrupted = 130
)

const exitHelp = `Exit codes:
  0  success
  1  error (the host refused or failed the request)
  2  usage error (unknown verb, bad flag or argument)
  3  not found (no such model, plugin, provider, service or pull)
  4  host unreachable (start it with ` + "`roundhouse serve`" + ` or pass --host)
  130  interrupted by Ctrl-C (SIGINT); in ` + "`chat`" + ` Ctrl-C stops the answer instead

Environment:
  ROUNDHOUSE_HOST         host address (default 127.0.0.1:7700); --host wins
  ROUNDHOUSE_API_KEY      API key sent as Authorization: Bearer; --token wins
  ROUNDHOUSE_ADMIN_TOKEN  admin token, when no API key is set
  NO_COLOR                no colour, even on a terminal
`

// cli is one run of the command: its streams, global flags and client.
type cli struct {
	// c is the client; nil until a verb needs it (tests set it).
	c      *client.Client
	in     io.Reader
	out    io.Writer
	errOut io.Writer

	host  string
	token string
	json  bool

	// interrupted is set when Ctrl-C cancelled a verb: exit 130.
	interrupted atomic.Bool
}

// usageError is a bad command line: exit code 2.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(cmd *cobra.Command, format string, args ...any) error {
	return &usageError{msg: fmt.Sprintf(format, args...) + "; usage: " + cmd.UseLine()}
}

// codeError carries an exit code decided by the command itself (serve,
// keys, plugins new).
type codeError struct{ code int }

func (e *codeError) Error() string { return fmt.Sprintf("exit %d", e.code) }

// args checks the number of positional arguments and reports a usage
// error naming the command's usage line.
func args(min, max int) cobra.PositionalArgs {
	return func(cmd *cobra.Command, a []string) error {
		if len(a) < min || (max >= 0 && len(a) > max) {
			switch {
			case max == 0:
				return usagef(cmd, "%s takes no arguments", cmd.CommandPath())
			case len(a) < min:
				return usagef(cmd, "%s needs more arguments", cmd.CommandPath())
			default:
				return usagef(cmd, "%s: unexpected argument %q", cmd.CommandPath(), a[max])
			}
		}
		return nil
	}
}

// client returns the client, made from --host, --token and the
// environment on first use.
func (c *cli) client() (*client.Client, error) {
	if c.c != nil {
		return c.c, nil
	}
	opts := envToken()
	if c.token != "" {
		opts = append(opts, client.WithAPIKey(c.token))
	}
	host := c.host
	if host == "" {
		host = os.Getenv("ROUNDHOUSE_HOST")
	}
	cl, err := client.New(host, nil, opts...)
	if err != nil {
		return nil, &usageError{msg: "host address: " + err.Error() + " (give --host HOST:PORT)"}
	}
	c.c = cl
	return cl, nil
}

// envToken is the token options from the environment; --token comes
// after them and wins.
func envToken() []client.Option {
	opts := []client.Option{client.WithAdminToken(os.Getenv("ROUNDHOUSE_ADMIN_TOKEN"))}
	if k := os.Getenv("ROUNDHOUSE_API_KEY"); k != "" {
		opts = append(opts, client.WithAPIKey(k))
	}
	return opts
}

// execute runs the command line and returns the exit code, printing a
// one-line error with a hint on failure.
func (c *cli) execute(ctx context.Context, argv []string) int {
	err := c.dispatch(ctx, argv)
	if c.interrupted.Load() {
		// Whatever the cancelled verb made of it (a cancelled request,
		// a stream cut short, or a clean stop), Ctrl-C is exit 130.
		fmt.Fprintln(c.errOut, "interrupted")
		return exitInterrupted
	}
	if err == nil {
		return exitOK
	}
	var ee *codeError
	if errors.As(err, &ee) {
		return ee.code
	}
	code, msg := describeError(err)
	fmt.Fprintln(c.errOut, c.paint(c.errOut, colRed, "error:")+" "+msg)
	return code
}

// dispatch runs the command line and returns its error.
func (c *cli) dispatch(ctx context.Context, argv []string) error {
	root := c.root()
	root.SetArgs(argv)
	root.SetIn(c.in)
	root.SetOut(c.out)
	root.SetErr(c.errOut)
	_, err := root.ExecuteContextC(ctx)
	if err != nil && isCobraUsage(err) {
		return &usageError{msg: err.Error() + " (run `roundhouse --help`)"}
	}
	return err
}

// isCobraUsage recognises the untyped errors cobra and pflag make for bad
// command lines; the verbs' own errors are typed and never match.
func isCobraUsage(err error) bool {
	var se *client.StatusError
	var ue *usageError
	var ce *codeError
	if errors.As(err, &se) || errors.As(err, &ue) || errors.As(err, &ce) {
		return false
	}
	s := err.Error()
	for _, p := range []string{"unknown command", "unknown flag", "unknown shorthand flag", "flag needs an argument",
		"invalid argument", "required flag"} {
		if strings.HasPrefix(s, p) {
			return true
		}
	}
	return false
}

// describeError turns err into an exit code and one line: what went
// wrong and what to do next.
func describeError(err error) (int, string) {
	var ue *usageError
	if errors.As(err, &ue) {
		return exitUsage, ue.msg
	}
	if errors.Is(err, client.ErrHostDown) {
		return exitUnreachable, oneLine(err.Error())
	}
	if errors.Is(err, context.Canceled) {
		return exitError, "interrupted"
	}
	var se *client.StatusError
	if !errors.As(err, &se) {
		return exitError, oneLine(err.Error())
	}
	msg := oneLine(se.Error())
	switch code := se.Code(); {
	case code == types.CodeModelNotFound:
		return exitNotFound, msg + "; hint: `roundhouse models ls` lists models, `roundhouse models pull NAME` fetches one"
	case code == types.CodePluginNotFound:
		return exitNotFound, msg + "; hint: `roundhouse plugins ls` lists plugins"
	case code == types.CodeServiceNotFound:
		return exitNotFound, msg + "; hint: `roundhouse invoke --help` lists the services"
	case code == types.CodeNotFound || se.StatusCode == 404:
		return exitNotFound, msg
	case code == types.CodeUnauthenticated || se.StatusCode == 401:
		return exitError, msg + "; hint: pass --token KEY or set ROUNDHOUSE_API_KEY"
	case code == types.CodePermissionDenied || se.StatusCode == 403:
		return exitError, msg + "; hint: this needs an admin token or an API key with the admin scope"
	case code == types.CodeEngineNotInstalled:
		return exitError, msg + "; hint: `roundhouse engines install PLUGIN`"
	}
	return exitError, msg
}

// fail prints err for the verbs that return their own exit code.
func fail(err error) int {
	fmt.Fprintln(os.Stderr, "error:", oneLine(err.Error()))
	return exitError
}

func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

// Colours: only on a terminal, never with NO_COLOR.
const (
	colRed    = "31"
	colGreen  = "32"
	colYellow = "33"
)

func (c *cli) paint(w io.Writer, col, s string) string {
	if !useColour(w) {
		return s
	}
	return "\x1b[" + col + "m" + s + "\x1b[0m"
}

func useColour(w io.Writer) bool {
	if _, ok := os.LookupEnv("NO_COLOR"); ok {
		return false
	}
	return isTerminal(w)
}

// isTerminal says whether the stream (a reader or a writer) is a
// terminal.
func isTerminal(stream any) bool {
	f, ok := stream.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// table writes aligned columns.
func (c *cli) table() *tabwriter.Writer {
	return tabwriter.NewWriter(c.out, 2, 4, 2, ' ', 0)
}

// printJSON writes v as indented JSON (--json).
func (c *cli) printJSON(v any) error {
	enc := json.NewEncoder(c.out)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// notifyInterrupt delivers Ctrl-C to ch until stop is called.
func (c *cli) notifyInterrupt() (<-chan os.Signal, func()) {
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, os.Interrupt)
	return ch, func() { signal.Stop(ch) }
}

// withInterrupt cancels ctx on Ctrl-C (for every verb but chat).
func (c *cli) withInterrupt(ctx context.Context) (context.Context, func()) {
	ctx, cancel := context.WithCancel(ctx)
	ch, stop := c.notifyInterrupt()
	done := make(chan struct{})
	go func() {
		select {
		case <-ch:
			c.interrupted.Store(true)
			cancel()
		case <-done:
		}
	}()
	return ctx, func() { close(done); stop(); cancel() }
}
