package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/roundhouse-ai/roundhouse/client"
	"github.com/roundhouse-ai/roundhouse/types"
)

// routeFlags are the routing flags of chat, run and invoke.
type routeFlags struct {
	plugin string
	policy string
}

func (r *routeFlags) add(cmd *cobra.Command) {
	cmd.Flags().StringVar(&r.plugin, "plugin", "", "send the call to this plugin")
	cmd.Flags().StringVar(&r.policy, "policy", "", "auto (default), local or remote")
}

func (r *routeFlags) options(cmd *cobra.Command) (client.Options, error) {
	switch p := client.Policy(r.policy); p {
	case "", client.PolicyAuto, client.PolicyLocal, client.PolicyRemote:
		return client.Options{Policy: p, Plugin: r.plugin}, nil
	}
	return client.Options{}, usagef(cmd, "--policy %q: use auto, local or remote", r.policy)
}

func (c *cli) runCmd() *cobra.Command {
	var rf routeFlags
	var system string
	cmd := &cobra.Command{
		Use:   "run MODEL [PROMPT...]",
		Short: "Ask a model once and stream the answer (the prompt is read from stdin when not given)",
		Args:  args(1, -1),
		RunE: func(cmd *cobra.Command, a []string) error {
			o, err := rf.options(cmd)
			if err != nil {
				return err
			}
			prompt := strings.Join(a[1:], " ")
			if prompt == "" {
				data, err := io.ReadAll(c.in)
				if err != nil {
					return err
				}
				prompt = strings.TrimSpace(string(data))
				if prompt == "" {
					return usagef(cmd, "no prompt: give one after the model or on stdin")
				}
			}
			return c.run(func(ctx context.Context, cl *client.Client, _ []string) error {
				msgs := []types.Message{{Role: "user", Content: prompt}}
				if system != "" {
					msgs = append([]types.Message{{Role: "system", Content: system}}, msgs...)
				}
				_, err := c.streamAnswer(ctx, cl, &types.ChatRequest{Model: a[0], Messages: msgs}, o)
				return err
			})(cmd, a)
		},
	}
	rf.add(cmd)
	cmd.Flags().StringVar(&system, "system", "", "system prompt")
	return cmd
}

// streamAnswer streams one chat answer to the output and returns it.
func (c *cli) streamAnswer(ctx context.Context, cl *client.Client, req *types.ChatRequest, o client.Options) (string, error) {
	var sb strings.Builder
	err := cl.ChatStream(ctx, req, o, func(ch *types.ChatChunk) error {
		sb.WriteString(ch.Content)
		_, err := io.WriteString(c.out, ch.Content)
		return err
	})
	if sb.Len() > 0 && !strings.HasSuffix(sb.String(), "\n") {
		fmt.Fprintln(c.out)
	}
	return sb.String(), err
}

func (c *cli) chatCmd() *cobra.Command {
	var rf routeFlags
	var system string
	cmd := &cobra.Command{
		Use:   "chat [MODEL]",
		Short: "Chat with a model: an interactive streaming session",
		Long: `Chat with a model (default: the host's default chat model). Type a message and press Enter;
start and end a message with """ to write several lines. Ctrl-C stops the answer being written
(not the session); /bye or Ctrl-D leaves; /clear forgets the conversation.`,
		Args: args(0, 1),
		RunE: func(cmd *cobra.Command, a []string) error {
			o, err := rf.options(cmd)
			if err != nil {
				return err
			}
			cl, err := c.client()
			if err != nil {
				return err
			}
			model := ""
			if len(a) == 1 {
				model = a[0]
			}
			return c.chat(cmd.Context(), cl, model, system, o)
		},
	}
	rf.add(cmd)
	cmd.Flags().StringVar(&system, "system", "", "system prompt")
	return cmd
}

