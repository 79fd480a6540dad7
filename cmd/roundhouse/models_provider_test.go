package main

import (
	"bytes"
	"context"
	"io"
	"strings"
	"testing"
)

// remoteInventory has a local model and two of a remote plugin's
// provider instances.
const remoteInventory = `{"models":[{"name":"tiny:latest","size":1500000,"plugin":"echo","type":"local"},` +
	`{"name":"gpt-x","plugin":"openai","type":"remote","provider":"main","services":["chat","embed"]},` +
	`{"name":"gpt-y","plugin":"openai","type":"remote","provider":"backup","context_length":128000}]}`

// Models of remote plugins are listed with their provider instance: a
// PROVIDER column in the table (only then: TestTablesAligned's
// models_ls.table.golden has none), a "provider" field in --json and a
// provider row in `models show`.
func TestGoldenModelsProvider(t *testing.T) {
	c := fakeHostWith(t, map[string]string{"GET /v1/inventory": remoteInventory})
	for _, tc := range []struct {
		golden string
		args   []string
	}{
		{"models_ls_provider.golden", []string{"models", "ls", "--json"}},
		{"models_ls_provider.table.golden", []string{"models", "ls"}},
		{"models_show_provider.golden", []string{"models", "show", "gpt-x", "--json"}},
		{"models_show_provider.txt.golden", []string{"models", "show", "gpt-x"}},
	} {
		t.Run(tc.golden, func(t *testing.T) {
			var out bytes.Buffer
			if err := (&cli{c: c, out: &out, errOut: io.Discard}).dispatch(context.Background(), tc.args); err != nil {
				t.Fatal(err)
			}
			checkGolden(t, tc.golden, out.Bytes())
			if !strings.Contains(strings.ToLower(out.String()), "provider") || !strings.Contains(out.String(), "main") {
				t.Errorf("no provider in:\n%s", out.String())
			}
		})
	}
}
