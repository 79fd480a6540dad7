package main

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"flag"
	"fmt"
	"github.com/spf13/cobra"
	"io"
	"os"
	"strings"

	"github.com/roundhouse-ai/roundhouse/host/config"
)

// keys makes a host API key: 32 random bytes, shown once; the config
// keeps only its SHA-256, so a leaked config file does not leak the key.
func keys(out io.Writer, args []string) int {
	if len(args) < 2 || args[0] != "new" {
		fmt.Fprintln(os.Stderr, "usage: roundhouse keys new NAME [--scope invoke,admin]")
		return 2
	}
	name := args[1]
	fs := flag.NewFlagSet("keys new", flag.ContinueOnError)
	scope := fs.String("scope", config.ScopeInvoke, "comma-separated scopes: invoke, admin")
	if err := fs.Parse(args[2:]); err != nil {
		return 2
	}
	var scopes []string
	for _, s := range strings.Split(*scope, ",") {
		s = strings.TrimSpace(s)
		if s != config.ScopeInvoke && s != config.ScopeAdmin {
			fmt.Fprintf(os.Stderr, "error: scope %q must be invoke or admin\n", s)
			return 2
		}
		scopes = append(scopes, s)
	}
	var raw [32]byte
	if _, err := rand.Read(raw[:]); err != nil {
		return fail(err)
	}
	key := "rh-" + hex.EncodeToString(raw[:])
	sum := sha256.Sum256([]byte(key))
	fmt.Fprintf(out, "key (shown once; give it to the app as Authorization: Bearer <key>):\n  %s\n\n", key)
	fmt.Fprintf(out, "add to the host config under api_keys:\n  - name: %s\n    sha256: %s\n    scopes: [%s]\n",
		name, hex.EncodeToString(sum[:]), strings.Join(scopes, ", "))
	return 0
}

// keysCmd is `roundhouse keys new NAME [--scope invoke,admin]`; it needs
// no host.
func (c *cli) keysCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "keys", Short: "Make host API keys"}
	cmd.AddCommand(&cobra.Command{
		Use:                "new NAME [--scope invoke,admin]",
		Short:              "Make a host API key and its config entry",
		DisableFlagParsing: true,
		RunE: func(_ *cobra.Command, a []string) error {
			return exitCode(keys(c.out, append([]string{"new"}, a...)))
		},
	})
	return cmd
}

// exitCode turns a command's exit code into its error.
func exitCode(code int) error {
	if code == 0 {
		return nil
	}
	return &codeError{code: code}
}
