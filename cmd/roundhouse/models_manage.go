package main

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"unicode"

	"github.com/spf13/cobra"

	"github.com/roundhouse-ai/roundhouse/client"
)

func (c *cli) copyCmd() *cobra.Command {
	var plugin string
	cmd := &cobra.Command{
		Use:     "cp SRC DST",
		Aliases: []string{"copy"},
		Short:   "Give a model a second name",
		Args:    args(2, 2),
		RunE: c.run(func(ctx context.Context, cl *client.Client, a []string) error {
			if err := cl.CopyModel(ctx, &client.CopyRequest{Source: a[0], Destination: a[1], Plugin: plugin}); err != nil {
				return err
			}
			fmt.Fprintf(c.out, "copied %s to %s\n", a[0], a[1])
			return nil
		}),
	}
	cmd.Flags().StringVar(&plugin, "plugin", "", "local plugin that has SRC")
	return cmd
}

func (c *cli) pushCmd() *cobra.Command {
	var insecure bool
	var plugin string
	cmd := &cobra.Command{
		Use:   "push NAME",
		Short: "Push a model to its registry",
		Args:  args(1, 1),
		RunE: c.run(func(ctx context.Context, cl *client.Client, a []string) error {
			pr := newProgress(c.out, isTerminal(c.out), "pushing")
			err := cl.PushModel(ctx, &client.PushRequest{Model: a[0], Insecure: insecure, Plugin: plugin}, func(ev client.ProgressEvent) error {
				pr.update(ev)
				return nil
			})
			pr.finish(err)
			return err
		}),
	}
	cmd.Flags().BoolVar(&insecure, "insecure", false, "allow plain-HTTP and unverified-TLS registries")
	cmd.Flags().StringVar(&plugin, "plugin", "", "local plugin that has the model")
	return cmd
}

// createCmd is `roundhouse models create NAME --from FILE | --modelfile
// FILE`: a model file on this machine is uploaded as a blob (with a
// progress bar; resumable, see client.UploadBlob), then the model is
// created from it.
func (c *cli) createCmd() *cobra.Command {
	var from, modelfile, quantize, plugin string
	cmd := &cobra.Command{
		Use:   "create NAME (--from FILE.gguf | --modelfile FILE)",
		Short: "Import a model file, or make a model from a Modelfile",
		Long: "Import a model file, or make a model from a Modelfile.\n\n" +
			"The file is uploaded resumably: it is hashed while it is sent, a dropped connection or a host restart is " +
			"retried from the bytes the host already has, and running the same command again after Ctrl-C continues " +
			"where it stopped (the state is kept under the user cache dir, roundhouse/uploads). Run again after it " +
			"finished, the upload is skipped when the host has the file.",
		Args: args(1, 1),
		RunE: func(cmd *cobra.Command, a []string) error {
			if (from == "") == (modelfile == "") {
				return usagef(cmd, "give one of --from or --modelfile")
			}
			return c.run(func(ctx context.Context, cl *client.Client, a []string) error {
				return c.createModel(ctx, cl, a[0], from, modelfile, quantize, plugin)
			})(cmd, a)
		},
	}
	cmd.Flags().StringVar(&from, "from", "", "model file (GGUF) to import")
	cmd.Flags().StringVar(&modelfile, "modelfile", "", "Modelfile: FROM (a file or a model name), TEMPLATE, SYSTEM, PARAMETER")
	cmd.Flags().StringVar(&quantize, "quantize", "", "quantize to this type (q4_K_M, q8_0...)")
	cmd.Flags().StringVar(&plugin, "plugin", "", "local plugin to create with")
	return cmd
}

func (c *cli) createModel(ctx context.Context, cl *client.Client, name, from, modelfile, quantize, plugin string) error {
	req := &client.CreateRequest{Model: name, Quantize: quantize, Plugin: plugin}
	file := from
	if modelfile != "" {
		mf, err := readModelfile(modelfile)
		if err != nil {
			return err
		}
		req.Template, req.System, req.Parameters = mf.Template, mf.System, mf.Parameters
		if mf.FromFile != "" {
			file = mf.FromFile
		} else {
			req.From = mf.From
		}
	}
	if file != "" {
		st, err := os.Stat(file)
		if err != nil {
			return err
		}
		if st.IsDir() {
			return fmt.Errorf("%s is a directory: only a single model file (GGUF) can be imported", file)
		}
		pr := newProgress(c.out, isTerminal(c.out), "")
		up, err := cl.UploadBlob(ctx, file, func(ev client.ProgressEvent) error {
			pr.update(ev)
			return nil
		})
		pr.close()
		if err != nil {
			return fmt.Errorf("uploading %s: %w", file, err)
		}
		req.Files = map[string]string{filepath.Base(file): up.Digest}
	}
	pr := newProgress(c.out, isTerminal(c.out), "creating")
	err := cl.CreateModel(ctx, req, func(ev client.ProgressEvent) error {
		pr.update(ev)
		return nil
	})
	pr.finish(err)
	return err
}

// modelfile is what `models create --modelfile` reads from a Modelfile.
type modelfile struct {
	// From is a base model name; FromFile a model file on this machine
	// (resolved against the Modelfile's directory). One is set.
	From       string
	FromFile   string
	Template   string
	System     string
	Parameters map[string]any
}

