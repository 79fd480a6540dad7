package main

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/roundhouse-ai/roundhouse/client"
)

// registryCmd manages the credentials the host uses to pull from and push
// to private model registries. Secrets are read from stdin only: a
// command line shows in shell history and ps.
func (c *cli) registryCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "registry", Aliases: []string{"registries"}, Short: "Credentials for private model registries (pull and push)"}
	var username string
	var passwordStdin, tokenStdin, noVerify, insecure bool
	login := &cobra.Command{
		Use:   "login HOST [--username U] (--password-stdin | --token-stdin)",
		Short: "Save the credentials of a registry host",
		Long: "Save the credentials of a registry host (as written in model names: registry.example.com,\n" +
			"127.0.0.1:5000). Pulls and pushes of models named HOST/... use them from then on.\n" +
			"The password or token is read from stdin (one line; a trailing newline is dropped), never\n" +
			"from the command line. The host first logs in to the registry with them (as a pull would;\n" +
			"--insecure for a registry without TLS, --no-verify to skip), then stores them in a 0600\n" +
			"file and shows them masked.\n\n" +
			"  echo \"$REGISTRY_PASSWORD\" | roundhouse registry login registry.example.com --username me --password-stdin",
		Args: args(1, 1),
		RunE: c.run(func(ctx context.Context, cl *client.Client, a []string) error {
			if passwordStdin == tokenStdin {
				return &usageError{msg: "give one of --password-stdin (with --username) or --token-stdin"}
			}
			if passwordStdin && username == "" {
				return &usageError{msg: "--password-stdin needs --username"}
			}
			secret, err := readSecret(c.in)
			if err != nil {
				return err
			}
			if secret == "" {
				return &usageError{msg: "nothing was read from stdin: pipe the password or token in"}
			}
			login := client.RegistryLogin{Username: username, Verify: !noVerify, Insecure: insecure}
			if passwordStdin {
				login.Password = secret
			} else {
				login.Token = secret
			}
			r, err := cl.SetRegistry(ctx, a[0], login)
			if err != nil {
				return err
			}
			if c.json {
				return c.printJSON(r)
			}
			who := ""
			if r.Username != "" {
				who = " as " + r.Username
			}
			fmt.Fprintf(c.out, "saved credentials for %s%s\n", r.Host, who)
			return nil
		}),
	}
	f := login.Flags()
	f.StringVarP(&username, "username", "u", "", "user name at the registry")
	f.BoolVar(&passwordStdin, "password-stdin", false, "read the password from stdin")
	f.BoolVar(&tokenStdin, "token-stdin", false, "read a token from stdin (sent as the password of the registry's token request)")
	f.BoolVar(&noVerify, "no-verify", false, "save without logging in to the registry first")
	f.BoolVar(&insecure, "insecure", false, "the registry speaks plain HTTP (for the login check)")
	cmd.AddCommand(login)
	cmd.AddCommand(&cobra.Command{
		Use:     "ls",
		Aliases: []string{"list"},
		Short:   "List registry hosts with saved credentials (secrets masked)",
		Args:    args(0, 0),
		RunE: c.run(func(ctx context.Context, cl *client.Client, _ []string) error {
			rs, err := cl.Registries(ctx)
			if err != nil {
				return err
			}
			if c.json {
				return c.printJSON(client.RegistryList{Registries: nonNil(rs)})
			}
			tw := c.table()
			fmt.Fprintln(tw, "HOST\tUSERNAME\tPASSWORD\tTOKEN\tUPDATED")
			for _, r := range rs {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", r.Host, dash(r.Username), dash(r.Password), dash(r.Token), r.UpdatedAt.UTC().Format("2006-01-02 15:04"))
			}
			return tw.Flush()
		}),
	})
	cmd.AddCommand(&cobra.Command{
		Use:   "logout HOST",
		Short: "Forget the credentials of a registry host",
		Args:  args(1, 1),
		RunE: c.run(func(ctx context.Context, cl *client.Client, a []string) error {
			if err := cl.DeleteRegistry(ctx, a[0]); err != nil {
				return err
			}
			fmt.Fprintf(c.out, "removed credentials for %s\n", a[0])
			return nil
		}),
	})
	return cmd
}

// readSecret reads one secret from r: the first line, without its line
// ending (what `echo $X |` and a password manager pipe give).
func readSecret(r io.Reader) (string, error) {
	if r == nil {
		return "", nil
	}
	b, err := io.ReadAll(io.LimitReader(r, 64<<10))
	if err != nil {
		return "", err
	}
	line, _, _ := strings.Cut(string(b), "\n")
	return strings.TrimRight(line, "\r"), nil
}
