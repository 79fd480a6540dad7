package main

import (
	"bytes"
	"embed"
	"flag"
	"fmt"
	"go/format"
	"io"
	"os"
	"path/filepath"
	"strings"
	"text/template"

	"github.com/roundhouse-ai/roundhouse/sdk/manifest"
)

// skeleton holds the files `roundhouse plugins new` writes: a buildable
// chat plugin with its manifest and a test running the conformance suite.
//
//go:embed skeleton/*.tmpl
var skeleton embed.FS

type skeletonData struct {
	Name, Model, Type, Module, SDKDir string
}

// newPlugin writes a plugin skeleton. It needs no host: it runs before the
// client is made.
func newPlugin(out io.Writer, args []string) int {
	fs := flag.NewFlagSet("plugins new", flag.ContinueOnError)
	dir := fs.String("dir", "", "directory to create (default ./NAME)")
	module := fs.String("module", "", "Go module path (default example.com/NAME)")
	sdkDir := fs.String("sdk", "", "a local Roundhouse checkout to build against (adds a replace directive)")
	var name string
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		name, args = args[0], args[1:]
	}
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if name == "" && fs.NArg() > 0 {
		name = fs.Arg(0)
	}
	if !manifest.ValidName(name) {
		fmt.Fprintln(os.Stderr, "usage: roundhouse plugins new NAME [--dir DIR] [--module PATH] [--sdk DIR]\n"+
			"NAME: lower case letters, digits, '-' or '_'")
		return 2
	}
	d := skeletonData{Name: name, Model: name + "-1", Type: "local", Module: *module}
	if d.Module == "" {
		d.Module = "example.com/" + name
	}
	if *sdkDir != "" {
		abs, err := filepath.Abs(*sdkDir)
		if err != nil {
			return fail(err)
		}
		if _, err := os.Stat(filepath.Join(abs, "sdk", "serve.go")); err != nil {
			return fail(fmt.Errorf("--sdk %s: not a Roundhouse checkout (no sdk/serve.go)", abs))
		}
		d.SDKDir = abs
	}
	if *dir == "" {
		*dir = name
	}
	if _, err := os.Stat(*dir); err == nil {
		return fail(fmt.Errorf("%s already exists; choose another --dir", *dir))
	}
	if err := writeSkeleton(*dir, d); err != nil {
		return fail(err)
	}
	fmt.Fprintf(out, "wrote plugin %s in %s\n\nnext:\n  cd %s\n  go mod tidy\n  go test ./...\n  go build -o roundhouse-plugin-%s .\n",
		name, *dir, *dir, name)
	if d.SDKDir == "" {
		fmt.Fprintln(out, "\n(the SDK is fetched as github.com/roundhouse-ai/roundhouse; pass --sdk DIR to build against a local checkout)")
	}
	return 0
}

func writeSkeleton(dir string, d skeletonData) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	entries, err := skeleton.ReadDir("skeleton")
	if err != nil {
		return err
	}
	for _, e := range entries {
		tmpl, err := template.ParseFS(skeleton, "skeleton/"+e.Name())
		if err != nil {
			return err
		}
		name := strings.TrimSuffix(e.Name(), ".tmpl")
		var buf bytes.Buffer
		if err := tmpl.Execute(&buf, d); err != nil {
			return err
		}
		src := buf.Bytes()
		if strings.HasSuffix(name, ".go") {
			if src, err = format.Source(src); err != nil {
				return fmt.Errorf("%s: %w", name, err)
			}
		}
		if err := os.WriteFile(filepath.Join(dir, name), src, 0o644); err != nil {
			return err
		}
	}
	return nil
}