func readModelfile(path string) (*modelfile, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	mf, err := parseModelfile(string(data))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	// FROM names a file when it is a path that exists (relative to the
	// Modelfile), as Ollama reads it; otherwise it is a model name.
	if mf.From != "" {
		cand := mf.From
		if strings.HasPrefix(cand, "~/") {
			if home, err := os.UserHomeDir(); err == nil {
				cand = filepath.Join(home, cand[2:])
			}
		}
		if !filepath.IsAbs(cand) {
			cand = filepath.Join(filepath.Dir(path), cand)
		}
		if _, err := os.Stat(cand); err == nil {
			mf.FromFile, mf.From = cand, ""
		} else if looksLikePath(mf.From) {
			return nil, fmt.Errorf("%s: FROM %s: %w", path, mf.From, err)
		}
	}
	return mf, nil
}

// looksLikePath says whether a FROM value can only be meant as a file.
func looksLikePath(s string) bool {
	return strings.HasPrefix(s, "./") || strings.HasPrefix(s, "../") || strings.HasPrefix(s, "/") ||
		strings.HasPrefix(s, "~/") || strings.HasSuffix(strings.ToLower(s), ".gguf")
}

// parseModelfile reads the Modelfile instructions Roundhouse carries:
// FROM, TEMPLATE, SYSTEM and PARAMETER (case-insensitive; values may be
// "quoted" or """triple-quoted""" over several lines; # starts a comment
// line). A repeated PARAMETER stop adds a stop sequence; other parameters
// are numbers or booleans when they read as one. Any other instruction
// (ADAPTER, LICENSE, MESSAGE...) is refused rather than dropped.
func parseModelfile(text string) (*modelfile, error) {
	mf := &modelfile{}
	sc := bufio.NewScanner(strings.NewReader(text))
	sc.Buffer(make([]byte, 0, 64<<10), 16<<20)
	line := 0
	for sc.Scan() {
		line++
		l := strings.TrimSpace(sc.Text())
		if l == "" || strings.HasPrefix(l, "#") {
			continue
		}
		cmd, rest := splitWord(l)
		start := line
		// A triple-quoted value runs until the closing """.
		if strings.HasPrefix(rest, `"""`) {
			body := rest[3:]
			for !strings.Contains(body, `"""`) {
				if !sc.Scan() {
					return nil, fmt.Errorf("line %d: unterminated \"\"\"", start)
				}
				line++
				body += "\n" + sc.Text()
			}
			end := strings.Index(body, `"""`)
			if strings.TrimSpace(body[end+3:]) != "" {
				return nil, fmt.Errorf("line %d: text after the closing \"\"\"", line)
			}
			rest = body[:end]
		} else if len(rest) >= 2 && rest[0] == '"' && rest[len(rest)-1] == '"' {
			if u, err := strconv.Unquote(rest); err == nil {
				rest = u
			} else {
				rest = rest[1 : len(rest)-1]
			}
		}
		switch strings.ToUpper(cmd) {
		case "FROM":
			if rest == "" {
				return nil, fmt.Errorf("line %d: FROM needs a model name or file", start)
			}
			if mf.From != "" {
				return nil, fmt.Errorf("line %d: a second FROM", start)
			}
			mf.From = rest
		case "TEMPLATE":
			mf.Template = rest
		case "SYSTEM":
			mf.System = rest
		case "PARAMETER":
			key, val := splitWord(rest)
			key = strings.ToLower(key)
			if key == "" || val == "" {
				return nil, fmt.Errorf("line %d: PARAMETER needs a name and a value", start)
			}
			if len(val) >= 2 && val[0] == '"' && val[len(val)-1] == '"' {
				if u, err := strconv.Unquote(val); err == nil {
					val = u
				}
			}
			if mf.Parameters == nil {
				mf.Parameters = map[string]any{}
			}
			if key == "stop" {
				stops, _ := mf.Parameters["stop"].([]string)
				mf.Parameters["stop"] = append(stops, val)
				continue
			}
			mf.Parameters[key] = parameterValue(val)
		default:
			return nil, fmt.Errorf("line %d: %s is not supported by `roundhouse models create` (FROM, TEMPLATE, SYSTEM and PARAMETER are)", start, cmd)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if mf.From == "" {
		return nil, fmt.Errorf("no FROM line: name a model file or a base model")
	}
	return mf, nil
}

// splitWord splits s at its first run of white space.
func splitWord(s string) (string, string) {
	s = strings.TrimSpace(s)
	i := strings.IndexFunc(s, unicode.IsSpace)
	if i < 0 {
		return s, ""
	}
	return s[:i], strings.TrimSpace(s[i:])
}

// parameterValue reads a PARAMETER value as an integer, a number or a
// boolean when it is one, else keeps the text.
func parameterValue(v string) any {
	if i, err := strconv.ParseInt(v, 10, 64); err == nil {
		return i
	}
	if f, err := strconv.ParseFloat(v, 64); err == nil {
		return f
	}
	if b, err := strconv.ParseBool(v); err == nil && (v == "true" || v == "false") {
		return b
	}
	return v
}