// chat is the REPL. Lines are read in a goroutine so that Ctrl-C can be
// told apart from input: during an answer it cancels the answer; at the
// prompt it reminds how to leave.
func (c *cli) chat(ctx context.Context, cl *client.Client, model, system string, o client.Options) error {
	// Cancelled on return, so the reader stops handing over lines.
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	interactive := isTerminal(c.in)
	lines := make(chan string)
	readErr := make(chan error, 1)
	go func() {
		br := bufio.NewReader(c.in)
		for {
			l, err := br.ReadString('\n')
			if l != "" || err == nil {
				select {
				case lines <- strings.TrimRight(l, "\r\n"):
				case <-ctx.Done():
					return
				}
			}
			if err != nil {
				readErr <- err
				return
			}
		}
	}()
	sigs, stop := c.notifyInterrupt()
	defer stop()
	var history []types.Message
	if system != "" {
		history = append(history, types.Message{Role: "system", Content: system})
	}
	prompt := func(p string) {
		if interactive {
			fmt.Fprint(c.out, p)
		}
	}
	if interactive {
		fmt.Fprintln(c.out, `Type a message (""" for several lines; Ctrl-C stops an answer; /bye leaves).`)
	}
	var block []string
	inBlock := false
	prompt(">>> ")
	for {
		var line string
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-sigs:
			block, inBlock = nil, false
			fmt.Fprintln(c.out, "\n(use /bye or Ctrl-D to leave)")
			prompt(">>> ")
			continue
		case err := <-readErr:
			if interactive {
				fmt.Fprintln(c.out)
			}
			if errors.Is(err, io.EOF) {
				return nil
			}
			return err
		case line = <-lines:
		}
		text := ""
		switch {
		case inBlock:
			if before, ok := strings.CutSuffix(line, `"""`); ok {
				block = append(block, before)
				text, block, inBlock = strings.Join(block, "\n"), nil, false
			} else {
				block = append(block, line)
				prompt("... ")
				continue
			}
		case strings.HasPrefix(strings.TrimSpace(line), `"""`):
			rest := strings.TrimPrefix(strings.TrimSpace(line), `"""`)
			if body, ok := strings.CutSuffix(rest, `"""`); ok && rest != "" {
				text = body
				break
			}
			block, inBlock = []string{rest}, true
			if rest == "" {
				block = nil
			}
			prompt("... ")
			continue
		default:
			text = line
			switch t := strings.TrimSpace(line); {
			case t == "/bye" || t == "/exit":
				return nil
			case t == "/clear":
				history = history[:0]
				if system != "" {
					history = append(history, types.Message{Role: "system", Content: system})
				}
				fmt.Fprintln(c.out, "(conversation cleared)")
				prompt(">>> ")
				continue
			case t == "/help" || t == "/?":
				fmt.Fprintln(c.out, `/bye leaves, /clear forgets the conversation, """ starts and ends a message of several lines; Ctrl-C stops an answer`)
				prompt(">>> ")
				continue
			case t == "":
				prompt(">>> ")
				continue
			}
		}
		history = append(history, types.Message{Role: "user", Content: text})
		answer, err := c.answer(ctx, cl, sigs, &types.ChatRequest{Model: model, Messages: history}, o)
		switch {
		case err == nil:
			history = append(history, types.Message{Role: "assistant", Content: answer})
		case errors.Is(err, errStopped):
			// The question stays unanswered: leave it out of what the
			// model sees next.
			history = history[:len(history)-1]
			fmt.Fprintln(c.out, "(stopped)")
		default:
			history = history[:len(history)-1]
			_, msg := describeError(err)
			fmt.Fprintln(c.errOut, c.paint(c.errOut, colRed, "error:")+" "+msg)
			if errors.Is(err, client.ErrHostDown) {
				return err
			}
		}
		prompt(">>> ")
	}
}

// errStopped is an answer stopped with Ctrl-C.
var errStopped = errors.New("stopped")

// answer streams one answer; Ctrl-C cancels it and answer returns
// errStopped.
func (c *cli) answer(ctx context.Context, cl *client.Client, sigs <-chan os.Signal, req *types.ChatRequest, o client.Options) (string, error) {
	actx, cancel := context.WithCancel(ctx)
	defer cancel()
	stopped := make(chan struct{})
	done := make(chan struct{})
	go func() {
		select {
		case <-sigs:
			close(stopped)
			cancel()
		case <-done:
		}
	}()
	text, err := c.streamAnswer(actx, cl, req, o)
	close(done)
	select {
	case <-stopped:
		return text, errStopped
	default:
	}
	return text, err
}
